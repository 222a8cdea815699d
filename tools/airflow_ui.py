"""`make up` / `make down`: the Airflow UI via `airflow standalone`, in the background.

`up` starts it in a new session (its own process group), waits until the API answers, and prints the URL
and login. `down` stops exactly what `up` started: the recorded PIDs and that process group, nothing else.
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

from jamstat.settings import REPO_ROOT
from tools.processes import airflow_admin_password, alive, group_members

AIRFLOW_HOME = Path(os.environ.get("AIRFLOW_HOME", ".airflow")).resolve()
PID_FILE = AIRFLOW_HOME / "standalone.pid"
LOG_FILE = AIRFLOW_HOME / "standalone.log"
PORT = int(os.environ.get("JAMSTAT_AIRFLOW_PORT", "8080"))


def _password() -> str | None:
    return airflow_admin_password(AIRFLOW_HOME)


def up(timeout_s: float = 120) -> int:
    if PID_FILE.exists():
        state = json.loads(PID_FILE.read_text())
        if alive(state["leader"]):
            print(f"Airflow is already up (PID {state['leader']}) at http://127.0.0.1:{PORT} — `make down` stops it.")
            return 0
        PID_FILE.unlink()
    # standalone starts its components as `airflow …` from PATH: the venv's bin must come first.
    venv_bin = str(Path(sys.executable).parent)
    env = {**os.environ, "AIRFLOW__API__PORT": str(PORT),
           "PATH": venv_bin + os.pathsep + os.environ.get("PATH", "")}
    # The follow-up report's plugin (plugins/jamstat_report.py): the report one click from the DAGs.
    env.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(REPO_ROOT / "plugins"))
    log = LOG_FILE.open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    PID_FILE.write_text(json.dumps({"leader": proc.pid, "pgid": proc.pid, "pids": [proc.pid]}))
    print(f"==> starting Airflow standalone (PID {proc.pid}); log: {LOG_FILE}", flush=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"Airflow standalone exited with {proc.returncode}; see {LOG_FILE}", file=sys.stderr)
            PID_FILE.unlink(missing_ok=True)
            return 1
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v2/monitor/health", timeout=2) as r:
                if r.status == 200 and _password():
                    break
        except OSError:
            pass
        time.sleep(2)
    else:
        print(f"Airflow did not answer within {timeout_s:.0f}s; see {LOG_FILE}. `make down` cleans up.",
              file=sys.stderr)
        return 1
    PID_FILE.write_text(json.dumps({"leader": proc.pid, "pgid": proc.pid, "pids": group_members(proc.pid)}))
    print(f"Airflow UI:  http://127.0.0.1:{PORT}\n  login:     admin / {_password()}\n"
          f"  (password file: {AIRFLOW_HOME / 'simple_auth_manager_passwords.json.generated'})\n"
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
    print(f"Stopped Airflow standalone: {len(targets)} process(es) of group {pgid}"
          + (f", {len(leftovers)} needed SIGKILL" if leftovers else ""))
    return 0


if __name__ == "__main__":
    sys.exit({"up": up, "down": down}[sys.argv[1]]())
