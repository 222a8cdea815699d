"""One module-scoped dbt build on a candidate DuckDB made from real recorded payloads."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from jamstat.settings import Settings
from jamstat.transform.dbt_runner import dbt_vars_args
from tests.dbt.candidate_fixture import REPO, build_candidate

PROJECT_DIR = REPO / "dbt_project"
DBT = Path(os.environ.get("JAMSTAT_DBT_BIN", REPO / ".venv" / "bin" / "dbt"))


def run_dbt(args: list[str], env: dict, target_path: Path, log_path: Path) -> subprocess.CompletedProcess:
    # Paths through the environment: `dbt deps` rejects --target-path, and a fresh clone must run deps.
    cmd = [str(DBT), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           *dbt_vars_args(Settings.from_env())]
    env = {**env, "DBT_TARGET_PATH": str(target_path), "DBT_LOG_PATH": str(log_path)}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def dbt_build(tmp_path_factory):
    """Build once: candidate file -> dbt build -> dbt docs generate (offline). Returns paths and timings."""
    tmp = tmp_path_factory.mktemp("dbt_build")
    candidate = tmp / "candidate.duckdb"
    summary = build_candidate(candidate)
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "JAMSTAT_CANDIDATE_PATH": str(candidate)}
    target, logs = tmp / "target", tmp / "logs"
    t0 = time.perf_counter()
    build = run_dbt(["build"], env, target, logs)
    build_s = time.perf_counter() - t0
    if (target / "run_results.json").exists():  # `docs generate` overwrites it
        shutil.copy(target / "run_results.json", target / "build_run_results.json")
    docs = run_dbt(["docs", "generate"], env, target, logs) if build.returncode == 0 else None
    yield {
        "candidate": candidate, "target": target, "build": build, "build_seconds": build_s, "docs": docs,
        "summary": summary,
    }
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def warehouse(dbt_build):
    assert dbt_build["build"].returncode == 0, dbt_build["build"].stdout[-6000:]
    con = duckdb.connect(str(dbt_build["candidate"]), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def manifest(dbt_build) -> dict:
    assert dbt_build["build"].returncode == 0, dbt_build["build"].stdout[-6000:]
    return json.loads((dbt_build["target"] / "manifest.json").read_text())
