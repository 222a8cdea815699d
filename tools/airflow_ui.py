"""`make up` / `make down`: the Airflow UI and scheduler in the background, on this machine only.

`up` starts what `airflow standalone` would (api-server, scheduler, dag-processor, triggerer) but itself, so it
can keep them private: the API server listens on JAMSTAT_BIND (default 127.0.0.1), the scheduler and triggerer
start no log servers (ports 8793/8794 on every interface; the API server reads task logs from the local files
instead), and everything they write — the admin password file, logs — is readable by the owner only (umask
077). It waits until the API answers and prints the URL and login. `down` stops exactly what `up` started: the
recorded PIDs and their process group, nothing else.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from jamstat.settings import REPO_ROOT, Settings
from tools.processes import airflow_admin_password, alive, group_members

AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME", ".airflow")).resolve()
PID_FILE = AIRFLOW_HOME / "standalone.pid"
LOG_FILE = AIRFLOW_HOME / "standalone.log"
PASSWORD_FILE = AIRFLOW_HOME / "simple_auth_manager_passwords.json.generated"
PORT = int(os.environ.get("JAMSTAT_AIRFLOW_PORT", "8080"))
PRIVATE = 0o077  # umask: files 0600, directories 0700


def _components(host: str) -> dict[str, list[str]]:
    airflow = [sys.executable, "-m", "airflow"]
    return {"api-server": [*airflow, "api-server", "--host", host, "--port", str(PORT)],
            "scheduler": [*airflow, "scheduler", "--skip-serve-logs"],
            "dag-processor": [*airflow, "dag-processor"],
            "triggerer": [*airflow, "triggerer", "--skip-serve-logs"]}


def _env() -> dict[str, str]:
    # Components start `airflow …` children from PATH: the venv's bin must come first.
    venv_bin = str(Path(sys.executable).parent)
    # The follow-up report's plugin (plugins/jamstat_report.py): the report one click from the DAGs.
    plugins = {"AIRFLOW__CORE__PLUGINS_FOLDER": os.environ.get("AIRFLOW__CORE__PLUGINS_FOLDER",
                                                                str(REPO_ROOT / "plugins"))}
    return {**os.environ, **plugins, "AIRFLOW__API__PORT": str(PORT),
            "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FILE_PERMISSIONS": "0o600",
            "AIRFLOW__LOGGING__FILE_TASK_HANDLER_NEW_FOLDER_PERMISSIONS": "0o700",
            "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}


def _make_private() -> None:
    """Files an earlier `make up` (or `airflow standalone`) left readable by others."""
    for path in (PASSWORD_FILE, LOG_FILE, AIRFLOW_HOME / "airflow.cfg", AIRFLOW_HOME / "airflow.db"):
        if path.exists():
            path.chmod(0o600)


def _start(host: str) -> list[subprocess.Popen]:
    _make_private()
    fd = os.open(LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    procs: list[subprocess.Popen] = []
    with os.fdopen(fd, "ab") as log:
        for name, cmd in _components(host).items():
            group = procs[0].pid if procs else 0  # one process group of their own, for `down`
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=_env(), umask=PRIVATE,
                                          process_group=group))
            print(f"==> started airflow {name} (PID {procs[-1].pid})", flush=True)
    return procs


def _wait_until_ready(procs: list[subprocess.Popen], timeout_s: float) -> str | None:
    """None when the API answers and the admin password exists; else why not."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        exited = [p.pid for p in procs if p.poll() is not None]
        if exited:
            return f"Airflow process(es) {exited} exited; see {LOG_FILE}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v2/monitor/health", timeout=2) as r:
                if r.status == 200 and airflow_admin_password(AIRFLOW_HOME):
                    return None
        except OSError:
            pass
        time.sleep(2)
    return f"Airflow did not answer within {timeout_s:.0f}s; see {LOG_FILE}. `make down` cleans up."


def up(timeout_s: float = 180) -> int:
    if PID_FILE.exists():
        state = json.loads(PID_FILE.read_text())
        if alive(state["leader"]):
            print(f"Airflow is already up (PID {state['leader']}) at http://127.0.0.1:{PORT} — `make down` stops it.")
            return 0
        PID_FILE.unlink()
    host = Settings.from_env().bind_host
    procs = _start(host)
    leader = procs[0].pid
    PID_FILE.write_text(json.dumps({"leader": leader, "pgid": leader, "pids": [p.pid for p in procs]}))
    problem = _wait_until_ready(procs, timeout_s)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    PASSWORD_FILE.chmod(0o600)
    PID_FILE.write_text(json.dumps({"leader": leader, "pgid": leader, "pids": group_members(leader)}))
    where = "this machine only" if host in ("127.0.0.1", "localhost", "::1") else f"JAMSTAT_BIND={host}"
    print(f"Airflow UI:  http://127.0.0.1:{PORT}  (listening on {where})\n  login:     admin / "
          f"{airflow_admin_password(AIRFLOW_HOME)}\n  (password file, owner-only: {PASSWORD_FILE})\n"
          "  DAGs:      ingest_kolada, ingest_scb, ingest_files, transform_publish\n"
          f"  report:    http://127.0.0.1:{PORT}/plugin/jamstat-report (Report in the navigation; "
          "log in first)\n  stop with: make down")
    return 0


def down(grace_s: float = 15) -> int:
    if not PID_FILE.exists():
        print("Airflow is not running (no PID file from `make up`).")
        return 0
    state = json.loads(PID_FILE.read_text())
    pgid = state["pgid"]
    targets = sorted(set(state.get("pids", [])) | set(group_members(pgid)))
    for pid in targets:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(alive(p) for p in targets + group_members(pgid)):
        time.sleep(0.5)
    leftovers = [p for p in set(targets) | set(group_members(pgid)) if alive(p)]
    for pid in leftovers:  # the scheduler and workers can ignore SIGTERM for a while
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    PID_FILE.unlink(missing_ok=True)
    print(f"Stopped Airflow: {len(targets)} process(es) of group {pgid}"
          + (f", {len(leftovers)} needed SIGKILL" if leftovers else ""))
    return 0


if __name__ == "__main__":
    sys.exit({"up": up, "down": down}[sys.argv[1]]())
