"""Issue 16 items 1-4 end to end, each test on a private copy of the session's replay publication:
`jamstat ingest` through the real replay server serving a changed copy of a real recording
(tests/replay_variant.py; the changes are SYNTHETIC), real file drops, real dbt builds and real `airflow dags test`
runs."""
from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from ingest.batch_log import batch_states
from ingest.replay.server import replay_server
from tests.replay_variant import add_area, set_value, write_variant
from tests.support.pipeline import copy_pipeline, dags_test, published_path, run

pytestmark = pytest.mark.slow

REAL = {"K": 25.688929, "M": 15.778849, "T": 21.88749}  # Kolada N21704 2023, Stockholm (the real recording)
SECRET = "JAMSTAT_E2E_SECRET=hunter2-must-not-leak"


@pytest.fixture
def env(replay_publication, tmp_path):
    return copy_pipeline(replay_publication.env, tmp_path / "pipeline")


def jamstat(env: dict, *args: str):
    return run([sys.executable, "-m", "jamstat", *args], env)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest_n21704(env: dict, folder: Path, edit=None, *, full: bool = False) -> str:
    """`jamstat ingest kolada N21704` against a replay server serving the (changed) recording; the batch id. A full
    snapshot fetches the default years (2014..now), otherwise only 2023 (incremental)."""
    manifest, root = write_variant(folder, edit)
    with replay_server(manifest=manifest, root=root) as url:
        out = jamstat({**env, "JAMSTAT_REPLAY_URL": url, **({} if full else {"JAMSTAT_KOLADA_YEARS": "2023"})},
                      "ingest", "kolada", "N21704", "--mode", "replay")
    assert out.returncode == 0, out.stdout + out.stderr
    data = Path(env["JAMSTAT_DATA_DIR"])
    states = [s for s in batch_states(data / "batches", data / "state") if s.check_unit == "N21704"]
    return max(states, key=lambda s: s.last_observed_at).batch_id


def published_rows(env: dict, sql: str) -> list[tuple]:
    with duckdb.connect(str(published_path(env)), read_only=True) as con:
        return con.execute(sql).fetchall()


N21704_0180 = ("select f.sex, f.value from marts.fct_indicator_value f join marts.dim_indicator i using (indicator_id) "
               "where i.source_ref = 'N21704' and f.area_code = '0180' and f.period = '2023'")


def test_a_poison_key_blocks_names_its_batch_and_its_retraction_unblocks(env, tmp_path):
    before = sha256(published_path(env))
    poison = ingest_n21704(env, tmp_path / "poison", add_area("9999"))
    blocked = dags_test(env, "transform_publish")
    assert blocked.returncode != 0, "an unknown area code must block publication"
    assert sha256(published_path(env)) == before
    report = next((Path(env["JAMSTAT_WAREHOUSE_DIR"]) / "quarantine").glob("*/quality_report.md")).read_text()
    command = f'jamstat batches retract {poison} --reason "…"'
    assert command in report and command in blocked.stdout + blocked.stderr, "the summary names batch and command"

    retracted = jamstat(env, "batches", "retract", poison[:12], "--reason", "area 9999 does not exist", "--by", "e2e")
    assert retracted.returncode == 0, retracted.stdout + retracted.stderr
    unblocked = dags_test(env, "transform_publish")
    assert unblocked.returncode == 0, unblocked.stdout[-3000:]
    assert published_rows(env, "select count(*) from marts.fct_indicator_value where source_area_code = '9999'") \
        == [(0,)]
    assert published_rows(env, f"select count(*) from marts.fct_indicator_value where batch_id = '{poison}'") == [(0,)]
    assert dict(published_rows(env, N21704_0180)) == pytest.approx(REAL)


def test_a_revision_the_source_takes_back_and_a_key_it_drops_do_not_stick(env, tmp_path):
    """Full snapshots (the default years 2014..now): A, then B (a revision 25.69 -> 27.5 and a poison key),
    then A again. The candidate holds A's value and no 9999 row: the revert is current again and the key the
    source stopped sending is gone, so the fixed source alone unblocks the build."""
    ingest_n21704(env, tmp_path / "a1", full=True)
    ingest_n21704(env, tmp_path / "b", lambda d: (set_value("0180", "K", 27.5)(d), add_area("9999")(d)),
                  full=True)
    a = ingest_n21704(env, tmp_path / "a2", full=True)
    code = ("from jamstat.orchestration.audit_publish_tasks import build_candidate; "
            "print(build_candidate('e2e-revert'))")
    out = run([sys.executable, "-c", code], env)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]  # the DAG's build task, in its environment
    candidate = Path(env["JAMSTAT_WAREHOUSE_DIR"]) / "work" / "candidate.duckdb"
    with duckdb.connect(str(candidate), read_only=True) as con:
        got = dict(con.execute(N21704_0180).fetchall())
        zombies = con.execute("select count(*) from raw.observations where area_code = '9999'").fetchone()[0]
        states = dict(con.execute("select state, count(*) from raw.batches where check_unit = 'N21704' "
                                  "group by state").fetchall())
        source_batch = con.execute("select distinct batch_id from marts.fct_indicator_value "
                                   "where source_ref = 'N21704'").fetchall()
    assert got == pytest.approx(REAL) and zombies == 0
    assert states["current"] == 1 and states["superseded"] >= 1 and source_batch == [(a,)]


MAPPING = ("file: vab_fk.csv\nindicator_id: vab_fk_open_data\n"
           "columns: {period: År, area: Kommun, sex: Kön, value: Antal nettodagar}\n")
# SYNTHETIC values, shaped like Försäkringskassan's VAB export (no real FK export is in the repository)
FK_CSV = ("År;Kommun;Kön;Antal nettodagar\n2023;0180 Stockholm;Kvinnor;1 250,5\n"
          "2023;0180 Stockholm;Män;980\n2023;0180 Stockholm;Samtliga;2 230,5\n")


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server API
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_dropped_file_reaches_the_marts_and_a_hostile_mapping_leaks_nothing(env, tmp_path):
    landing = Path(env["JAMSTAT_DATA_DIR"]) / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    secret = tmp_path / "secret.env"
    secret.write_text(SECRET + "\n", "utf-8")
    (landing / "vab_fk.csv").write_text(FK_CSV, "utf-8")
    (landing / "vab_fk.mapping.yaml").write_text(MAPPING, "utf-8")
    (landing / "steal.mapping.yaml").write_text(f"file: {os.path.relpath(secret, landing)}\n"
                                                + MAPPING.split("\n", 1)[1], "utf-8")
    (landing / "data.json").write_text(json.dumps({"file": str(secret)}), "utf-8")  # data, never a mapping
    _Hook.received = []
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    try:
        files = dags_test({**env, "JAMSTAT_NOTIFY_WEBHOOK": f"http://127.0.0.1:{hook.server_port}/hook"}, "ingest_files")
    finally:
        hook.shutdown()
        hook.server_close()
    assert files.returncode != 0, "the hostile mapping's task fails"
    notices = [n["text"] for n in _Hook.received]
    assert any("steal.mapping.yaml" in n and "must be a file name inside data/landing/" in n for n in notices), notices
    everything = files.stdout + files.stderr + json.dumps(notices) + "".join(
        p.read_text(errors="replace") for p in Path(env["AIRFLOW_HOME"]).rglob("*.log"))
    assert "hunter2" not in everything and "JAMSTAT_E2E_SECRET" not in everything
    raw = Path(env["JAMSTAT_DATA_DIR"]) / "raw"
    assert not any(b"hunter2" in p.read_bytes() for p in raw.rglob("*") if p.is_file())

    published = dags_test(env, "transform_publish")
    assert published.returncode == 0, published.stdout[-3000:]
    got = dict(published_rows(env, "select sex, value from marts.fct_indicator_value "
                                   "where indicator_id = 'vab_fk_open_data' and area_code = '0180' and period = '2023'"))
    assert got == {"K": 1250.5, "M": 980.0, "T": 2230.5}
