"""Publish an audited candidate: copy its marts into a new file, verify it as a reader would, then
`os.replace` it over warehouse/jamstat.duckdb. A reader that holds the old file keeps reading the old inode;
new readers open the new one; nobody ever sees a half-written warehouse."""
from __future__ import annotations

import json
import logging
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from jamstat.publish.exports import PUBLISHED_SCHEMA, export_parquet
from jamstat.settings import REPO_ROOT, Settings, safe_run_id

log = logging.getLogger(__name__)

# Files written in this storage version open in DuckDB >= 1.0, which BI drivers (DBeaver, duckdb-engine,
# ODBC/JDBC builds) often still ship. Newer storage would lock those readers out.
PUBLISHED_STORAGE_VERSION = "v1.0.0"

PUBLICATIONS_DDL = f"""
CREATE TABLE IF NOT EXISTS pub.{PUBLISHED_SCHEMA}.publications (
    run_id VARCHAR NOT NULL,
    git_commit VARCHAR,
    published_at TIMESTAMP NOT NULL,
    source_modes VARCHAR,      -- JSON list of modes (live/replay) of the batches in this publication
    row_counts VARCHAR,        -- JSON object mart -> rows
    gate_results VARCHAR,      -- JSON list of {{gate, success, checks, failed}}
    storage_version VARCHAR
)"""


class PublishError(RuntimeError):
    pass


def git_commit() -> str | None:
    if os.environ.get("JAMSTAT_GIT_COMMIT"):
        return os.environ["JAMSTAT_GIT_COMMIT"]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mart_tables(con, database: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? ORDER BY table_name",
        [database, PUBLISHED_SCHEMA]).fetchall()
    return [r[0] for r in rows if r[0] != "publications"]


def gate_digest(gate_results: list[dict]) -> list[dict]:
    """The short form of gate results that the audit table keeps."""
    digest = []
    for g in gate_results:
        checks = g.get("checks") or []
        digest.append({"gate": g.get("gate"), "success": bool(g.get("success")), "checks": len(checks),
                       "failed": [c.get("check") for c in checks if not c.get("success")][:20],
                       "error": g.get("error")})
    return digest


def publish(settings: Settings, *, run_id: str, gate_results: list[dict], candidate: Path | None = None) -> dict:
    """Copy the candidate's marts into a new file and swap it in. Refuses unless every gate succeeded."""
    import duckdb

    failed = [g.get("gate") for g in gate_results if not g.get("success")]
    if failed or not gate_results:
        raise PublishError(f"refusing to publish run {run_id}: gates not all successful ({failed or 'none ran'})")
    candidate = candidate or settings.candidate_path
    published = settings.published_path
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{safe_run_id(run_id)}.tmp")
    tmp.unlink(missing_ok=True)
    published_at = datetime.now(UTC).replace(tzinfo=None)

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{candidate}' AS cand (READ_ONLY)")
        tables = _mart_tables(con, "cand")
        if not tables:
            raise PublishError(f"candidate {candidate} has no tables in schema {PUBLISHED_SCHEMA}; nothing to publish")
        modes = [r[0] for r in con.execute(
            "SELECT DISTINCT mode FROM cand.raw.batches WHERE mode IS NOT NULL ORDER BY 1").fetchall()]
        con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
        con.execute(f"CREATE SCHEMA pub.{PUBLISHED_SCHEMA}")
        row_counts = {}
        for t in tables:
            con.execute(f"CREATE TABLE pub.{PUBLISHED_SCHEMA}.{t} AS SELECT * FROM cand.{PUBLISHED_SCHEMA}.{t}")
            row_counts[t] = con.execute(f"SELECT count(*) FROM pub.{PUBLISHED_SCHEMA}.{t}").fetchone()[0]
        con.execute(PUBLICATIONS_DDL)
        if published.exists():  # carry the audit trail forward
            con.execute(f"ATTACH '{published}' AS prev (READ_ONLY)")
            has_prev = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name='prev' "
                                   "AND schema_name=? AND table_name='publications'", [PUBLISHED_SCHEMA]).fetchone()[0]
            if has_prev:
                con.execute(f"INSERT INTO pub.{PUBLISHED_SCHEMA}.publications BY NAME "
                            f"SELECT * FROM prev.{PUBLISHED_SCHEMA}.publications")
            con.execute("DETACH prev")
        con.execute(f"INSERT INTO pub.{PUBLISHED_SCHEMA}.publications VALUES (?, ?, ?, ?, ?, ?, ?)", [
            run_id, git_commit(), published_at, json.dumps(modes), json.dumps(row_counts),
            json.dumps(gate_digest(gate_results)), PUBLISHED_STORAGE_VERSION])
        con.execute("CHECKPOINT pub")
        con.execute("DETACH pub")
        con.execute("DETACH cand")
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()

    # Verify the new file as a reader would, before it replaces anything.
    with duckdb.connect(str(tmp), read_only=True) as check:
        for t, n in row_counts.items():
            got = check.execute(f"SELECT count(*) FROM {PUBLISHED_SCHEMA}.{t}").fetchone()[0]
            if got != n:
                tmp.unlink(missing_ok=True)
                raise PublishError(f"verification of {tmp} failed: {t} has {got} rows, expected {n}")
    _fsync(tmp)
    os.replace(tmp, published)
    _fsync(published.parent)
    log.info("published %s (%d tables, storage %s)", published, len(row_counts), PUBLISHED_STORAGE_VERSION)

    exports = export_parquet(settings, run_id)
    return {"published_path": str(published), "published_at": published_at.isoformat(), "run_id": run_id,
            "row_counts": row_counts, "source_modes": modes, "exports": exports,
            "storage_version": PUBLISHED_STORAGE_VERSION}
