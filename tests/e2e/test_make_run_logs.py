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


def test_summary_shows_a_gate_with_warned_checks_as_warn():
    from jamstat.publish.swap import gate_digest

    gates = gate_digest([
        {"gate": "dbt", "success": True, "checks": [{"check": "a", "success": True, "status": "passed"},
                                                    {"check": "not_null_x", "success": True, "status": "warned"}]},
        {"gate": "soda", "success": True, "checks": [{"check": "b", "success": True, "status": "passed"}]},
        {"gate": "freshness", "success": False, "checks": [{"check": "c", "success": False, "status": "failed"}]}])
    assert [g["verdict"] for g in gates] == ["WARN", "PASS", "FAIL"]
    lines = make_run.gate_lines(gates)
    assert lines[0].split()[:2] == ["WARN", "dbt"] and "warned: not_null_x" in lines[0]
    assert lines[1].split()[:2] == ["PASS", "soda"]
    assert lines[2].split()[:2] == ["FAIL", "freshness"] and "failed: c" in lines[2]


def test_progress_reports_long_silent_tasks_and_mapped_counts(tmp_path, capsys, monkeypatch):
    progress = make_run.DagProgress(tmp_path)
    progress.feed("=== jamstat dag_runner BEGIN transform_publish\n")
    progress.feed("x [info] [DAG TEST] starting task_id=build_candidate map_index=-1\n")
    capsys.readouterr()
    progress.heartbeat()
    assert capsys.readouterr().out == ""  # not quiet for long yet
    monkeypatch.setattr(progress, "last_print", progress.last_print - make_run.QUIET_S - 1)
    progress.heartbeat()
    assert "build_candidate still running" in capsys.readouterr().out


def test_progress_echoes_the_record_tasks_run_summary(tmp_path, capsys):
    progress = make_run.DagProgress(tmp_path)
    progress.feed("=== jamstat dag_runner BEGIN ingest_kolada\n")
    for line in ("2026-11-30T09:07:38Z [info     ] RUN SUMMARY ingest_kolada (source mode replay): 63 unit(s) planned, "
                 "0 row(s) loaded\n",
                 "  unchanged            2  N21704, N00945\n",
                 "  skipped             61  no recorded payload in replay mode: N05816 [jamstat.tasks] loc=x.py:9\n",
                 "2026-11-30T09:07:39Z [info     ] Pushing xcom [task]\n"):
        progress.feed(line)
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == ["    RUN SUMMARY ingest_kolada (source mode replay): 63 unit(s) planned, 0 row(s) loaded",
                        "      unchanged            2  N21704, N00945",
                        "      skipped             61  no recorded payload in replay mode: N05816"]
