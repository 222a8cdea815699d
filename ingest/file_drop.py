"""One unit of file-drop ingest: one mapping file in `data/landing/` and the export it names, landed as raw
payloads and one batch (source = 'file'). The ingest_files DAG maps one task over each mapping file.

The landing folder is a boundary. A mapping (named `<name>.mapping.yaml|yml|json`) and the file it names must
resolve inside the folder (no absolute path, no '..', no symlink leading out) and be regular files (a device or
FIFO is refused without being opened) under a size limit (JAMSTAT_FILE_DROP_MAX_BYTES). All of this, the
parsing and the mapping to the catalog are checked before anything is landed. Each drop is a full snapshot of
its unit: a new version of the file supersedes the old one, and removing the mapping file from the folder
retracts its batches (recorded when the files DAG plans, ingest/batch_log.py)."""
from __future__ import annotations

import csv
import logging
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from ingest.batch_log import CURRENT, batch_states, record_removal
from ingest.batches import Unit
from ingest.catalog import find_indicator, load_catalog
from ingest.http import Fetched
from ingest.raw_store import safe_name
from ingest.sources.files import FileDropError, excerpt, is_mapping_name, normalize, parse_mapping, read_table
from jamstat.settings import REPO_ROOT, Settings

log = logging.getLogger("jamstat.ingest.files")

MAX_MAPPING_BYTES = 1 << 20
FILE_SOURCES = ("fk", "bra", "other")  # catalog sources whose data arrives only as files


def landing_dir(settings: Settings) -> Path:
    return settings.data_dir / "landing"


EXAMPLE_MAPPING = REPO_ROOT / "docs" / "examples" / "landing" / "vab_fk.mapping.yaml"
LANDING_README = """Drop official exports here (SCB CSV, Försäkringskassan xlsx, ...), each with a mapping file named
<name>.mapping.yaml next to it: which columns hold area, period, sex and value, and which catalog indicator
(dbt_project/seeds/indicator_catalog.csv) the rows feed. The ingest_files DAG (make run) lands every mapped
file; an unchanged file is a no-op; removing a mapping retracts its data from the next publication.

Start from vab_fk.mapping.yaml.example in this folder (a copy of docs/examples/landing/vab_fk.mapping.yaml):
copy it to <name>.mapping.yaml and edit it. Only files named *.mapping.yaml|yml|json are read as mappings.
The format is described in ingest/sources/files.py.
"""


def ensure_landing_dir(settings: Settings) -> Path:
    """data/landing/ with a README and the documented example mapping (as `.example`, never read as a mapping),
    created on first use; what an analyst put there is never touched."""
    folder = landing_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    if not (readme := folder / "README.txt").exists():
        readme.write_text(LANDING_README, encoding="utf-8")
    if not (example := folder / f"{EXAMPLE_MAPPING.name}.example").exists() and EXAMPLE_MAPPING.is_file():
        shutil.copyfile(EXAMPLE_MAPPING, example)
    return folder


def plan_file_drops(settings: Settings) -> list[str]:
    """The mapping files waiting in data/landing/. A unit that committed batches but is no longer there is
    recorded as removed, which retracts its batches from the next build. A missing folder (an unmounted volume,
    a fresh clone) plans nothing and retracts nothing."""
    folder = landing_dir(settings)
    if not folder.is_dir():
        return []
    planned = sorted(p.name for p in folder.iterdir() if is_mapping_name(p.name))
    gone = sorted({s.check_unit for s in batch_states(settings.batches_dir, settings.state_dir, source="file")
                   if s.state == CURRENT and s.check_unit not in planned})
    for unit in gone:
        record_removal(settings.state_dir, source="file", unit=unit,
                       run_id=os.environ.get("AIRFLOW_CTX_DAG_RUN_ID") or "plan_file_drops")
        log.warning("file drop %s left data/landing: its batches are retracted from the next build", unit)
    return planned


def landing_file(landing: Path, name: str, *, what: str, max_bytes: int) -> Path:
    """`name` resolved inside the landing folder, or FileDropError. Only metadata is read (stat), never content."""
    rel = PurePosixPath(str(name).replace("\\", "/"))
    if not str(name).strip() or rel.is_absolute() or Path(name).is_absolute() or ".." in rel.parts:
        raise FileDropError(f"{what} {excerpt(name)} must be a file name inside data/landing/ (no absolute path, "
                            "no '..'); copy the file into the folder")
    root = landing.resolve()
    real = (root / rel).resolve()
    if not real.is_relative_to(root):
        raise FileDropError(f"{what} {excerpt(name)} leads outside data/landing/ (a symlink); copy the file into "
                            "the folder instead of linking it")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise FileDropError(f"{what} {excerpt(name)} not found in data/landing/") from None
    if not stat.S_ISREG(st.st_mode):
        raise FileDropError(f"{what} {excerpt(name)} is not a regular file (a folder, device, FIFO or socket); "
                            "refused without reading it")
    if st.st_size > max_bytes:
        raise FileDropError(f"{what} {excerpt(name)} has {st.st_size} bytes, over the limit of {max_bytes} "
                            "(JAMSTAT_FILE_DROP_MAX_BYTES); raise the limit if the file is genuine")
    return real


def read_landing_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a file `landing_file` accepted, re-checked on the open descriptor (the path could have been
    swapped since) and never more than max_bytes."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileDropError(f"{path.name} changed into something that is not a regular file; refused")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise FileDropError(f"{path.name} grew over the limit of {max_bytes} bytes while being read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _declared_file_refs(settings: Settings) -> tuple[set[str], set[str]]:
    """(refs a catalog fk/bra/other row lists in ingest_source_refs, refs indicator_series_map gives for source
    file): the source_refs a dropped file may carry besides an indicator_id."""
    catalog_refs = {ref.strip() for ind in load_catalog(settings.catalog_path) if ind.source in FILE_SOURCES
                    for ref in ind.get("ingest_source_refs").split(";") if ref.strip()}
    series_map = settings.dbt_project_dir / "seeds" / "indicator_series_map.csv"
    rules = set()
    if series_map.exists():
        with series_map.open(encoding="utf-8") as fh:
            rules = {r["source_ref"].strip() for r in csv.DictReader(fh) if r.get("source") == "file"}
    return catalog_refs, rules


def _target(mapping: dict[str, Any], settings: Settings) -> tuple[str, bool]:
    """(the source_ref the rows carry, whether a series-map rule declares it)."""
    indicator_id, source_ref = mapping.get("indicator_id"), mapping.get("source_ref")
    if bool(indicator_id) == bool(source_ref):
        raise FileDropError("give exactly one of indicator_id (the catalog row the file feeds) or source_ref")
    catalog_refs, rules = _declared_file_refs(settings)
    if indicator_id:
        try:
            find_indicator(load_catalog(settings.catalog_path), str(indicator_id))
        except KeyError:
            raise FileDropError(f"indicator_id {str(indicator_id)!r} is not in the catalog "
                                "(dbt_project/seeds/indicator_catalog.csv)") from None
        return str(indicator_id), str(indicator_id) in rules
    if str(source_ref) not in catalog_refs | rules:
        raise FileDropError(f"source_ref {str(source_ref)!r} maps to nothing: no fk/bra/other catalog row lists it "
                            "in ingest_source_refs and no indicator_series_map row (source file) names it; give "
                            "indicator_id instead")
    return str(source_ref), str(source_ref) in rules


def _check_maps(frame: pd.DataFrame, source_ref: str, has_rule: bool) -> None:
    """Rows that would all end unmapped fail here, not as a warning after publication."""
    if frame.empty:
        raise FileDropError("the file has no data rows; check skip_rows, sheet and the columns mapping")
    combos = frame["dims"].nunique()
    if combos > 1 and not has_rule:
        raise FileDropError(f"its rows have {combos} combinations of the dims columns; without an "
                            f"indicator_series_map rule for source file, source_ref {source_ref} saying which to "
                            "use (or '*' to sum them) none would reach the marts")


def _as_fetched(path: Path, data: bytes, content_type: str) -> Fetched:
    return Fetched(url=path.as_uri(), method="FILE", request_body=None, status=200, body=data,
                   content_type=content_type, fetched_at=datetime.now(UTC))


def ingest_file_drop(unit: str, *, mode: str = "file", base_urls: dict[str, str] | None = None, run_id: str,
                     settings: Settings) -> dict[str, Any]:
    """Validate, read and normalise one dropped file, then land it and commit its batch (a full snapshot)."""
    try:
        if not is_mapping_name(unit):
            raise FileDropError("not a mapping file: mappings are named <name>.mapping.yaml (or .mapping.yml, "
                                ".mapping.json); every other file in data/landing/ is data")
        landing = landing_dir(settings)
        mapping_path = landing_file(landing, unit, what="mapping", max_bytes=MAX_MAPPING_BYTES)
        mapping_bytes = read_landing_file(mapping_path, MAX_MAPPING_BYTES)
        mapping = parse_mapping(mapping_bytes, mapping_path.name)
        limit = settings.file_drop_max_bytes
        data_path = landing_file(landing, mapping["file"], what="data file", max_bytes=limit)
        data = read_landing_file(data_path, limit)
        source_ref, has_rule = _target(mapping, settings)
        frame = normalize(read_table(data, mapping, data_path.name), mapping, source_ref, data_path.name)
        _check_maps(frame, source_ref, has_rule)
    except FileDropError as exc:
        raise FileDropError(f"file drop {excerpt(unit)}: {exc} (nothing landed)") from None
    dataset = safe_name(mapping.get("dataset") or mapping_path.name.split(".mapping.")[0])
    batch = Unit.for_settings(settings, "file", f"file:{unit}", mode, run_id, check_unit=unit)
    ext = data_path.suffix.lstrip(".").lower() or "bin"
    ctype = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}.get(ext, "application/octet-stream")
    batch.land(_as_fetched(data_path, data, ctype), dataset, ext=ext)
    batch.land(_as_fetched(mapping_path, mapping_bytes, "text/yaml"), dataset,
               ext=mapping_path.suffix.lstrip(".") or "yaml")
    if mapping.get("indicator_id"):
        batch.note(f"indicator_id={mapping['indicator_id']}")
    res = batch.commit(frame, source_refs=[source_ref])
    return {"unit": unit, "source": "file", "source_ref": source_ref, "mode": mode, "run_id": run_id,
            "snapshot": "full", **res.summary()}
