"""The candidate warehouse: a fresh private DuckDB file loaded with the committed batches (raw.observations,
raw.batches, raw.source_checks), which one `dbt build` then turns into marts. Readers never open it; only an
audited candidate is published (jamstat.publish).

raw.batches lists every committed batch with its state from the batch log (ingest/batch_log.py: current,
superseded or retracted, and when the source last sent it); raw.observations holds the rows of the current
batches only, so a retracted or superseded batch reaches no model and no gate. raw.retractions and
raw.source_observations are the two logs, loaded as they are for the audit trail."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from ingest.batch_log import CURRENT, BatchState, batch_states, read_observations, read_retractions
from ingest.contract import OBSERVATION_COLUMNS
from jamstat.settings import Settings

log = logging.getLogger(__name__)

# The candidate is the pipeline's own working file, read only by the pinned DuckDB (dbt, the gates, publish), so it
# uses a newer storage format than the published file (jamstat.publish.swap.PUBLISHED_STORAGE_VERSION, kept old for
# BI readers): from v1.4.0 DuckDB stores strings as DICT_FSST, which writes the models' many short text columns
# about a third faster. Publishing copies the marts into the old format.
CANDIDATE_STORAGE_VERSION = "v1.4.0"


def connect_new_candidate(path: Path):
    """A DuckDB connection that creates the candidate file at `path` in CANDIDATE_STORAGE_VERSION."""
    import duckdb

    return duckdb.connect(str(path), config={"storage_compatibility_version": CANDIDATE_STORAGE_VERSION})

BATCH_COLUMNS = {
    "batch_id": "VARCHAR", "source": "VARCHAR", "unit": "VARCHAR", "source_refs": "VARCHAR",
    "mode": "VARCHAR", "run_id": "VARCHAR", "fetched_at": "TIMESTAMP", "row_count": "BIGINT",
    "responses": "VARCHAR", "notes": "VARCHAR", "check_unit": "VARCHAR", "snapshot": "VARCHAR",
    "last_observed_at": "TIMESTAMP", "state": "VARCHAR", "state_reason": "VARCHAR",
}

RETRACTION_COLUMNS = {"batch_id": "VARCHAR", "source": "VARCHAR", "check_unit": "VARCHAR",
                      "retracted_at": "TIMESTAMP", "retracted_by": "VARCHAR", "reason": "VARCHAR"}
OBSERVATION_LOG_COLUMNS = {"source": "VARCHAR", "unit": "VARCHAR", "status": "VARCHAR", "batch_ids": "VARCHAR",
                           "snapshot": "VARCHAR", "mode": "VARCHAR", "run_id": "VARCHAR", "checked_at": "TIMESTAMP"}


CHECK_COLUMNS = {
    "source": "VARCHAR", "unit": "VARCHAR", "status": "VARCHAR", "batch_ids": "VARCHAR", "mode": "VARCHAR",
    "run_id": "VARCHAR", "checked_at": "TIMESTAMP",
}


def committed_batches(batches_dir: Path) -> list[tuple[Path, Path]]:
    """(manifest, parquet) pairs of committed batches. The parquet file is renamed into place last, so a
    manifest without its parquet is an interrupted unit and is ignored."""
    pairs = []
    for parquet in sorted(batches_dir.glob("*/*.parquet")):
        manifest = parquet.with_suffix(".json")
        if manifest.exists():
            pairs.append((manifest, parquet))
    return pairs


def clean_stale_temp_files(settings: Settings, older_than_s: float) -> list[str]:
    """Temporary files an interrupted ingest left in the data dir (`.<name>.<random>.tmp` of atomic writes and
    batch commits). Only those older than `older_than_s` (the task timeout): no running task can own them."""
    cutoff = time.time() - older_than_s
    removed = []
    for path in settings.data_dir.glob("**/.*.tmp"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(str(path.relative_to(settings.data_dir)))
        except FileNotFoundError:
            continue
    if removed:
        log.warning("removed %d stale temporary file(s) of interrupted ingests: %s", len(removed), ", ".join(removed))
    return removed


def _manifest_row(manifest: Path, state: BatchState) -> tuple:
    m = json.loads(manifest.read_text(encoding="utf-8"))
    return (
        m["batch_id"], m["source"], m.get("unit"), json.dumps(m.get("source_refs", []), ensure_ascii=False),
        m.get("mode"), m.get("run_id"), m["fetched_at"], int(m.get("row_count", 0)),
        json.dumps(m.get("responses", []), ensure_ascii=False), json.dumps(m.get("notes", []), ensure_ascii=False),
        state.check_unit, m.get("snapshot"), state.last_observed_at, state.state, state.reason or None,
    )


def _create(con, table: str, columns: dict[str, str], rows: list[tuple]) -> None:
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    if rows:
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})", rows)


def _load_batch_log(con, settings: Settings) -> None:
    """The retraction and observation logs as they are (the batch states in raw.batches are derived from them)."""
    _create(con, "raw.retractions", RETRACTION_COLUMNS,
            [tuple(r.get(c) for c in RETRACTION_COLUMNS) for r in read_retractions(settings.state_dir)])
    _create(con, "raw.source_observations", OBSERVATION_LOG_COLUMNS,
            [tuple(json.dumps(o.get(c)) if c == "batch_ids" else o.get(c) for c in OBSERVATION_LOG_COLUMNS)
             for o in read_observations(settings.state_dir)])


def prepare_candidate(settings: Settings, path: Path | None = None) -> dict:
    """Create a fresh candidate DuckDB file with raw.observations and raw.batches from committed batches.

    Returns counts per source. The file is rebuilt from scratch every run, so a run is idempotent."""
    path = path or settings.candidate_path
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    states = {s.batch_id: s for s in batch_states(settings.batches_dir, settings.state_dir)}
    pairs = [(m, p) for m, p in committed_batches(settings.batches_dir) if p.stem in states]
    obs_ddl = ", ".join(f"{c} {t}" for c, t in OBSERVATION_COLUMNS.items())
    batch_ddl = ", ".join(f"{c} {t}" for c, t in BATCH_COLUMNS.items())
    with connect_new_candidate(path) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(f"CREATE TABLE raw.observations ({obs_ddl})")
        con.execute(f"CREATE TABLE raw.batches ({batch_ddl})")
        con.execute(f"CREATE TABLE raw.source_checks ({', '.join(f'{c} {t}' for c, t in CHECK_COLUMNS.items())})")
        checks = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(settings.state_dir.glob("checks/*/*.json"))]
        if checks:
            con.executemany("INSERT INTO raw.source_checks VALUES (?, ?, ?, ?, ?, ?, ?)", [
                (c["source"], c["unit"], c["status"], json.dumps(c.get("batch_ids", [])), c.get("mode"),
                 c.get("run_id"), c["checked_at"]) for c in checks])
        _load_batch_log(con, settings)
        files = [str(p) for _, p in pairs if states[p.stem].state == CURRENT]
        if files:
            cols = ", ".join(OBSERVATION_COLUMNS)
            con.execute(f"INSERT INTO raw.observations SELECT {cols} FROM read_parquet(?, union_by_name => true)",
                        [files])
        if pairs:
            con.executemany(f"INSERT INTO raw.batches VALUES ({', '.join('?' * len(BATCH_COLUMNS))})",
                            [_manifest_row(m, states[p.stem]) for m, p in pairs])
        counts = dict(con.execute(
            "SELECT source, count(*) FROM raw.observations GROUP BY source ORDER BY source").fetchall())
        n_batches = con.execute("SELECT count(*) FROM raw.batches").fetchone()[0]
    n_current = sum(1 for s in states.values() if s.state == CURRENT)
    log.info("candidate %s: %d batches (%d current), observations per source %s", path, n_batches, n_current,
             counts)
    return {"candidate": str(path), "batches": n_batches, "current_batches": n_current, "observations": counts}
