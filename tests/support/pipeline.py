"""Real pipeline runs for tests, each in its own directories: Airflow home (a copy of the migrated metadata DB),
data dir and warehouse dir, replay mode, the local replay server per task."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ReplayRun:
    env: dict          # the run's environment (its own Airflow home, data and warehouse dirs)
    stdout: str        # what `make run` printed


def make_pipeline_env(root: Path, airflow_db_template: Path) -> dict:
    """Environment for a real pipeline run in isolation under `root`."""
    home = root / "airflow"
    home.mkdir(parents=True)
    shutil.copy2(airflow_db_template, home / "airflow.db")
    env = {**os.environ, "AIRFLOW_HOME": str(home), "JAMSTAT_MODE": "replay",
           "JAMSTAT_DATA_DIR": str(root / "data"), "JAMSTAT_WAREHOUSE_DIR": str(root / "warehouse")}
    env.pop("JAMSTAT_REPLAY_URL", None)
    return env


def run(cmd: list[str], env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def make_run(env: dict) -> subprocess.CompletedProcess:
    """`make run`'s runner (every DAG, in order) in `env`; fails the calling test unless it published."""
    result = run([sys.executable, "-m", "tools.make_run"], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def dags_test(env: dict, dag_id: str, *args: str) -> subprocess.CompletedProcess:
    return run([sys.executable, "-m", "airflow", "dags", "test", dag_id, *args], env)


def copy_pipeline(env: dict, root: Path) -> dict:
    """A private copy of a finished run (Airflow home, data, warehouse) for a test that changes things; the
    original stays as it was for the tests that only read it."""
    copy = dict(env)
    for key, name in (("AIRFLOW_HOME", "airflow"), ("JAMSTAT_DATA_DIR", "data"), ("JAMSTAT_WAREHOUSE_DIR", "warehouse")):
        if Path(env[key]).exists():
            shutil.copytree(env[key], root / name, symlinks=True)
        copy[key] = str(root / name)
    return copy


def published_path(env: dict) -> Path:
    return Path(env["JAMSTAT_WAREHOUSE_DIR"]) / "jamstat.duckdb"
