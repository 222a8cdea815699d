"""A report that cannot be rendered fails its own task in a real transform_publish run: the publication stands,
the run is red, and warehouse/report/current keeps the previous report."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, make_pipeline_env
from tests.report.conftest import copy_warehouse

pytestmark = pytest.mark.slow


def test_failed_render_keeps_the_publication_and_the_previous_report(replay_site, tmp_path, tmp_path_factory,
                                                                       airflow_db_template):
    env = make_pipeline_env(tmp_path_factory, airflow_db_template)
    warehouse = copy_warehouse(replay_site, tmp_path / "warehouse")
    shutil.copytree(replay_site.env["JAMSTAT_DATA_DIR"], tmp_path / "data")
    env |= {"JAMSTAT_WAREHOUSE_DIR": str(warehouse), "JAMSTAT_DATA_DIR": str(tmp_path / "data"),
            "JAMSTAT_REPORT_COUNTY": "99"}  # no such county: the render fails after a good publication
    before = (warehouse / "report" / "current").resolve()
    result = subprocess.run([sys.executable, "-m", "airflow", "dags", "test", "transform_publish"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode != 0, "the run is red"
    assert "'99' is not in marts.dim_area" in log, log[-3000:]
    with duckdb.connect(str(warehouse / "jamstat.duckdb"), read_only=True) as con:
        runs = [r[0] for r in con.execute("select run_id from marts.publications order by published_at").fetchall()]
        modes = json.loads(con.execute("select source_modes from marts.publications order by published_at desc"
                                       ).fetchone()[0])
    assert len(runs) == 2 and modes == ["replay"], "the new publication stands"
    assert (warehouse / "report" / "current").resolve() == before, "current keeps the previous report"
    assert Path(before / "index.html").exists()
    assert not [p for p in (warehouse / "report").iterdir() if p.name.startswith(".")]
