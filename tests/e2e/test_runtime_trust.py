"""The runtime's promises under attack, through the public paths (the task functions the DAGs call, `airflow dags
test`, `make run`) with real dbt builds, real gates and real DuckDB files:
* an interleaved second run cannot get an unaudited candidate published; a candidate changed after its audit
  is refused;
* kill -9 at each step of a publication leaves the database and the Parquet exports agreeing, old or new; the
  next run takes the crashed run's lock over and cleans its leftovers;
* two concurrent transform_publish runs each publish only what they audited;
* in `make run`, a failing KPI fails its own task; the rest is published and the failure is named with how
  stale its data is; a task a source holds is stopped at its execution_timeout."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from ingest.replay.server import MANIFEST, RECORDINGS, replay_server
from jamstat.gates.candidate_reader import candidate_digest
from jamstat.orchestration import audit_publish_tasks as tasks
from jamstat.orchestration import run_lock
from jamstat.publish.swap import PublishError
from jamstat.settings import Settings, safe_run_id
from tests.support.pipeline import REPO, make_pipeline_env

pytestmark = pytest.mark.slow

GATES = ("freshness", "great_expectations", "soda")
N21704_STOCKHOLM_2023 = {"K": 25.688929, "M": 15.778849, "T": 21.88749}


def _run(cmd: list[str], env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def committed(replay_publication, tmp_path) -> Path:
    """A private copy of the data dir of the session's replay publication: every recorded unit committed."""
    data = tmp_path / "data"
    shutil.copytree(replay_publication.env["JAMSTAT_DATA_DIR"], data, symlinks=True)
    return data


@pytest.fixture
def runtime(committed, tmp_path, monkeypatch) -> Settings:
    """Task functions run in this process against a private copy of the committed data and a fresh warehouse."""
    monkeypatch.setenv("JAMSTAT_DATA_DIR", str(committed))
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    monkeypatch.setenv("JAMSTAT_MODE", "replay")
    return Settings.from_env()


def _audit(run_id: str) -> str:
    digest = tasks.build_candidate(run_id)["candidate_sha256"]
    for gate in GATES:
        assert tasks.gate(gate, run_id)["candidate_sha256"] == digest
    return digest


def _add_synthetic_bad_batch(settings: Settings) -> None:
    """SYNTHETIC fault-test batch: N21704 Stockholm 2023 women at an impossible 120 %. Never real data."""
    folder = settings.batches_dir / "kolada"
    batch_id = "synthetic-interleaved-run"
    with duckdb.connect() as con:
        con.execute(f"""copy (select 'kolada' as source, 'N21704' as source_ref, '0180' as area_code, '2023' as period,
            'K' as sex, 120.0::double as value, null::varchar as status, '{{}}' as dims, false as is_deleted,
            '{batch_id}' as batch_id, now()::timestamp as fetched_at) to '{folder / (batch_id + '.parquet')}'
            (format parquet)""")
    (folder / f"{batch_id}.json").write_text(json.dumps({
        "batch_id": batch_id, "source": "kolada", "unit": "SYNTHETIC fault test", "source_refs": ["N21704"],
        "mode": "replay", "run_id": "synthetic", "fetched_at": "2026-11-30T00:00:00Z", "row_count": 1,
        "responses": [], "notes": ["SYNTHETIC: tests/e2e/test_runtime_trust.py"]}))


def _stockholm(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("""select f.sex, f.value from marts.fct_indicator_value f
            join marts.dim_indicator i using (indicator_id)
            where i.source_ref = 'N21704' and f.area_code = '0180' and f.period = '2023'""").fetchall())


def _publications(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        return con.execute("select run_id, candidate_sha256, failed_units from marts.publications "
                           "order by published_at").fetchall()


def test_an_interleaved_second_run_cannot_get_an_unaudited_candidate_published(runtime, monkeypatch):
    digest_a = _audit("run-A")
    _add_synthetic_bad_batch(runtime)  # run B would build a candidate no gate of run A saw
    monkeypatch.setenv("JAMSTAT_LOCK_WAIT_S", "1")
    with pytest.raises(run_lock.WarehouseBusy, match="run run-B could not lock the warehouse: run run-A"):
        tasks.build_candidate("run-B")
    tasks.quarantine("run-B")  # what the DAG does next; it must leave run A's candidate and lock alone
    assert candidate_digest(runtime.candidate_path) == digest_a
    tasks.publish("run-A")
    assert _stockholm(runtime.published_path) == N21704_STOCKHOLM_2023
    assert _publications(runtime)[-1][:2] == ("run-A", digest_a)


def test_a_candidate_changed_after_its_audit_is_refused(runtime):
    _audit("run-C")
    with duckdb.connect(str(runtime.candidate_path)) as con:  # a writer that ignores the lock
        con.execute("update marts.fct_indicator_value set value = value + 1")
    with pytest.raises(PublishError, match="is not the file the gates audited"):
        tasks.publish("run-C")
    assert not runtime.published_path.exists()
    assert run_lock.release(runtime, "run-C") is False, "publish gave the lock up although it refused"


KILL_POINTS = [("fsync", 1, "before"), ("replace", 1, "before"), ("replace", 1, "after"), ("replace", 2, "after")]
KILLER = """
import os, signal, sys
name, nth, when, run_id = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
real, calls = getattr(os, name), [0]
def wrapped(*args, **kwargs):
    if name == "replace" and str(args[1]).endswith("run_lock.json"):
        return real(*args, **kwargs)  # the lock's own bookkeeping is not a publication step
    calls[0] += 1
    if calls[0] == nth and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    result = real(*args, **kwargs)
    if calls[0] == nth and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(os, name, wrapped)
from jamstat.orchestration import audit_publish_tasks, run_lock
from jamstat.settings import Settings
run_lock.acquire(Settings.from_env(), run_id)
audit_publish_tasks.publish(run_id)
"""


def _agreeing_publication(settings: Settings) -> str:
    """The run id of the current publication, after checking that every mart in the database equals its
    Parquet export (EXCEPT ALL both ways)."""
    exports = settings.exports_dir / "current"
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        marts = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()]
        assert sorted(p.stem for p in exports.glob("*.parquet")) == sorted(marts)
        for t in marts:
            src = f"read_parquet('{exports / (t + '.parquet')}')"
            diff = con.execute(f"select (select count(*) from (select * from marts.{t} except all select * from {src}))"
                               f" + (select count(*) from (select * from {src} except all select * from marts.{t}))")
            assert diff.fetchone()[0] == 0, f"{t}: database and exports disagree"
        return con.execute("select run_id from marts.publications order by published_at desc limit 1").fetchone()[0]


def test_kill_9_at_each_publish_step_leaves_database_and_exports_agreeing(runtime):
    _audit("base")
    tasks.publish("base")
    results = runtime.work_dir / "results"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    seen = ["base"]
    for name, nth, when in KILL_POINTS:
        run_id = f"crash-{name}-{nth}-{when}"
        shutil.copytree(results / "base", results / run_id)  # the same audited candidate, another run
        out = _run([sys.executable, "-c", KILLER, name, str(nth), when, run_id], env)
        assert out.returncode == -9, out.stderr[-2000:]
        current = _agreeing_publication(runtime)
        assert current in (seen[-1], run_id), f"after kill at {run_id}: {current}"
        seen.append(current)
    assert seen[-1] != "base", "the last kill point lies after the switch: the new publication is complete"
    leftovers = [*runtime.publications_dir.glob(".*.tmp"), *runtime.warehouse_dir.glob(".*.tmp")]
    assert leftovers, "the kills before the switch left unfinished publications behind"
    # The next run takes the dead run's lock over at once and cleans up before it builds.
    tasks.build_candidate("after-crashes")
    assert not [*runtime.publications_dir.glob(".*.tmp"), *runtime.warehouse_dir.glob(".*.tmp")]
    for gate in GATES:
        tasks.gate(gate, "after-crashes")
    tasks.publish("after-crashes")
    assert _agreeing_publication(runtime) == "after-crashes"
    assert len(list(runtime.publications_dir.iterdir())) == runtime.keep_publications


def test_two_concurrent_runs_each_publish_only_what_they_audited(committed, tmp_path, airflow_db_template):
    """Two Airflow deployments (own metadata DBs) start transform_publish on one warehouse at the same time:
    one builds while the other waits for the run lock; both publish, each exactly the candidate it audited."""
    warehouse = tmp_path / "shared_warehouse"
    procs, logs = [], [tmp_path / f"deployment_{n}.log" for n in range(2)]
    for n, log in enumerate(logs):
        env = make_pipeline_env(tmp_path / f"deployment_{n}", airflow_db_template)
        env.update(JAMSTAT_DATA_DIR=str(committed), JAMSTAT_WAREHOUSE_DIR=str(warehouse))
        with log.open("w") as out:  # a file, not a pipe: the run holding the lock must never block on its output
            procs.append(subprocess.Popen([sys.executable, "-m", "airflow", "dags", "test", "transform_publish"],
                                          env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT))
    try:
        codes = [p.wait(timeout=1200) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert codes == [0, 0], "\n\n".join(log.read_text()[-3000:] for log in logs)
    settings = Settings(**{**Settings.from_env().__dict__, "warehouse_dir": warehouse})
    rows = _publications(settings)
    assert len(rows) == 2
    for run_id, digest, _ in rows:
        audited = json.loads((settings.reports_dir / safe_run_id(run_id) / "results.json").read_text())
        assert {g["candidate_sha256"] for g in audited} == {digest}, run_id
    _agreeing_publication(settings)


def test_make_run_with_a_failing_kpi_publishes_the_rest_and_names_it(tmp_path, airflow_db_template):
    env = make_pipeline_env(tmp_path / "pipeline", airflow_db_template)
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    for entry in manifest["entries"]:  # SYNTHETIC fault: the source fails for this one KPI's data
        if entry["path"] == "/kolada/v3/data/kpi/N21704/year/2023":
            entry["status"] = 500
    broken = Path(env["JAMSTAT_DATA_DIR"]).parent / "manifest_N21704_fails.json"
    broken.write_text(json.dumps(manifest), "utf-8")
    with replay_server() as good:  # the KPI was loaded once before, so its data is stale, not missing
        out = _run([sys.executable, "-m", "jamstat", "ingest", "kolada", "N21704"], {**env, "JAMSTAT_REPLAY_URL": good})
        assert out.returncode == 0, out.stderr
    with replay_server(manifest=broken, root=RECORDINGS) as url:
        out = _run([sys.executable, "-m", "tools.make_run"], {**env, "JAMSTAT_REPLAY_URL": url, "JAMSTAT_HTTP_ATTEMPTS": "1"})
    assert out.returncode == 1, out.stdout[-3000:]
    assert "FAILED ingest_kolada" in out.stdout and "OK  ingest_scb" in out.stdout
    assert "OK  transform_publish" in out.stdout and "published a new warehouse" in out.stdout
    assert "✘ kolada:N21704 failed in run" in out.stdout and "data last confirmed" in out.stdout
    settings = Settings(**{**Settings.from_env().__dict__, "warehouse_dir": Path(env["JAMSTAT_WAREHOUSE_DIR"]),
                           "data_dir": Path(env["JAMSTAT_DATA_DIR"])})
    assert _stockholm(settings.published_path) == N21704_STOCKHOLM_2023, "its last committed values stay published"
    (failed,) = json.loads(_publications(settings)[-1][2])
    assert failed["source"] == "kolada" and failed["unit"] == "N21704" and "HTTP 500" in failed["error"]
    assert failed["last_success_at"] and 0 <= failed["stale_hours"] < 1
    with duckdb.connect(str(settings.published_path), read_only=True) as con:
        scb_rows = con.execute("select count(*) from marts.fct_indicator_value f join marts.dim_indicator i "
                               "using (indicator_id) where i.source = 'scb'").fetchone()[0]
    assert scb_rows > 0, "the other sources were ingested and published"


class _OneTricklingKpi(BaseHTTPRequestHandler):
    """SYNTHETIC source: every request is a replay miss (the unit is skipped at once) except N21704's metadata,
    which answers one byte every half second, for ever as far as a task is concerned."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 - http.server's hook name
        try:
            if self.path.startswith("/kolada/v3/kpi/N21704"):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                for _ in range(100000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            self.send_response(404)
            self.send_header("X-Jamstat-Replay", "miss")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        except OSError:
            pass


def test_a_task_held_by_a_trickling_source_is_stopped_at_its_execution_timeout(tmp_path, airflow_db_template):
    """Even with the HTTP deadline set out of reach, Airflow stops the held task at its execution_timeout; the
    unit is recorded as failed and the other units, `record` and its Asset carry on."""
    env = make_pipeline_env(tmp_path / "pipeline", airflow_db_template)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OneTricklingKpi)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env.update(JAMSTAT_REPLAY_URL=f"http://127.0.0.1:{server.server_address[1]}", JAMSTAT_TASK_TIMEOUT_S="4",
               JAMSTAT_HTTP_DEADLINE_S="3600", JAMSTAT_RETRY_DELAY_S="1")
    t0 = time.monotonic()
    try:
        out = _run([sys.executable, "-m", "airflow", "dags", "test", "ingest_kolada"], env, timeout=600)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - t0 < 300
    assert out.returncode != 0, "verify_units fails the run"
    assert "AirflowTaskTimeout" in out.stdout + out.stderr
    assert re.search(r"end task task_id=record map_index=-1", out.stdout), "record ran and announced the Asset"
    failure = json.loads((Path(env["JAMSTAT_DATA_DIR"]) / "state" / "failures" / "kolada" / "N21704.json").read_text())
    assert failure["error"].startswith("AirflowTaskTimeout")
