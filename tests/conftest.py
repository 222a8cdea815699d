"""Shared test set-up. Mirrors the Makefile's environment so `pytest` also works when run directly."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Same defaults as the Makefile exports (kept in step by tests/dags/test_dag_integrity.py::test_env_mirrors_makefile).
AIRFLOW_ENV_DEFAULTS = {
    "AIRFLOW_HOME": str(REPO / ".airflow"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__PARALLELISM": "4",
    "DO_NOT_TRACK": "1",
    "SODA_CORE_TELEMETRY_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
}
for key, value in AIRFLOW_ENV_DEFAULTS.items():
    os.environ.setdefault(key, value)
os.environ["PYTHONPATH"] = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")


def _ensure_airflow_db() -> Path:
    home = Path(os.environ["AIRFLOW_HOME"])
    db = home / "airflow.db"
    if not (home / ".initialised").exists():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True)
        subprocess.run([sys.executable, "-m", "jamstat.orchestration.airflow_pools"], check=True, capture_output=True)
        (home / ".initialised").touch()
    return db


@pytest.fixture(scope="session")
def airflow_db_template() -> Path:
    """The migrated Airflow metadata DB (created once by `make`); tests copy it, never use it directly."""
    return _ensure_airflow_db()


def make_pipeline_env(tmp_path_factory, airflow_db_template) -> dict:
    """Environment for a real pipeline run in isolation: own Airflow home, data dir and warehouse dir."""
    root = tmp_path_factory.mktemp("pipeline")
    home = root / "airflow"
    home.mkdir()
    shutil.copy2(airflow_db_template, home / "airflow.db")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "JAMSTAT_MODE": "replay",
        "JAMSTAT_DATA_DIR": str(root / "data"),
        "JAMSTAT_WAREHOUSE_DIR": str(root / "warehouse"),
    }
    env.pop("JAMSTAT_REPLAY_URL", None)
    return env


@pytest.fixture
def pipeline_env(tmp_path_factory, airflow_db_template) -> dict:
    return make_pipeline_env(tmp_path_factory, airflow_db_template)


@pytest.fixture(scope="session", autouse=True)
def dbt_local_packages():
    """A fresh clone has no dbt_project/dbt_packages (git-ignored): install the local package once, before any
    test invokes dbt (autouse session fixtures run first)."""
    from jamstat.settings import Settings
    from jamstat.transform.dbt_runner import ensure_dbt_packages

    ensure_dbt_packages(Settings.from_env())
