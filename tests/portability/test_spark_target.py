"""`dbt build --target spark` (dbt-spark, method: session, pyspark local[2]) in its own venv: same models, same
marts as on DuckDB. Runs with JAMSTAT_SPARK_TESTS=1 (`make test-spark`); needs Java 17 and PyPI for a first
.venv-spark (later runs reuse it: spark_env.sh is a no-op while requirements-spark.lock is unchanged).

Steps, each timed: venv (spark_env.sh) -> raw tables to Parquet (DuckDB, .venv) -> Spark tables raw.* (pyspark,
.venv-spark) -> dbt build (.venv-spark). Spark's warehouse dir and Derby metastore live in a temp dir (profile
env JAMSTAT_SPARK_DIR) and every process runs with that temp dir as cwd, so nothing lands in the repo.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.portability.conftest import (
    MARTS,
    N21704_STOCKHOLM_2023,
    PROJECT_DIR,
    REAL_VALUE_SQL,
    REPO,
    assert_same_marts,
    dbt_env,
    run_dbt,
)
from tools import engine_portability as portability

pytestmark = [pytest.mark.slow, pytest.mark.spark]

SPARK_VENV = Path(os.environ.get("JAMSTAT_SPARK_VENV", REPO / ".venv-spark"))
JAVA_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
JAVA_HINT = "apt-get install -y openjdk-17-jre-headless (Spark 4 runs on Java 17/21)"


def java_home() -> str:
    if os.environ.get("JAVA_HOME") and (Path(os.environ["JAVA_HOME"]) / "bin" / "java").exists():
        return os.environ["JAVA_HOME"]
    if (JAVA_17 / "bin" / "java").exists():
        return str(JAVA_17)
    java = shutil.which("java")
    if java:
        return str(Path(java).resolve().parent.parent)
    pytest.fail(f"no Java found for Spark: {JAVA_HINT}", pytrace=False)


def strays() -> list[Path]:
    """What Spark/Derby leave in a cwd; must never appear in the repo."""
    return [p for d in (REPO, PROJECT_DIR) for n in ("metastore_db", "spark-warehouse", "derby.log")
            if (p := d / n).exists()]


@pytest.fixture(scope="module")
def spark_build(reference, tmp_path_factory):
    assert not strays(), f"stray Spark state in the repo before the test: {strays()}"
    tmp = tmp_path_factory.mktemp("portability_spark")
    timings = {}
    t0 = time.perf_counter()
    venv = subprocess.run(["bash", str(REPO / "tests/portability/spark_env.sh")], capture_output=True, text=True,
                          timeout=900, env={**os.environ, "JAMSTAT_SPARK_VENV": str(SPARK_VENV)})
    timings["venv_s"] = time.perf_counter() - t0
    assert venv.returncode == 0, venv.stdout + venv.stderr

    spark_dir = tmp / "spark"
    env = dbt_env(JAVA_HOME=java_home(), JAMSTAT_SPARK_DIR=str(spark_dir), PYTHONPATH=str(REPO),
                  PYSPARK_PYTHON=str(SPARK_VENV / "bin" / "python"))
    t0 = time.perf_counter()
    exported = portability.export_raw(reference["candidate"], tmp / "raw_parquet")
    timings["export_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    load = subprocess.run([str(SPARK_VENV / "bin" / "python"), "-m", "tools.engine_portability", "spark",
                           "--parquet-dir", str(tmp / "raw_parquet")],
                          capture_output=True, text=True, timeout=600, env=env, cwd=tmp)
    timings["load_s"] = time.perf_counter() - t0
    assert load.returncode == 0, load.stdout[-3000:] + load.stderr[-3000:]
    loaded = json.loads(load.stdout.strip().splitlines()[-1])["rows"]

    t0 = time.perf_counter()
    build = run_dbt(SPARK_VENV / "bin" / "dbt", ["build", "--target", "spark"], env, tmp, cwd=tmp)
    timings["build_s"] = time.perf_counter() - t0
    timings["total_s"] = sum(timings.values())
    print("spark timings: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    yield {"spark_dir": spark_dir, "exported": exported, "loaded": loaded, "build": build, "timings": timings}
    shutil.rmtree(tmp, ignore_errors=True)


def _mart_files(spark_dir: Path, mart: str) -> str:
    """The Parquet files of a managed Spark table (default file format: parquet) in the test's warehouse dir."""
    files = sorted((spark_dir / "spark-warehouse" / "marts.db" / mart).glob("*.parquet"))
    assert files, f"no Parquet files for marts.{mart} under {spark_dir}"
    return "[" + ", ".join(f"'{f}'" for f in files) + "]"


def test_raw_tables_loaded_into_spark(spark_build):
    assert spark_build["loaded"] == spark_build["exported"]
    assert spark_build["loaded"]["observations"] > 0


def test_dbt_build_passes_on_spark(spark_build, reference):
    b = spark_build["build"]
    assert b.returncode == 0, b.stdout[-8000:] + b.stderr[-2000:]
    assert "ERROR=0" in b.stdout and "SKIP=0" in b.stdout
    assert b.stdout.split("TOTAL=")[-1].split()[0] == reference["build"].stdout.split("TOTAL=")[-1].split()[0]
    results = json.loads((spark_build["spark_dir"].parent / "target" / "run_results.json").read_text())
    kinds = {r["unique_id"].split(".")[0] for r in results["results"]}
    assert {"seed", "model", "test", "unit_test"} <= kinds          # contracts + unit tests ran on Spark too


def test_real_value_survives_on_spark(spark_build):
    import duckdb

    sql = REAL_VALUE_SQL.replace("marts.fct_indicator_value",
                                 f"read_parquet({_mart_files(spark_build['spark_dir'], 'fct_indicator_value')})")
    assert dict(duckdb.sql(sql).fetchall()) == N21704_STOCKHOLM_2023


def test_marts_equal_duckdb_build(spark_build, reference):
    import duckdb

    assert sorted(p.name for p in (spark_build["spark_dir"] / "spark-warehouse" / "marts.db").iterdir()) == MARTS

    def fetch(mart, cols):
        return duckdb.sql(f"select {', '.join(cols)} from read_parquet({_mart_files(spark_build['spark_dir'], mart)})"
                          ).fetchall()

    assert_same_marts(reference, fetch)


def test_no_spark_state_left_in_repo(spark_build):
    assert not strays()
    assert (spark_build["spark_dir"] / "metastore_db").is_dir()      # it went to the temp dir instead
