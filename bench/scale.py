"""Scale benchmarks on SYNTHETIC warehouses (bench/synthetic.py): one dbt build of every model, the gates, the SQL
floor of the same model SQL, the peak memory of the dbt process and typical analyst queries."""
from __future__ import annotations

import json
import os
import statistics
import threading
import time
from pathlib import Path

import psutil

from bench import sql_floor

SQL_FLOOR_MEMORY_LIMIT = "4GB"  # explicit, so the floor does not take 80 % of a machine shared with other work


class PeakRss:
    """Peak resident memory of this process's descendants (the dbt process and anything it starts), summed over
    the tree and sampled while the block runs: ru_maxrss of RUSAGE_CHILDREN keeps the largest child of the whole
    bench run, not of this build."""

    def __init__(self, every_s: float = 0.1) -> None:
        self.every_s, self.peak_bytes = every_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _tree_rss(me: psutil.Process) -> int:
        total = 0
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:  # the process ended while being read
                continue
        return total

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.every_s):
            self.peak_bytes = max(self.peak_bytes, self._tree_rss(me))

    @property
    def peak_gb(self) -> float:
        return round(self.peak_bytes / 1e9, 2)


def build(candidate: Path, target: Path, memory_limit: str | None = None) -> dict:
    """The pipeline's `dbt build` of every model on the candidate (DuckDB's memory_limit set when given), the SQL floor of the same
    compiled SQL, the node time per kind and the slowest models."""
    import duckdb

    from jamstat.settings import Settings
    from jamstat.transform.dbt_runner import ensure_dbt_packages, run_dbt, run_pipeline_build

    settings = Settings.from_env()
    ensure_dbt_packages(settings)
    old = os.environ.get("JAMSTAT_DUCKDB_MEMORY_LIMIT")
    if memory_limit:
        os.environ["JAMSTAT_DUCKDB_MEMORY_LIMIT"] = memory_limit  # the dbt profile reads it
    try:
        # untimed, with the same profile: brings the target's partial-parse state up to date, so the timed build
        # re-parses no file edited since the last bench run (a scheduled run of unchanged code does not either)
        parsed = run_dbt(settings, "parse", candidate=candidate, target_path=target, stream=lambda _l: None)
        if not parsed.success:
            raise RuntimeError(parsed.summary())
        with PeakRss() as rss:
            dbt = run_pipeline_build(settings, candidate=candidate, target_path=target, stream=lambda _l: None)
    finally:
        if old is None:
            os.environ.pop("JAMSTAT_DUCKDB_MEMORY_LIMIT", None)
        else:
            os.environ["JAMSTAT_DUCKDB_MEMORY_LIMIT"] = old
    if not dbt.success:
        raise RuntimeError(dbt.summary())
    run_results = json.loads((target / "run_results.json").read_text())
    results = run_results["results"]
    per_model = []
    with duckdb.connect(str(candidate), read_only=True) as con:
        for r in results:
            if r["unique_id"].startswith("model."):
                name = r["unique_id"].split(".")[-1]
                schema = con.execute("SELECT schema_name FROM duckdb_tables() WHERE table_name = ? UNION ALL "
                                     "SELECT schema_name FROM duckdb_views() WHERE view_name = ?", [name, name]).fetchone()
                rows = con.execute(f"SELECT count(*) FROM {schema[0]}.{name}").fetchone()[0] if schema else None
                per_model.append((name, rows, round(r["execution_time"], 2)))
    for name, rows, secs in sorted(per_model, key=lambda x: -x[2])[:12]:
        print(f"      {name:<36} {rows if rows is not None else '-':>10} rows {secs:>7.2f} s")
    tests = sorted((r for r in results if r["unique_id"].startswith(("test.", "unit_test."))),
                   key=lambda r: -r["execution_time"])[:3]
    print("      slowest tests: " + ", ".join(f"{r['unique_id'].split('.')[2][:60]} {r['execution_time']:.1f} s"
                                            for r in tests))
    floor_s = sql_floor.sql_floor_s(candidate, target, memory_limit=memory_limit or SQL_FLOOR_MEMORY_LIMIT)
    spent = sql_floor.breakdown(target)
    dbt_run_s = run_results["elapsed_time"]
    print(f"    dbt build {dbt.elapsed_s:.1f} s wall ({dbt.elapsed_s - dbt_run_s:.1f} s of it dbt start-up and "
          f"parsing before the first node); node time summed over dbt's threads: models {spent['model']:.1f} s, "
          f"data tests {spent['test']:.1f} s, unit tests {spent['unit_test']:.1f} s, seeds {spent['seed']:.1f} s; "
          f"the same model SQL, one statement after the other in one DuckDB connection: {floor_s:.1f} s; "
          f"peak RSS of the dbt process tree {rss.peak_gb} GB")
    return {"dbt": dbt, "per_model": per_model, "floor_s": floor_s, "spent": spent, "peak_rss_gb": rss.peak_gb,
            "startup_s": dbt.elapsed_s - dbt_run_s}


def gates(candidate: Path) -> float:
    """Seconds for the freshness, Great Expectations and Soda gates on the candidate (all must pass)."""
    from jamstat.gates.freshness import run_freshness_gate
    from jamstat.gates.great_expectations import run_gx_gate
    from jamstat.gates.report import summarize
    from jamstat.gates.soda import run_soda_gate

    t0 = time.perf_counter()
    results = []
    for gate in (run_freshness_gate, run_gx_gate, run_soda_gate):
        t = time.perf_counter()
        results.append(gate(candidate))
        print(f"      gate {results[-1].gate}: {time.perf_counter() - t:.1f} s")
    elapsed = time.perf_counter() - t0
    if any(not g.success for g in results):
        raise RuntimeError("gates failed on synthetic data:\n" + summarize(results))
    return elapsed


def analyst_queries_ms(candidate: Path, queries: dict[str, str]) -> float:
    """The slowest of the queries (median of 7 runs each, after one warm-up), in ms."""
    import duckdb

    timings = {}
    with duckdb.connect(str(candidate), read_only=True) as con:
        for name, sql in queries.items():
            con.execute(sql).fetchall()
            runs = []
            for _ in range(7):
                t = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append((time.perf_counter() - t) * 1000)
            timings[name] = statistics.median(runs)
            print(f"      query '{name}': {timings[name]:.1f} ms (median of 7)")
    return round(max(timings.values()), 1)
