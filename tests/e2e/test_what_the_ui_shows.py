"""What a data engineer sees after `make run`, read from the real Airflow metadata DB and task log files of real
DAG runs: statuses that are true (a task that did nothing is skipped with its reason, no error lines on a
clean run, an unchanged re-publication says so), task logs where the UI reads them, labelled mapped tasks, and
Asset events that carry the run's summary."""
from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.pipeline import (
    airflow_db,
    copy_pipeline,
    latest_run_id,
    make_run,
    published_path,
    run,
    task_log_events,
    task_log_file,
)

pytestmark = pytest.mark.slow

ERROR_LEVELS = {"error", "critical", "exception"}


def asset_extras(env: dict, asset: str) -> list[dict]:
    with contextlib.closing(airflow_db(env)) as db:
        rows = db.execute("SELECT e.extra FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE a.name = ? "
                          "ORDER BY e.id", [asset]).fetchall()
    return [json.loads(r[0]) for r in rows]


def task_states(env: dict, dag_id: str, run_id: str) -> dict[tuple[str, int], tuple[str, int, str | None]]:
    with contextlib.closing(airflow_db(env)) as db:
        rows = db.execute("SELECT task_id, map_index, state, try_number, rendered_map_index FROM task_instance "
                          "WHERE dag_id = ? AND run_id = ?", [dag_id, run_id]).fetchall()
    return {(t, m): (state, tries, label) for t, m, state, tries, label in rows}


# --- every status true ------------------------------------------------------------------------------------------
def test_unconfigured_postgres_publication_is_skipped_with_the_reason(replay_publication):
    env = replay_publication.env
    assert "JAMSTAT_POSTGRES_URL" not in env
    run_id = latest_run_id(env, "transform_publish")
    assert task_states(env, "transform_publish", run_id)[("publish_postgres", -1)][0] == "skipped"
    events = task_log_events(task_log_file(env, "transform_publish", run_id, "publish_postgres"))
    assert any(e["event"] == "Skipping task." and e["reason"].startswith(
        "JAMSTAT_POSTGRES_URL not set: no PostgreSQL copy of the marts was made") for e in events), events
    assert "· publish_postgres" in replay_publication.stdout and "skipped" in replay_publication.stdout


def test_a_clean_make_run_logs_no_error_line(replay_publication):
    """Every task log of every DAG run of a successful `make run` (and its console output) is free of errors:
    no 'XCom not found' from reading mapped results."""
    env = replay_publication.env
    logs = sorted((Path(env["AIRFLOW_HOME"]) / "logs").glob("dag_id=*/run_id=*/task_id=*/**/attempt=*.log"))
    assert len(logs) > 20
    errors = [(p.relative_to(env["AIRFLOW_HOME"]), e["event"]) for p in logs for e in task_log_events(p)
              if e.get("level") in ERROR_LEVELS]
    assert errors == []
    assert "[error" not in replay_publication.stdout and "XCom not found" not in replay_publication.stdout


def test_ingest_files_with_nothing_dropped_succeeds_without_error_lines(replay_publication, tmp_path):
    env = copy_pipeline(replay_publication.env, tmp_path)
    landing = Path(env["JAMSTAT_DATA_DIR"]) / "landing"
    for dropped in landing.iterdir():
        dropped.unlink()
    result = run([sys.executable, "-m", "tools.dag_runner", "ingest_files"], env)  # make run's DAG runner
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "[error" not in output and "XCom not found" not in output
    run_id = latest_run_id(env, "ingest_files")
    states = task_states(env, "ingest_files", run_id)
    assert states[("record", -1)][0] == "success" and states[("verify_units", -1)][0] == "success"
    summary = [e["event"] for e in task_log_events(task_log_file(env, "ingest_files", run_id, "record"))]
    assert any("nothing planned" in str(line) for line in summary), summary
    assert asset_extras(env, "jamstat_raw_files")[-1]["units_planned"] == 0


@pytest.fixture(scope="module")
def second_run(replay_publication, tmp_path_factory):
    """`make run` again on a copy of the session's run: same recorded data, nothing changes."""
    env = copy_pipeline(replay_publication.env, tmp_path_factory.mktemp("second_run"))
    return env, make_run(env).stdout


def test_a_republication_of_unchanged_data_is_reported_and_recorded_as_identical(replay_publication, second_run):
    env, stdout = second_run
    assert "published a new warehouse" in replay_publication.stdout
    assert "published again, every mart identical to the previous publication" in stdout
    assert "published a new warehouse" not in stdout
    with duckdb.connect(str(published_path(env)), read_only=True) as con:
        identical = [r[0] for r in con.execute(
            "SELECT identical_to_previous FROM marts.publications ORDER BY published_at").fetchall()]
    assert identical == [None, True]
    assert asset_extras(env, "jamstat_published")[-1]["identical_to_previous"] is True


# --- the UI tells the story -------------------------------------------------------------------------------------
def test_every_task_that_ran_has_its_log_where_the_ui_reads_it(replay_publication):
    env = replay_publication.env
    for dag_id in ("ingest_kolada", "ingest_scb", "ingest_files", "transform_publish"):
        run_id = latest_run_id(env, dag_id)
        with contextlib.closing(airflow_db(env)) as db:
            ran = db.execute("SELECT task_id, map_index, try_number FROM task_instance WHERE dag_id = ? AND "
                             "run_id = ? AND try_number > 0", [dag_id, run_id]).fetchall()
        assert ran, dag_id
        for task_id, map_index, tries in ran:
            path = task_log_file(env, dag_id, run_id, task_id, map_index, tries)
            events = task_log_events(path)
            assert path.stat().st_mode & 0o777 == 0o600, path  # owner-only, like a scheduler's task logs
            assert any(f"end task task_id={task_id} map_index={map_index}" in e["event"] for e in events), path
        assert f"run_id={run_id}/" in replay_publication.stdout  # the summary points to each run's task logs


def test_mapped_fetch_tasks_are_labelled_with_indicator_and_name(replay_publication):
    env = replay_publication.env
    kolada = task_states(env, "ingest_kolada", latest_run_id(env, "ingest_kolada"))
    labels = {label for (task, _), (_, _, label) in kolada.items() if task == "fetch"}
    assert any(label.startswith("N00945 temporary_parental_benefit_share_men: ") for label in labels), labels
    assert all(label and label.split()[0].startswith(("N", "U")) for label in labels)
    scb = task_states(env, "ingest_scb", latest_run_id(env, "ingest_scb"))
    assert any(label.startswith("population_by_sex_age: ") for (task, _), (_, _, label) in scb.items()
               if task == "fetch")


def _kolada_units_planned() -> list[str]:
    """The Kolada units the catalog plans (one per KPI), counted the way the DAG's plan task counts them."""
    from ingest.registry import source
    from jamstat.settings import Settings

    return source("kolada").plan(Settings.from_env())


def test_record_logs_the_run_summary_and_the_asset_event_carries_it(replay_publication):
    env = replay_publication.env
    run_id = latest_run_id(env, "ingest_kolada")
    lines = [str(e["event"]) for e in task_log_events(task_log_file(env, "ingest_kolada", run_id, "record"))]
    assert any(line.startswith("RUN SUMMARY ingest_kolada (source mode replay)") for line in lines), lines
    assert any("no recorded payload in replay mode: " in line for line in lines)
    extra = asset_extras(env, "jamstat_raw_kolada")[-1]
    planned = _kolada_units_planned()
    assert extra["source_mode"] == "replay" and extra["units_planned"] == len(planned) > 60
    assert set(extra["loaded"]) == {"N00945", "N21704"} and extra["unchanged"] == []
    assert extra["skipped_reason"] == "no recorded payload in replay mode"
    assert sorted(extra["skipped"]) == sorted(set(planned) - {"N00945", "N21704"})
    batches = Path(env["JAMSTAT_DATA_DIR"]) / "batches" / "kolada"
    for unit in ("N00945", "N21704"):
        batch = extra["batches"][unit]
        assert (batches / f"{batch['batch_id']}.parquet").is_file()
    assert extra["rows_loaded"] == sum(b["rows"] for b in extra["batches"].values()) > 0


def test_published_asset_event_names_the_publication_rows_and_gate_verdicts(replay_publication):
    env = replay_publication.env
    extra = asset_extras(env, "jamstat_published")[-1]
    with duckdb.connect(str(published_path(env)), read_only=True) as con:
        run_id, counts, gates = con.execute(
            "SELECT run_id, row_counts, gate_results FROM marts.publications").fetchone()
    assert extra["run_id"] == run_id == latest_run_id(env, "transform_publish")
    assert extra["publication"] == Path(os.path.realpath(published_path(env))).parent.name
    assert extra["rows_per_mart"] == json.loads(counts) and extra["rows_per_mart"]["fct_indicator_value"] > 0
    assert extra["gate_verdicts"] == {g["gate"]: g["verdict"] for g in json.loads(gates)}
    assert extra["gate_verdicts"] == dict.fromkeys(("dbt", "freshness", "great_expectations", "soda"), "PASS")
    assert extra["identical_to_previous"] is None and extra["source_modes"] == ["replay"]
