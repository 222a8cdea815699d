"""Which committed batches are current: two append-only logs under data/state/ and the one rule that reads them.

    observations/<source>/<unit>.jsonl  one line per successful check of a registry unit (a Kolada KPI, an SCB
                                        spec, a mapping file): when, which batches the source sent (new *or*
                                        unchanged content), and whether they are a full or incremental snapshot
    retractions.jsonl                   one line per `jamstat batches retract`: batch, who, when, why
    checks/<source>/<unit>.json         the latest check only (the freshness gate reads it)

A batch is
    retracted   when retractions.jsonl names it: it never reaches the marts again;
    superseded  when its unit was later observed as a *full* snapshot that does not carry it (the source took
                the values back or stopped sending the keys; a removed dropped file is an empty full snapshot).
                A replay-mode snapshot of an API unit supersedes only replay batches: the recordings say what
                was recorded, not what the live source holds, so an offline run never retracts live data;
    current     otherwise. Its rows take part in latest-wins, ordered by `last_observed_at` — when the source
                last sent that content — so re-observing old content (A -> B -> A) makes it current again.

Batches are content-addressed, so an unchanged re-fetch writes no batch; the observation log is what records
that the source said it again. A batch no observation names (a unit that failed after committing it, or a
batch older than the log) counts as observed when it was fetched.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.batches import read_manifests
from ingest.raw_store import atomic_write, iso_utc, safe_name

CURRENT, SUPERSEDED, RETRACTED = "current", "superseded", "retracted"


class BatchLogError(ValueError):
    """A retraction that cannot be recorded (unknown or ambiguous batch id, no reason)."""


def _append_line(path: Path, record: dict[str, Any]) -> None:
    """One JSON line, appended with a single write and fsynced: a crash leaves at most a torn last line, which
    the reader skips."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            doc = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line torn by a crash mid-append
        if isinstance(doc, dict):
            out.append(doc)
    return out


def _ts(text: str | None) -> datetime:
    if not text:
        return datetime.min.replace(tzinfo=UTC)
    ts = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def record_check(state_dir: Path, *, source: str, unit: str, status: str, batch_ids: list[str], mode: str,
                 run_id: str, snapshot: str, checked_at: datetime | None = None) -> dict[str, Any]:
    """Remember that a unit was successfully checked at the source (new content, unchanged content, or - for a
    dropped file - removed): appended to the unit's observation log, and kept as the unit's latest check
    (state/checks/<source>/<unit>.json, loaded into raw.source_checks for the freshness gate)."""
    checked_at = checked_at or datetime.now(UTC)
    record = {"source": source, "unit": unit, "status": status, "batch_ids": sorted(set(batch_ids)),
              "mode": mode, "run_id": run_id, "checked_at": iso_utc(checked_at), "snapshot": snapshot}
    _append_line(state_dir / "observations" / source / f"{safe_name(unit)}.jsonl", record)
    atomic_write(state_dir / "checks" / source / f"{safe_name(unit)}.json", json.dumps(record, indent=1).encode())
    return record


def record_removal(state_dir: Path, *, source: str, unit: str, run_id: str) -> dict[str, Any]:
    """A unit that no longer exists (a mapping file that left data/landing): an empty full snapshot, which
    supersedes every batch it committed. Only the observation log records it; it is no source check."""
    record = {"source": source, "unit": unit, "status": "removed", "batch_ids": [], "mode": "file",
              "run_id": run_id, "checked_at": iso_utc(datetime.now(UTC)), "snapshot": "full"}
    _append_line(state_dir / "observations" / source / f"{safe_name(unit)}.jsonl", record)
    return record


def read_observations(state_dir: Path) -> list[dict[str, Any]]:
    """Every recorded check of every unit, oldest first."""
    rows = [r for p in sorted(state_dir.glob("observations/*/*.jsonl")) for r in _read_lines(p)]
    return sorted(rows, key=lambda r: _ts(r.get("checked_at")))


def read_retractions(state_dir: Path) -> list[dict[str, Any]]:
    return _read_lines(state_dir / "retractions.jsonl")


def check_unit_of(manifest: dict[str, Any]) -> str:
    """The registry unit a batch came from; manifests written before `check_unit` existed name it in `unit`
    ('kolada:<KPI>', 'scb:<spec>:<table>:<chunk>', 'file:<mapping>')."""
    if manifest.get("check_unit"):
        return str(manifest["check_unit"])
    unit = str(manifest.get("unit") or "")
    prefix, _, rest = unit.partition(":")
    if prefix in ("kolada", "file") and rest:
        return rest
    if prefix == "scb" and rest:
        return rest.split(":", 1)[0]
    return unit


@dataclass(frozen=True)
class BatchState:
    batch_id: str
    source: str
    check_unit: str
    snapshot: str | None
    row_count: int
    fetched_at: str
    last_observed_at: str
    state: str      # current | superseded | retracted
    reason: str     # why it is not current ('' when it is)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def batch_states(batches_dir: Path, state_dir: Path, source: str | None = None) -> list[BatchState]:
    """The state of every committed batch (of one source), by the rule in the module docstring."""
    manifests = read_manifests(batches_dir, source) if batches_dir.exists() else []
    seen: dict[str, datetime] = {}
    last_full: dict[tuple[str, str, bool], dict[str, Any]] = {}  # (source, unit, replay only) -> observation
    for obs in read_observations(state_dir):
        at = _ts(obs.get("checked_at"))
        for bid in obs.get("batch_ids") or []:
            seen[bid] = max(seen.get(bid, at), at)
        if obs.get("snapshot") == "full":
            replay_only = obs.get("mode") == "replay" and obs.get("source") != "file"
            last_full[(obs.get("source"), obs.get("unit"), replay_only)] = obs
    retracted = {r["batch_id"]: r for r in read_retractions(state_dir) if r.get("batch_id")}
    out = []
    for m in manifests:
        bid, unit = m["batch_id"], check_unit_of(m)
        observed = seen.get(bid, _ts(m.get("fetched_at")))
        fulls = [last_full.get((m.get("source"), unit, False))]
        if m.get("mode") == "replay":
            fulls.append(last_full.get((m.get("source"), unit, True)))
        full = max(filter(None, fulls), key=lambda o: _ts(o.get("checked_at")), default=None)
        if bid in retracted:
            r = retracted[bid]
            state, reason = RETRACTED, f"retracted {r.get('retracted_at', '')[:19]} by {r.get('retracted_by')}: {r.get('reason')}"
        elif full is not None and observed < _ts(full["checked_at"]):
            state, reason = SUPERSEDED, _superseded_reason(full)
        else:
            state, reason = CURRENT, ""
        out.append(BatchState(bid, m.get("source", ""), unit, m.get("snapshot"), int(m.get("row_count") or 0),
                              str(m.get("fetched_at", "")), iso_utc(observed), state, reason))
    return out


def _superseded_reason(full: dict[str, Any]) -> str:
    when = str(full.get("checked_at", ""))[:19]
    if full.get("status") == "removed":
        return f"its mapping file {full.get('unit')} left data/landing (noticed {when}, run {full.get('run_id')})"
    return (f"the full snapshot of {full.get('source')} unit {full.get('unit')} observed {when} (run "
            f"{full.get('run_id')}) does not carry it")


def find_batch(batches_dir: Path, batch_id: str) -> dict[str, Any]:
    """The manifest of a committed batch, by its id or a unique prefix of at least 8 characters."""
    wanted = batch_id.strip().lower()
    if len(wanted) < 8:
        raise BatchLogError(f"batch id {batch_id!r} is too short: give at least 8 characters (jamstat batches list)")
    hits = [m for m in (read_manifests(batches_dir) if batches_dir.exists() else []) if m["batch_id"].startswith(wanted)]
    if not hits:
        raise BatchLogError(f"no committed batch {batch_id!r} under {batches_dir}; see `jamstat batches list`")
    if len(hits) > 1:
        raise BatchLogError(f"batch id prefix {batch_id!r} matches {len(hits)} batches; give more characters")
    return hits[0]


def retract(batches_dir: Path, state_dir: Path, batch_id: str, *, reason: str, by: str,
            at: datetime | None = None) -> dict[str, Any]:
    """Append a retraction: the batch's rows never reach the marts again (from the next transform_publish)."""
    if not reason or not reason.strip():
        raise BatchLogError("a retraction needs a reason (--reason \"what is wrong with the batch\")")
    manifest = find_batch(batches_dir, batch_id)
    bid = manifest["batch_id"]
    if any(r.get("batch_id") == bid for r in read_retractions(state_dir)):
        raise BatchLogError(f"batch {bid} is already retracted; see `jamstat batches show {bid[:12]}`")
    record = {"batch_id": bid, "source": manifest.get("source"), "check_unit": check_unit_of(manifest),
              "retracted_at": iso_utc(at or datetime.now(UTC)), "retracted_by": by, "reason": reason.strip()}
    _append_line(state_dir / "retractions.jsonl", record)
    return record
