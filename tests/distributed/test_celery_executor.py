"""The distributed executor, really run (issue "Serving and scale-out", item 6).

One module-scoped cluster (tools.celery_cluster.CeleryCluster): Redis and PostgreSQL on loopback ports, then Airflow's
api-server, scheduler, dag-processor and one Celery worker as separate processes with the CeleryExecutor. The
pipeline is triggered through the REST API (ingest_kolada and ingest_scb, then transform_publish) in replay mode with
an isolated AIRFLOW_HOME / JAMSTAT_DATA_DIR / JAMSTAT_WAREHOUSE_DIR. The tests then check the publication, that every
task ran in the Celery worker, that a backfill of past intervals changes nothing, and finally that stopping the cluster leaves no process behind.

A failure prints the process logs (and the logs of failed tasks) via CeleryCluster.diagnostics().
Wall time on the project's 2-core machine: about 4.5 minutes, so it runs in `make test-distributed`, not `make test`.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.support.servers import server_missing
from tools.celery_cluster import PIPELINE, PIPELINE_INGEST, CeleryCluster, ClusterError, RedisMissing
from tools.local_postgres import PostgresBinariesMissing

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(1500)]

# Real values: Kolada N21704 (home care for people 80+), 2023, Stockholm (0180).
N21704_STOCKHOLM_2023 = {"K": 25.688929, "M": 15.778849, "T": 21.88749}
WORKER = "jamstat-worker-1"
RECEIVED = re.compile(r"Task execute_workload\[([0-9a-f-]{36})\] received")
SUCCEEDED = re.compile(r"Task execute_workload\[([0-9a-f-]{36})\] succeeded")


def _missing(message: str):
    server_missing("DISTRIBUTED (CELERY) TEST", message)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("celery")
    cl = CeleryCluster(root, workers=1, concurrency=2, parallelism=4, start_timeout=240)
    try:
        try:
            cl.start()
        except (RedisMissing, PostgresBinariesMissing) as exc:
            _missing(str(exc))
        print(f"\ncluster up in {cl.timings['start_s']:.0f}s ({cl.root})", file=sys.stderr)
        cl.snapshot = cl.process_table()  # every process of the cluster while it runs
        try:
            cl.run_pipeline(timeout=720, progress=lambda s: print(f"  … {s}", file=sys.stderr))
        except ClusterError as exc:
            pytest.fail(f"the pipeline did not succeed on the CeleryExecutor:\n{exc}", pytrace=False)
        print(f"pipeline done in {cl.timings['pipeline_s']:.0f}s", file=sys.stderr)
        yield cl
    finally:
        report = cl.stop()
        print("\n" + report.summary(), file=sys.stderr)
    # Also when test_stop_leaves_no_process_behind was deselected or never reached.
    assert not report.leftovers, "processes left behind:\n" + report.summary()
    shutil.rmtree(root, ignore_errors=True)


def test_all_runs_succeeded_on_the_celery_executor(cluster):
    states = {dag_id: cluster.run_state(dag_id, run_id) for dag_id, run_id in cluster.runs.items()}
    assert states == dict.fromkeys(PIPELINE, "success"), cluster.diagnostics()
    # The scheduler really used the CeleryExecutor (not a LocalExecutor fallback).
    assert cluster.env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    scheduler_log = next(p for p in cluster.procs if p.name == "scheduler").log_path.read_text(errors="replace")
    assert "CeleryExecutor" in scheduler_log
    # Every task instance of the three runs finished (replay mode: KPIs without recordings are skipped).
    for dag_id, run_id in cluster.runs.items():
        tis = cluster.task_instances(dag_id, run_id)
        assert tis, dag_id
        bad = [t for t in tis if t["state"] not in ("success", "skipped")]
        assert not bad, f"{dag_id}: {bad}\n{cluster.diagnostics()}"
    published = {t["task_id"]: t["state"] for t in cluster.task_instances("transform_publish",
                                                                        cluster.runs["transform_publish"])}
    assert published["publish"] == "success" and published["quarantine"] == "skipped"


def test_publication_holds_real_values(cluster):
    path = cluster.warehouse_dir / "jamstat.duckdb"
    assert path.exists(), cluster.diagnostics()
    with duckdb.connect(str(path), read_only=True) as con:
        values = dict(con.execute("""
            select f.sex, f.value from marts.fct_indicator_value f
            join marts.dim_indicator i using (indicator_id)
            where i.source_ref = 'N21704' and f.area_code = '0180' and f.period = '2023'""").fetchall())
        pubs = con.execute("select run_id, source_modes from marts.publications").fetchall()
    assert values == N21704_STOCKHOLM_2023
    assert len(pubs) == 1
    run_id, modes = pubs[0]
    assert run_id == cluster.runs["transform_publish"]  # published by the run we triggered on the cluster
    assert json.loads(modes) == ["replay"]
    # Isolation: everything landed under the cluster's own dirs.
    assert list((cluster.data_dir / "batches").glob("*/*.parquet"))
    assert str(cluster.root) in cluster.env["AIRFLOW_HOME"]


def _worker_log_ids(cluster, wanted: set[str], timeout: float = 60) -> tuple[set[str], set[str]]:
    """Celery logs `succeeded` after the task process has already reported its state (which may end the DAG
    run), so the last task's line can lag the run's success by a moment."""
    deadline = time.monotonic() + timeout
    while True:
        log = cluster.worker_log()
        received, succeeded = set(RECEIVED.findall(log)), set(SUCCEEDED.findall(log))
        if wanted <= succeeded or time.monotonic() > deadline:
            return received, succeeded
        time.sleep(1)


def test_every_task_ran_in_the_celery_worker(cluster):
    tis = {(dag_id, run_id): cluster.task_instances(dag_id, run_id) for dag_id, run_id in cluster.runs.items()}
    received, succeeded = _worker_log_ids(
        cluster, {t["external_executor_id"] for ts in tis.values() for t in ts if t["external_executor_id"]})
    all_ids, never_queued = [], []
    for (dag_id, _run_id), task_instances in tis.items():
        for t in task_instances:
            label = f"{dag_id}.{t['task_id']}[{t['map_index']}]"
            if t["state"] == "skipped" and not t["external_executor_id"] and not t["hostname"]:
                never_queued.append(label)  # skipped by the scheduler's trigger rule: nothing to execute
                continue
            # hostname comes from AIRFLOW__CORE__HOSTNAME_CALLABLE, set only in the worker's environment
            assert t["hostname"] == WORKER, f"{label} ran on {t['hostname']!r}"
            assert t["queue"] == "default", label
            celery_id = t["external_executor_id"]
            assert celery_id, f"{label} has no Celery task id"
            assert celery_id in received and celery_id in succeeded, f"{label}: {celery_id} not in the worker log"
            all_ids.append(celery_id)
    assert never_queued == ["transform_publish.quarantine[-1]"]  # trigger_rule one_failed: nothing failed
    assert len(all_ids) == len(set(all_ids)) >= 20  # one Celery task per executed task instance
    # The Celery result backend (PostgreSQL) recorded them as well.
    results = cluster.celery_results(all_ids)
    assert results and set(results.values()) == {"SUCCESS"}, results
    # ... and the task logs were written by the worker's task processes into the isolated AIRFLOW_HOME.
    logs = cluster.task_log_files("transform_publish", cluster.runs["transform_publish"])
    assert any("task_id=publish" in str(p) for p in logs)


def test_ingest_dags_emitted_their_assets(cluster):
    """The outlets (which Asset-trigger transform_publish in a normal deployment) went through the Execution API."""
    rows = cluster.sql("""select a.name, e.source_dag_id, e.source_run_id from asset_event e
                          join asset a on a.id = e.asset_id where e.source_run_id = any(%s)""",
                       [[cluster.runs[d] for d in PIPELINE_INGEST]])
    emitted = {(name, dag_id) for name, dag_id, _ in rows}
    assert emitted >= {("jamstat_raw_kolada", "ingest_kolada"), ("jamstat_raw_scb", "ingest_scb")}, rows
    published = cluster.sql("""select count(*) from asset_event e join asset a on a.id = e.asset_id
                               where a.name = 'jamstat_published' and e.source_run_id = %s""",
                            [cluster.runs["transform_publish"]])
    assert published[0][0] == 1


def _batch_snapshot(data_dir: Path) -> dict[str, str]:
    batches = data_dir / "batches"
    return {str(p.relative_to(batches)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(batches.rglob("*")) if p.is_file()}


def test_backfill_of_an_interval_gives_the_same_result(cluster):
    """`airflow backfill` over past weekly intervals of ingest_scb (REST API, scheduler + Celery worker): one
    run per interval, every run succeeds, and the committed batches are byte-for-byte what the first run
    left - a backfill re-lands nothing and changes nothing (content-addressed, idempotent units)."""
    before = _batch_snapshot(cluster.data_dir)
    assert any(k.startswith("scb/") for k in before)
    backfill = cluster.backfill("ingest_scb", "2026-11-02T00:00:00Z", "2026-11-16T23:00:00Z")
    deadline = time.monotonic() + 300
    while True:
        runs = cluster.backfill_runs("ingest_scb", backfill["id"])
        if len(runs) == 3 and all(s in ("success", "failed") for s in runs.values()):
            break
        assert time.monotonic() < deadline, f"backfill runs not finished: {runs}\n{cluster.diagnostics()}"
        time.sleep(3)
    # weekly schedule (Mondays 06:00 UTC): 2, 9 and 16 November
    assert list(runs.values()) == ["success"] * 3, cluster.diagnostics()
    logical = [r[0] for r in cluster.sql("select to_char(logical_date at time zone 'UTC', 'YYYY-MM-DD') from dag_run "
                                         "where backfill_id = %s order by logical_date", [backfill["id"]])]
    assert logical == ["2026-11-02", "2026-11-09", "2026-11-16"]
    for run_id in runs:
        tis = cluster.task_instances("ingest_scb", run_id)
        assert tis and all(t["state"] in ("success", "skipped") for t in tis), tis
        assert {t["executor"] for t in tis if t["state"] == "success"} <= {"CeleryExecutor", None}
    assert _batch_snapshot(cluster.data_dir) == before


def test_cluster_ran_as_separate_processes(cluster):
    names = {p.name: p for p in cluster.procs}
    assert {"redis", "api-server", "scheduler", "dag-processor", "celery-worker-1"} <= set(names)
    pids = {p.pid for p in cluster.procs}
    assert len(pids) == len(cluster.procs)
    snapshot_pids = {p["pid"] for p in cluster.snapshot}
    assert pids <= snapshot_pids
    assert cluster.pg.pid in snapshot_pids
    for p in cluster.procs:
        assert p.running(), f"{p.name} died\n{cluster.diagnostics()}"
        assert os.getpgid(p.pid) == p.pid  # each one leads its own process group
    assert _port_open(cluster.redis_port) and _port_open(cluster.pg.port) and _port_open(cluster.api_port)
    print(f"\n{len(cluster.snapshot)} processes belonged to the cluster while it ran", file=sys.stderr)


def test_stop_leaves_no_process_behind(cluster):
    recorded = [p.pid for p in cluster.procs] + [cluster.pg.pid]
    report = cluster.stop()
    assert not report.leftovers, report.summary()
    assert report.postgres_stopped is True
    for pid in recorded:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), pid
    for info in cluster.snapshot:  # every process seen while running (workers' children, postgres backends …)
        assert not Path(f"/proc/{info['pid']}").exists() or _is_zombie(info["pid"]) \
            or info["cmdline"] != _cmdline(info["pid"]), info
    assert not any(_port_open(p) for p in (cluster.redis_port, cluster.pg.port, cluster.api_port))


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
