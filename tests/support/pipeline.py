"""Real pipeline runs for tests, each in its own directories: Airflow home (a copy of the migrated metadata DB),
data dir and warehouse dir, replay mode, the local replay server per task."""
from __future__ import annotations

import contextlib
import json
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
    env.pop("JAMSTAT_POSTGRES_URL", None)  # a test run never writes into a developer's PostgreSQL
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


def airflow_db(env: dict):
    """The run's Airflow metadata DB (SQLite), read-only."""
    import sqlite3

    return sqlite3.connect(f"file:{Path(env['AIRFLOW_HOME']) / 'airflow.db'}?mode=ro", uri=True)


def latest_run_id(env: dict, dag_id: str) -> str:
    with contextlib.closing(airflow_db(env)) as db:
        return db.execute("SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", [dag_id]).fetchone()[0]


def task_log_file(env: dict, dag_id: str, run_id: str, task_id: str, map_index: int = -1, attempt: int = 1) -> Path:
    """Where Airflow's default log_filename_template puts a task attempt's log (the file the UI reads)."""
    folder = Path(env["AIRFLOW_HOME"]) / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
    return (folder / f"map_index={map_index}" if map_index >= 0 else folder) / f"attempt={attempt}.log"


def task_log_events(path: Path) -> list[dict]:
    """The JSON lines of a task log file, as the UI parses them."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
