"""Publish an audited candidate (write-audit-publish): refuse unless every gate passed *this exact file*
(its sha256), copy its marts into a new publication directory, verify it as a reader would, export Parquet
next to it, then make it current with one rename (jamstat.publish.publications). A reader that holds the old
file keeps reading it; new readers open the new one; nobody ever sees a half-written warehouse."""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from jamstat.gates.candidate_reader import candidate_digest
from jamstat.publish import publications
from jamstat.publish.exports import PUBLISHED_SCHEMA, export_parquet
from jamstat.settings import REPO_ROOT, Settings

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
    gate_results VARCHAR,      -- JSON list of {{gate, success, verdict, checks, failed, warned}}
    storage_version VARCHAR,
    candidate_sha256 VARCHAR,  -- the exact candidate file every gate audited
    failed_units VARCHAR,      -- JSON list of ingest units whose last attempt failed, with how stale their data is
    identical_to_previous BOOLEAN  -- every mart equals the previous publication's (null for the first one)
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
        warned = [c.get("check") for c in checks if c.get("status") == "warned"]
        verdict = "FAIL" if not g.get("success") else "WARN" if warned else "PASS"
        digest.append({"gate": g.get("gate"), "success": bool(g.get("success")), "verdict": verdict,
                       "checks": len(checks), "failed": [c.get("check") for c in checks if not c.get("success")][:20],
                       "warned": warned[:20], "error": g.get("error")})
    return digest


def _same_as_previous(con, tables: list[str]) -> bool | None:
    """Whether every mart of the new file (`pub`) equals the previous publication's (`prev`) as a multiset of
    rows; None when there is no previous publication."""
    previous = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'prev' AND schema_name = ? "
        "AND table_name <> 'publications' ORDER BY table_name", [PUBLISHED_SCHEMA]).fetchall()]
    if not previous:
        return None
    if previous != tables:
        return False
    for t in tables:
        new, old = f"pub.{PUBLISHED_SCHEMA}.{t}", f"prev.{PUBLISHED_SCHEMA}.{t}"
        columns = "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? " \
                  "AND table_name = ? ORDER BY column_index"
        if con.execute(columns, ["pub", PUBLISHED_SCHEMA, t]).fetchall() != \
                con.execute(columns, ["prev", PUBLISHED_SCHEMA, t]).fetchall():
            return False
        differing = con.execute(f"SELECT (SELECT count(*) FROM (SELECT * FROM {new} EXCEPT ALL SELECT * FROM {old})) "
                                f"+ (SELECT count(*) FROM (SELECT * FROM {old} EXCEPT ALL SELECT * FROM {new}))")
        if differing.fetchone()[0]:
            return False
    return True


def audited_digest(run_id: str, gate_results: list[dict]) -> str:
    """The one candidate sha256 that every gate passed, or PublishError saying why there is none."""
    failed = [g.get("gate") for g in gate_results if not g.get("success")]
    if failed or not gate_results:
        raise PublishError(f"refusing to publish run {run_id}: gates not all successful ({failed or 'none ran'})")
    digests = {g.get("gate"): g.get("candidate_sha256") for g in gate_results}
    if None in digests.values() or len(set(digests.values())) != 1:
        raise PublishError(f"refusing to publish run {run_id}: the gates did not all audit the same candidate "
                           f"file (sha256 per gate: {digests}); re-run transform_publish")
    return next(iter(digests.values()))


def _copy_marts(candidate: Path, target: Path, previous: Path, audit_row: dict) -> tuple[dict, list[str], bool | None]:
    """Copy the candidate's marts into a new DuckDB file with the audit trail carried forward and this run's
    row appended; returns (row counts per mart, source modes, whether the marts equal the previous ones)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{candidate}' AS cand (READ_ONLY)")
        tables = _mart_tables(con, "cand")
        if not tables:
            raise PublishError(f"candidate {candidate} has no tables in schema {PUBLISHED_SCHEMA}; nothing to publish")
        modes = [r[0] for r in con.execute(
            "SELECT DISTINCT mode FROM cand.raw.batches WHERE mode IS NOT NULL ORDER BY 1").fetchall()]
        con.execute(f"ATTACH '{target}' AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
        con.execute(f"CREATE SCHEMA pub.{PUBLISHED_SCHEMA}")
        row_counts = {}
        for t in tables:
            con.execute(f"CREATE TABLE pub.{PUBLISHED_SCHEMA}.{t} AS SELECT * FROM cand.{PUBLISHED_SCHEMA}.{t}")
            row_counts[t] = con.execute(f"SELECT count(*) FROM pub.{PUBLISHED_SCHEMA}.{t}").fetchone()[0]
        con.execute(PUBLICATIONS_DDL)
        identical = None
        if previous.exists():  # carry the audit trail forward
            con.execute(f"ATTACH '{previous.resolve()}' AS prev (READ_ONLY)")
            identical = _same_as_previous(con, tables)
            if con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name='prev' AND schema_name=? "
                           "AND table_name='publications'", [PUBLISHED_SCHEMA]).fetchone()[0]:
                con.execute(f"INSERT INTO pub.{PUBLISHED_SCHEMA}.publications BY NAME "
                            f"SELECT * FROM prev.{PUBLISHED_SCHEMA}.publications")
            con.execute("DETACH prev")
        row = {**audit_row, "source_modes": json.dumps(modes), "row_counts": json.dumps(row_counts),
               "identical_to_previous": identical}
        con.execute(f"INSERT INTO pub.{PUBLISHED_SCHEMA}.publications ({', '.join(row)}) "
                    f"VALUES ({', '.join('?' * len(row))})", list(row.values()))
        con.execute("CHECKPOINT pub")
    finally:
        con.close()
    return row_counts, modes, identical


def _verify(database: Path, row_counts: dict) -> None:
    """Open the new file as a reader would before it can replace anything."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as check:
        for t, n in row_counts.items():
            got = check.execute(f"SELECT count(*) FROM {PUBLISHED_SCHEMA}.{t}").fetchone()[0]
            if got != n:
                raise PublishError(f"verification of {database} failed: {t} has {got} rows, expected {n}")


def publish(settings: Settings, *, run_id: str, gate_results: list[dict], candidate: Path | None = None,
            failed_units: list[dict] | None = None) -> dict:
    """Publish the candidate every gate audited. Refuses unless every gate succeeded on this exact file."""
    audited = audited_digest(run_id, gate_results)
    candidate = candidate or settings.candidate_path
    if not candidate.is_file() or candidate_digest(candidate) != audited:
        raise PublishError(f"refusing to publish run {run_id}: {candidate} is not the file the gates audited "
                           f"(sha256 {audited[:12]}…); it was rebuilt or changed after the audit. Re-run "
                           "transform_publish.")
    published_at = datetime.now(UTC).replace(tzinfo=None)
    staged = publications.stage(settings, run_id, published_at)
    audit_row = {"run_id": run_id, "git_commit": git_commit(), "published_at": published_at,
                 "gate_results": json.dumps(gate_digest(gate_results)),
                 "storage_version": PUBLISHED_STORAGE_VERSION, "candidate_sha256": audited,
                 "failed_units": json.dumps(failed_units or [], ensure_ascii=False)}
    try:
        row_counts, modes, identical = _copy_marts(candidate, staged.database, settings.published_path, audit_row)
        if candidate_digest(candidate) != audited:
            raise PublishError(f"refusing to publish run {run_id}: {candidate} changed while it was being copied")
        _verify(staged.database, row_counts)
        export_parquet(staged.database, staged.exports)
    except BaseException:
        shutil.rmtree(staged.path, ignore_errors=True)
        raise
    final = publications.commit(settings, staged)
    log.info("published %s (%d tables, storage %s)%s", final, len(row_counts), PUBLISHED_STORAGE_VERSION,
             "; every mart is identical to the previous publication" if identical else "")
    return {"published_path": str(settings.published_path), "publication": str(final),
            "published_at": published_at.isoformat(), "run_id": run_id, "row_counts": row_counts,
            "source_modes": modes, "exports": str(settings.exports_dir / "current"),
            "storage_version": PUBLISHED_STORAGE_VERSION, "candidate_sha256": audited,
            "failed_units": failed_units or [], "identical_to_previous": identical,
            "gate_verdicts": {g["gate"]: g["verdict"] for g in gate_digest(gate_results)}}
