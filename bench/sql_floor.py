"""The SQL floor of a dbt build: the same compiled model SQL, executed directly in one DuckDB connection on a copy
of the same candidate, in dependency order, materialised as dbt materialises it (view or table). The ratio of the
dbt build to this floor says how much of the build is the SQL itself; run_results.json says where the rest goes
(data tests, seeds, and dbt's own start-up, parsing and bookkeeping)."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path


def _models(manifest: dict) -> list[dict]:
    """Model nodes in an order where every model comes after the models it selects from."""
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    graph = {uid: [d for d in n["depends_on"]["nodes"] if d in nodes] for uid, n in nodes.items()}
    return [nodes[uid] for uid in TopologicalSorter(graph).static_order()]


def _compiled(node: dict, target: Path) -> str:
    """The model's compiled SQL: in the manifest after a build, else the file dbt compiled it to (a later dbt
    command, e.g. source freshness, rewrites the manifest without it)."""
    if node.get("compiled_code"):
        return node["compiled_code"]
    return (target / "compiled" / node["package_name"] / node["original_file_path"]).read_text(encoding="utf-8")


def breakdown(target: Path) -> dict[str, float]:
    """Seconds per kind of dbt node in the build (run_results.json execution times, summed)."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    out = {"model": 0.0, "test": 0.0, "seed": 0.0, "unit_test": 0.0}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        out[kind] = out.get(kind, 0.0) + float(r["execution_time"])
    return out


def sql_floor_s(candidate: Path, target: Path, memory_limit: str) -> float:
    """Seconds to rebuild every model from its compiled SQL in one DuckDB connection (a copy of the candidate:
    raw data and seeds as dbt left them, every model replaced)."""
    import duckdb

    manifest = json.loads((target / "manifest.json").read_text())
    models = _models(manifest)
    # the compiled SQL names the database by the file's stem, so the copy keeps the name, in another directory
    with tempfile.TemporaryDirectory(dir=candidate.parent) as tmp:
        copy = Path(tmp) / candidate.name
        shutil.copyfile(candidate, copy)
        with duckdb.connect(str(copy)) as con:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute("SET threads = 2")  # as the profile's threads: 2
            views = {(s, n) for s, n in con.execute("SELECT schema_name, view_name FROM duckdb_views()").fetchall()}
            started = time.perf_counter()
            for node in models:
                name = node.get("alias") or node["name"]
                relation = f'"{node["schema"]}"."{name}"'
                kind = "VIEW" if node["config"]["materialized"] == "view" else "TABLE"
                con.execute(f"DROP {'VIEW' if (node['schema'], name) in views else 'TABLE'} IF EXISTS {relation}")
                con.execute(f"CREATE {kind} {relation} AS {_compiled(node, target)}")
            return time.perf_counter() - started
