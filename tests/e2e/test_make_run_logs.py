"""`make run` keeps each run's logs in its own folder instead of overwriting warehouse/logs/<dag>.log."""
from __future__ import annotations

import pytest

from jamstat.settings import Settings
from tools import make_run


def test_each_run_logs_to_its_own_folder_and_old_ones_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setattr(make_run, "KEEP_LOG_RUNS", 3)
    settings = Settings.from_env()
    folders = []
    for n in range(5):
        folder = make_run._log_dir(settings)
        (folder / "ingest_kolada.log").write_text(f"run {n}")
        folders.append(folder)
    assert len(set(folders)) == 5
    kept = sorted((tmp_path / "wh" / "logs").iterdir())
    assert kept == folders[-3:]
    assert [(f / "ingest_kolada.log").read_text() for f in kept] == ["run 2", "run 3", "run 4"]


@pytest.mark.parametrize("line, dag, ok", [("=== jamstat dag_runner END ingest_scb rc=0 seconds=4.2", "ingest_scb", True),
                                           ("=== jamstat dag_runner END ingest_kolada rc=1 seconds=30.0",
                                            "ingest_kolada", False)])
def test_progress_reads_each_dags_result_and_splits_the_log(tmp_path, line, dag, ok):
    progress = make_run.DagProgress(tmp_path)
    progress.feed(f"=== jamstat dag_runner BEGIN {dag}\n")
    progress.feed("2026-11-30T06:00:00Z [info] [DAG TEST] end task task_id=plan map_index=-1 new_state=success\n")
    progress.feed(line + "\n")
    assert progress.results == {dag: ok}
    assert "[DAG TEST] end task task_id=plan" in (tmp_path / f"{dag}.log").read_text()
