"""dbt portability: the same project builds on DuckDB, PostgreSQL and Spark (session mode) from the same raw rows.

The reference is a DuckDB build on a candidate made from REAL recorded values (tests/dbt/candidate_fixture.py);
the other targets get the candidate's raw tables copied in by tools/engine_portability.py and must produce the same marts.

Spark tests are slow (a JVM, ~2-3 min) and need their own venv (.venv-spark, made by spark_env.sh from
requirements-spark.lock): they run only with JAMSTAT_SPARK_TESTS=1 (`make test-spark`), and are reported as
skipped otherwise.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from jamstat.settings import Settings
from jamstat.transform.dbt_runner import dbt_vars_args
from tests.dbt.candidate_fixture import REPO, build_candidate

PROJECT_DIR = REPO / "dbt_project"
DBT = Path(os.environ.get("JAMSTAT_DBT_BIN", REPO / ".venv" / "bin" / "dbt"))
MARTS = ["dim_age_group", "dim_area", "dim_birth_region", "dim_goal", "dim_indicator", "dim_period", "dim_sex",
         "fct_indicator_value", "mart_area_benchmark", "mart_gender_gap", "mart_goal_followup"]
# Real values: Kolada N21704 (home care 80+, share), 2023, Stockholm 0180 (recorded Kolada v3 payload).
N21704_STOCKHOLM_2023 = {"K": 25.688929, "M": 15.778849, "T": 21.88749}
REAL_VALUE_SQL = ("select sex, value from marts.fct_indicator_value where indicator_id = 'home_care_80plus_share' "
                  "and area_code = '0180' and period = '2023'")


def pytest_configure(config):
    config.addinivalue_line("markers", "spark: dbt-spark session-mode build in .venv-spark (JAMSTAT_SPARK_TESTS=1)")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("JAMSTAT_SPARK_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="dbt-spark build runs in `make test-spark` (set JAMSTAT_SPARK_TESTS=1)")
    for item in items:
        if "spark" in item.keywords:
            item.add_marker(skip)


def dbt_env(**extra: str) -> dict:
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra}
    return env


def run_dbt(dbt: Path, args: list[str], env: dict, workdir: Path, *, timeout: int = 840,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """dbt with target/log paths in `workdir` (never dbt_project/target)."""
    cmd = [str(dbt), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs"),
           *dbt_vars_args(Settings.from_env())]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd or workdir)


def normalise(rows) -> list[tuple]:
    """Rows as comparable tuples, sorted (Decimal -> float; everything else as the driver returns it)."""
    out = [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in rows]
    return sorted(out, key=repr)


@pytest.fixture(scope="session")
def reference(tmp_path_factory):
    """Candidate DuckDB (real recorded values) + `dbt build` on it: the raw tables every other target loads, and
    the marts every other target must reproduce ({mart: (columns, sorted rows)})."""
    import duckdb

    tmp = tmp_path_factory.mktemp("portability_duckdb")
    candidate = tmp / "candidate.duckdb"
    build_candidate(candidate)   # dbt writes seeds/staging/.../marts beside raw; the raw tables stay as built
    env = dbt_env(JAMSTAT_CANDIDATE_PATH=str(candidate))
    t0 = time.perf_counter()
    build = run_dbt(DBT, ["build", "--target", "duckdb"], env, tmp)
    seconds = time.perf_counter() - t0
    assert build.returncode == 0, build.stdout[-6000:]
    marts = {}
    with duckdb.connect(str(candidate), read_only=True) as con:
        for m in MARTS:
            cur = con.execute(f"select * from marts.{m}")
            cols = [d[0] for d in cur.description]
            marts[m] = (cols, normalise(cur.fetchall()))
    yield {"candidate": candidate, "marts": marts, "build": build, "seconds": seconds}
    shutil.rmtree(tmp, ignore_errors=True)


def assert_same_marts(reference: dict, fetch) -> None:
    """fetch(mart, columns) -> rows in that column order. Row counts, then every value, equal the DuckDB build's."""
    counts = {m: (len(rows), len(fetch(m, cols))) for m, (cols, rows) in reference["marts"].items()}
    assert {m: c[1] for m, c in counts.items()} == {m: c[0] for m, c in counts.items()}
    for mart, (cols, rows) in reference["marts"].items():
        got = normalise(fetch(mart, cols))
        diff = [(a, b) for a, b in zip(rows, got, strict=True) if a != b]
        assert not diff, f"{mart}: {len(diff)} rows differ from the DuckDB build, first: {diff[:2]}"
