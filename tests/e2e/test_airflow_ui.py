"""`make up` / `make down`: the Airflow UI really starts, lists the DAGs with their descriptions, shows the task
logs of the runs `make run` made, listens on loopback only, keeps its password file and logs private, and
`down` stops exactly the processes `up` started (its recorded PIDs and process group), nothing else."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.support.pipeline import copy_pipeline, latest_run_id
from tools.processes import alive, descendants, free_port, listening_sockets

pytestmark = pytest.mark.slow


def api_get(port: int, token: str, path: str, **query) -> dict:
    url = f"http://127.0.0.1:{port}/api/v2/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=30))


def task_log_text(port: int, token: str, dag_id: str, run_id: str, task_id: str, **query) -> str:
    """What the UI's Logs tab shows for attempt 1 of a task (the same REST endpoint the UI calls)."""
    path = f"dags/{dag_id}/dagRuns/{urllib.parse.quote(run_id, safe='')}/taskInstances/{task_id}/logs/1"
    content = api_get(port, token, path, **query)["content"]
    return "\n".join(f"{c.get('event')} {c.get('reason', '')}" for c in content)


def test_up_lists_dags_shows_make_run_task_logs_and_down_stops_everything(replay_publication, tmp_path):
    env = copy_pipeline(replay_publication.env, tmp_path)  # the runs `make run` made, in their own Airflow home
    env["JAMSTAT_AIRFLOW_PORT"] = str(port := free_port())
    home = Path(env["AIRFLOW_HOME"])
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])  # must survive `down`
    try:
        up = subprocess.run([sys.executable, "-m", "tools.airflow_ui", "up"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=240)
        assert up.returncode == 0, up.stdout + up.stderr + (home / "standalone.log").read_text()[-3000:]
        assert f"http://127.0.0.1:{port}" in up.stdout and "admin /" in up.stdout
        password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/auth/token", method="POST",
                                     data=json.dumps({"username": "admin", "password": password}).encode(),
                                     headers={"Content-Type": "application/json"})
        token = json.load(urllib.request.urlopen(req, timeout=10))["access_token"]
        dags: set[str] = set()
        for _ in range(30):  # the dag-processor needs a moment to serialise the DAGs
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v2/dags",
                                         headers={"Authorization": f"Bearer {token}"})
            dags = {d["dag_id"] for d in json.load(urllib.request.urlopen(req, timeout=10))["dags"]}
            if len(dags) == 4:
                break
            time.sleep(2)
        assert dags == {"ingest_kolada", "ingest_scb", "ingest_files", "transform_publish"}
        descriptions = {d["dag_id"]: d["description"] for d in api_get(port, token, "dags")["dags"]}
        assert all(descriptions.values()), descriptions
        publish_run = latest_run_id(env, "transform_publish")
        assert "PUBLISHED" in task_log_text(port, token, "transform_publish", publish_run, "publish")
        assert "JAMSTAT_POSTGRES_URL not set" in task_log_text(port, token, "transform_publish", publish_run,
                                                               "publish_postgres")
        kolada_run = latest_run_id(env, "ingest_kolada")
        mapped = api_get(port, token, f"dags/ingest_kolada/dagRuns/{urllib.parse.quote(kolada_run, safe='')}"
                                      "/taskInstances", task_id="fetch", limit=100)["task_instances"]
        vab = next(t for t in mapped if t["rendered_map_index"].startswith("N00945 "))
        vab_log = task_log_text(port, token, "ingest_kolada", kolada_run, "fetch", map_index=vab["map_index"])
        assert '"unit": "N00945"' in vab_log and "Log file not found" not in vab_log
        started = json.loads((home / "standalone.pid").read_text())["pids"]
        assert len(started) > 3, "scheduler, api-server, dag-processor, triggerer run as separate processes"
        everything = sorted(set(started) | {d for p in started for d in descendants(p)})
        listeners = listening_sockets(everything)
        assert ("127.0.0.1", port) in {(a, p) for _, a, p in listeners}
        assert all(addr == "127.0.0.1" for _, addr, _ in listeners), f"non-loopback listeners: {listeners}"
        for private in ("simple_auth_manager_passwords.json.generated", "standalone.log"):
            mode = (home / private).stat().st_mode & 0o777
            assert mode == 0o600, f"{private} is {oct(mode)}"
    finally:
        down = subprocess.run([sys.executable, "-m", "tools.airflow_ui", "down"], env=env, cwd=REPO,
                              capture_output=True, text=True, timeout=120)
    assert down.returncode == 0 and "Stopped Airflow" in down.stdout
    assert not [p for p in started if alive(p)], "every process make up started is gone"
    assert not (home / "standalone.pid").exists()
    assert bystander.poll() is None, "down must not touch processes it did not start"
    bystander.kill()
