"""Read-only access to the candidate DuckDB file for the gates: the candidate is never modified."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def connect_read_only(path: str | os.PathLike):
    """Open a DuckDB file read-only. A missing or unreadable file raises (DuckDB would otherwise create one)."""
    import duckdb

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"candidate DuckDB file not found: {p}")
    return duckdb.connect(str(p), read_only=True)


def candidate_digest(path: str | os.PathLike) -> str:
    """sha256 of the candidate file's bytes: what binds an audit to the exact file it audited."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def table_columns(con, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "AND table_catalog = current_database() ORDER BY ordinal_position", [schema, table]).fetchall()
    return [r[0] for r in rows]


def tables(con, schema: str, catalog: str | None = None) -> list[str]:
    cat = "current_database()" if catalog is None else "?"
    params = [schema] + ([catalog] if catalog else [])
    rows = con.execute(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_catalog = {cat} "
        "ORDER BY table_name", params).fetchall()
    return [r[0] for r in rows]
