"""Units whose last attempt failed: data/state/failures/<source>/<unit>.json, written when a unit fails and
removed when it next confirms its source. One failing unit fails only its own task; these markers, with the
source checks (batch_log.record_check), say what failed and how stale its data is — in the ingest DAG's summary,
in `make run`'s summary and in the publication record (marts.publications.failed_units)."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.raw_store import atomic_write, iso_utc, safe_name

MAX_ERROR_CHARS = 300


def _marker(state_dir: Path, source: str, unit: str) -> Path:
    return state_dir / "failures" / source / f"{safe_name(unit)}.json"


def record_failure(state_dir: Path, *, source: str, unit: str, run_id: str, mode: str, error: BaseException) -> Path:
    """Remember that `unit` failed in `run_id`: the error's first line, shortened (messages name the unit)."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    text = f"{type(error).__name__}: {first_line}"
    record = {"source": source, "unit": unit, "run_id": run_id, "mode": mode, "failed_at": iso_utc(datetime.now(UTC)),
              "error": text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS - 1] + "…"}
    path = _marker(state_dir, source, unit)
    atomic_write(path, json.dumps(record, indent=1, ensure_ascii=False).encode("utf-8"))
    return path


def clear_failure(state_dir: Path, *, source: str, unit: str) -> None:
    _marker(state_dir, source, unit).unlink(missing_ok=True)


def forget_unplanned(state_dir: Path, *, source: str, planned: list[str]) -> list[str]:
    """Drop markers of units the source no longer plans (removed from the catalog or the landing folder)."""
    keep = {f"{safe_name(u)}.json" for u in planned}
    dropped = [p for p in (state_dir / "failures" / source).glob("*.json") if p.name not in keep]
    for p in dropped:
        p.unlink(missing_ok=True)
    return [p.stem for p in dropped]


def _age_hours(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    then = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return round((now - then).total_seconds() / 3600, 1)


def failed_units(state_dir: Path, *, now: datetime | None = None) -> list[dict]:
    """Every unit whose last attempt failed, with when it last succeeded and how many hours ago that was
    (`stale_hours` None: it never succeeded, so the publication holds no data of it)."""
    now = now or datetime.now(UTC)
    out = []
    for path in sorted((state_dir / "failures").glob("*/*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        check = state_dir / "checks" / rec["source"] / path.name
        last_ok = json.loads(check.read_text(encoding="utf-8"))["checked_at"] if check.exists() else None
        out.append({**rec, "last_success_at": last_ok, "stale_hours": _age_hours(last_ok, now)})
    return out


def describe(failures: list[dict]) -> list[str]:
    """One line per failed unit, for people."""
    lines = []
    for f in failures:
        stale = ("never loaded: no data of it is published" if f["stale_hours"] is None
                 else f"data last confirmed {f['last_success_at'][:16].replace('T', ' ')} UTC, "
                      f"{f['stale_hours']:g} h ago")
        lines.append(f"{f['source']}:{f['unit']} failed in run {f['run_id']} ({stale}): {f['error']}")
    return lines
