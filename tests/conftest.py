"""Shared test set-up. Mirrors the Makefile's environment so `pytest` also works when run directly."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pipeline import ReplayRun, make_pipeline_env, make_run

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


@pytest.fixture
def pipeline_env(tmp_path, airflow_db_template) -> dict:
    """Isolated directories for one real pipeline run (nothing run yet)."""
    return make_pipeline_env(tmp_path / "pipeline", airflow_db_template)


@pytest.fixture(scope="session")
def replay_publication(tmp_path_factory, airflow_db_template) -> ReplayRun:
    """ONE real `make run` in replay mode for the whole session. Tests only READ it: a test that runs DAGs or
    changes files works on `copy_pipeline(replay_publication.env, tmp_path)`."""
    env = make_pipeline_env(tmp_path_factory.mktemp("replay_publication"), airflow_db_template)
    return ReplayRun(env, make_run(env).stdout)


@pytest.fixture(scope="session", autouse=True)
def dbt_local_packages():
    """A fresh clone has no dbt_project/dbt_packages (git-ignored): install the local package once, before any
    test invokes dbt (autouse session fixtures run first)."""
    from jamstat.settings import Settings
    from jamstat.transform.dbt_runner import ensure_dbt_packages

    ensure_dbt_packages(Settings.from_env())
