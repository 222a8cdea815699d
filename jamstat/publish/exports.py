"""Parquet exports of a publication's marts, written into the publication directory before it becomes current
(jamstat.publish.publications), so the exports and the database switch together."""
from __future__ import annotations

from pathlib import Path

PUBLISHED_SCHEMA = "marts"


def export_parquet(database: Path, out_dir: Path) -> list[str]:
    """One zstd Parquet file per mart of `database` (read-only) in `out_dir`; returns the file names."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1", [PUBLISHED_SCHEMA]).fetchall()]
        for t in tables:
            target = str(out_dir / f"{t}.parquet").replace("'", "''")
            con.execute(f"COPY {PUBLISHED_SCHEMA}.{t} TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    return [f"{t}.parquet" for t in tables]
