"""The publication directory: one switch for the database and its exports.

    warehouse/publications/<id>/jamstat.duckdb      written and verified before anyone can see it
    warehouse/publications/<id>/exports/*.parquet
    warehouse/current          -> publications/<id>        replaced by one rename: the switch
    warehouse/jamstat.duckdb   -> current/jamstat.duckdb   stable paths readers open (read-only)
    warehouse/exports/current  -> ../current/exports

A publication is built in publications/.<id>.tmp, renamed to publications/<id> when complete, and becomes
current when the `current` symlink is replaced. A crash at any step leaves `current` on the old publication
or the new one, so the database and the exports never disagree; the leftovers are cleaned by the next run.
A reader holding an old file keeps its consistent view: old publications are only unlinked, never rewritten.
"""
from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jamstat.settings import Settings, safe_run_id

log = logging.getLogger(__name__)

DATABASE = "jamstat.duckdb"
EXPORTS = "exports"


@dataclass(frozen=True)
class Staged:
    """A publication being written: `path` is private until `commit` renames it to `final`."""

    id: str
    path: Path
    final: Path

    @property
    def database(self) -> Path:
        return self.path / DATABASE

    @property
    def exports(self) -> Path:
        return self.path / EXPORTS


def stage(settings: Settings, run_id: str, published_at: datetime) -> Staged:
    pub_id = f"{published_at:%Y%m%dT%H%M%S}Z_{safe_run_id(run_id)}"
    root = settings.publications_dir
    staged = Staged(pub_id, root / f".{pub_id}.tmp", root / pub_id)
    shutil.rmtree(staged.path, ignore_errors=True)
    staged.exports.mkdir(parents=True)
    return staged


def current_publication(settings: Settings) -> Path | None:
    """The directory `current` points at, or None before the first publication."""
    link = settings.current_link
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _symlink_over(target: str, link: Path) -> None:
    """Point `link` at `target` with one rename, whatever `link` was before (file, symlink or nothing)."""
    tmp = link.with_name(f".{link.name}.link.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _promote(staged: Staged) -> None:
    # Read-only files: a reader that opens the database read-write by mistake fails instead of writing into
    # a publication other readers share.
    for f in [*staged.exports.iterdir(), staged.database]:
        f.chmod(0o444)
        _fsync(f)
    for d in (staged.exports, staged.path):
        _fsync(d)
    os.replace(staged.path, staged.final)
    _fsync(staged.final.parent)


def _switch_current(settings: Settings, publication: Path) -> None:
    _symlink_over(os.path.relpath(publication, settings.warehouse_dir), settings.current_link)
    _fsync(settings.warehouse_dir)


def _adopt_legacy(settings: Settings) -> None:
    """A warehouse published before publication directories: the regular jamstat.duckdb and the export
    generation exports/current points at become a publication (hard links, no copy) and `current`."""
    legacy = settings.published_path
    if settings.current_link.is_symlink() or legacy.is_symlink() or not legacy.is_file():
        return
    target = settings.publications_dir / "00000000T000000Z_legacy"  # sorts as the oldest
    shutil.rmtree(target, ignore_errors=True)
    (target / EXPORTS).mkdir(parents=True)
    os.link(legacy, target / DATABASE)
    old_exports = settings.exports_dir / "current"
    if old_exports.is_dir():
        for f in old_exports.iterdir():
            os.link(f, target / EXPORTS / f.name)
    _switch_current(settings, target)
    log.info("adopted the existing warehouse as publication %s", target)


def _ensure_stable_links(settings: Settings) -> None:
    _adopt_legacy(settings)
    settings.exports_dir.mkdir(parents=True, exist_ok=True)
    wanted = {settings.published_path: f"{settings.current_link.name}/{DATABASE}",
              settings.exports_dir / "current": f"../{settings.current_link.name}/{EXPORTS}"}
    for link, target in wanted.items():
        if not (link.is_symlink() and os.readlink(link) == target):
            _symlink_over(target, link)
    for old in settings.exports_dir.iterdir():  # export generations of the layout before publications
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)


def _retain(settings: Settings) -> list[str]:
    """Keep the newest `keep_publications` publications (always the current one); unlink the rest."""
    current = current_publication(settings)
    done = sorted((p for p in settings.publications_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name, reverse=True)
    dropped = [p for p in done[settings.keep_publications:] if p != current]
    for p in dropped:
        shutil.rmtree(p, ignore_errors=True)
    return [p.name for p in dropped]


def commit(settings: Settings, staged: Staged) -> Path:
    """Make a fully written publication current: rename it into place, then switch `current` (one rename)."""
    _promote(staged)
    _ensure_stable_links(settings)
    _switch_current(settings, staged.final)
    dropped = _retain(settings)
    log.info("publication %s is current%s", staged.id, f"; removed old {dropped}" if dropped else "")
    return staged.final


def clean_leftovers(settings: Settings) -> list[str]:
    """What a crashed run left behind: unfinished publications, half-written links, files of the layout
    before publication directories. Called by the run that holds the run lock, before it builds."""
    removed: list[str] = []
    root = settings.warehouse_dir
    candidates = [*root.glob(".jamstat.duckdb.*.tmp*"), *root.glob(".*.link.tmp"),
                  *settings.exports_dir.glob(".*.tmp"), *settings.exports_dir.glob(".*.link.tmp"),
                  *settings.publications_dir.glob(".*.tmp")]
    for path in candidates:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(str(path.relative_to(root)))
    if settings.publications_dir.is_dir():
        removed += [f"publications/{name}" for name in _retain(settings)]
    if removed:
        log.warning("cleaned crash leftovers: %s", ", ".join(removed))
    return removed
