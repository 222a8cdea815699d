"""Parquet exports of the published marts: one generation per publication, `exports/current` re-pointed
atomically, the last few generations kept for readers still on them."""
from __future__ import annotations

import os
import shutil

from jamstat.settings import Settings, safe_run_id

PUBLISHED_SCHEMA = "marts"
KEEP_EXPORT_GENERATIONS = 3


def export_parquet(settings: Settings, run_id: str) -> str:
    """One zstd Parquet file per mart in exports/<run>/, then re-point exports/current atomically."""
    import duckdb

    root = settings.exports_dir
    generation = root / safe_run_id(run_id)
    staging = root / f".{generation.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ?", [PUBLISHED_SCHEMA]).fetchall()]
        for t in tables:
            con.execute(f"COPY {PUBLISHED_SCHEMA}.{t} TO '{staging / (t + '.parquet')}' "
                        "(FORMAT parquet, COMPRESSION zstd)")
    shutil.rmtree(generation, ignore_errors=True)
    os.replace(staging, generation)
    link_tmp = root / ".current.tmp"
    link_tmp.unlink(missing_ok=True)
    os.symlink(generation.name, link_tmp)
    os.replace(link_tmp, root / "current")
    # Keep a few generations for readers still on an old one; drop the rest.
    generations = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
                          and not p.is_symlink()), key=lambda p: p.stat().st_mtime)
    for old in generations[:-KEEP_EXPORT_GENERATIONS]:
        shutil.rmtree(old, ignore_errors=True)
    return str(root / "current")
