"""`make up` / `make down`: the Airflow UI really starts, lists the DAGs, listens on loopback only, keeps its
password file and logs private, and `down` stops exactly the processes `up` started (its recorded PIDs and
process group), nothing else."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO
from tools.processes import alive, descendants, free_port, listening_sockets

pytestmark = pytest.mark.slow


def test_up_lists_dags_and_down_stops_everything(pipeline_env):
    env = pipeline_env
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
