"""A report that cannot be rendered fails its own task in a real transform_publish run: the publication stands,
the run is red, and warehouse/report/current keeps the previous report."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.support.pipeline import copy_pipeline, dags_test

pytestmark = pytest.mark.slow


def test_failed_render_keeps_the_publication_and_the_previous_report(replay_site, tmp_path):
    env = copy_pipeline(replay_site.env, tmp_path)
    env["JAMSTAT_REPORT_COUNTY"] = "99"  # no such county: the render fails after a good publication
    warehouse = Path(env["JAMSTAT_WAREHOUSE_DIR"])
    before = (warehouse / "report" / "current").resolve()
    result = dags_test(env, "transform_publish")
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
