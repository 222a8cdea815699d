"""The distributed executor, really run: Airflow's CeleryExecutor as separate processes on one machine.

    with celery_cluster() as cluster:        # Redis + PostgreSQL on 127.0.0.1 ports, then the four Airflow processes
        cluster.env                          # the environment every process got (AIRFLOW_HOME, JAMSTAT_* dirs, ...)
        run_id = cluster.trigger("ingest_kolada")           # REST API: POST /api/v2/dags/{dag_id}/dagRuns
        cluster.wait_for_runs({"ingest_kolada": run_id})    # polls the metadata DB (PostgreSQL)
        cluster.task_instances("ingest_kolada", run_id)     # state, hostname, queue, celery task id per task
    # every process stopped (process groups, then a sweep for anything carrying the cluster's marker)
    cluster.cleanup.leftovers == []

What runs, each in its own session / process group, all bound to 127.0.0.1:

    redis-server      broker (no persistence: --save '' --appendonly no)
    postgres          metadata DB + Celery result backend (tools.local_postgres: initdb in its own temp dir, runs as `postgres`)
    api-server        REST API + the Execution API the task processes report to (--workers 1)
    scheduler         with AIRFLOW__CORE__EXECUTOR=CeleryExecutor: queues task workloads on Redis
    dag-processor     parses the repo's dags/ into the metadata DB
    celery worker     `airflow celery worker -H jamstat-worker-N@%h`, concurrency 2; runs every task

Every process is started with the environment variable JAMSTAT_CLUSTER_ID=<random>. Stopping sends SIGTERM to each
process group, SIGKILL after a bounded grace period, then sweeps /proc for any process that still carries the marker
(Airflow's task supervisor puts each task process in its own process group, so a group signal alone could miss
one). `cleanup.leftovers` lists whatever survived; the tests assert it is empty.

Task instances run in the worker report `hostname = jamstat-worker-N` (AIRFLOW__CORE__HOSTNAME_CALLABLE is set to
`worker_hostname` below, for the worker processes only), and their `external_executor_id` is the Celery task id the
worker logs as `Task execute_workload[<id>] received`.

The scheduler runs with AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE=False so the ingest DAGs' cron schedules do not add
runs of their own (catchup=False still creates a run for the latest past cron time on first unpause); runs
are started by `trigger()` only. Note that this switch also stops the scheduler from creating Asset-triggered runs,
so `run_pipeline()` triggers transform_publish itself after both ingest DAGs succeeded, as `make run` does.

Developer demo (prints the URLs and log files, runs the pipeline, then keeps the cluster up until Ctrl-C):

    python -m tools.celery_cluster demo [--keep] [--root DIR]
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools.processes import (
    airflow_admin_password,
    all_pids,
    descendants,
    free_port,
    group_members,
    proc_info,
    read_environ,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
MARKER_ENV = "JAMSTAT_CLUSTER_ID"
WORKER_NAME_ENV = "JAMSTAT_WORKER_NAME"
PIPELINE_INGEST = ("ingest_kolada", "ingest_scb")
PIPELINE = (*PIPELINE_INGEST, "transform_publish")
TERMINAL_RUN_STATES = {"success", "failed"}
REDIS_INSTALL_HINT = "apt-get update && apt-get install -y redis-server   (Debian/Ubuntu)"


class ClusterError(RuntimeError):
    """The cluster could not start or a run did not finish; the message carries the relevant log tails."""


class RedisMissing(ClusterError):
    """redis-server is not installed."""


def worker_hostname() -> str:
    """AIRFLOW__CORE__HOSTNAME_CALLABLE for the Celery worker: task instances record which worker ran them."""
    return os.environ.get(WORKER_NAME_ENV) or socket.getfqdn()


# --- processes -------------------------------------------------------------------------------------------------

def marked_processes(marker: str) -> list[dict]:
    """Live processes whose environment carries JAMSTAT_CLUSTER_ID=<marker> (zombies hold nothing: skipped)."""
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    for pid in all_pids():
        if pid == os.getpid():
            continue
        if needle in read_environ(pid):
            info = proc_info(pid)
            if info and info["state"] != "Z":
                found.append(info)
    return found


def _identities(pids) -> dict[int, int]:
    """{pid: start time} of the live (non-zombie) processes among pids."""
    out = {}
    for pid in pids:
        info = proc_info(pid)
        if info and info["state"] != "Z":
            out[pid] = info["start"]
    return out


def _still_alive(identities: dict[int, int]) -> list[int]:
    """PIDs from identities that still run as the same process (same start time, not a zombie)."""
    alive = []
    for pid, start in identities.items():
        info = proc_info(pid)
        if info and info["state"] != "Z" and info["start"] == start:
            alive.append(pid)
    return alive


def _ancestors(pid: int) -> set[int]:
    out = {pid}
    while (info := proc_info(pid)) and info["ppid"] > 0 and info["ppid"] not in out:
        pid = info["ppid"]
        out.add(pid)
    return out


def _die_with_parent() -> None:
    """preexec_fn: best effort against a hard-killed parent (SIGKILL, OOM): the child gets SIGTERM then
    (Linux prctl PR_SET_PDEATHSIG). Normal clean-up never relies on it."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class ManagedProcess:
    """One process we started, leader of its own session and process group (pgid == pid)."""

    name: str
    popen: subprocess.Popen
    log_path: Path
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class CleanupReport:
    stopped: list[str] = field(default_factory=list)        # "name pid=… (group of n)"
    needed_sigkill: list[str] = field(default_factory=list)
    swept: list[dict] = field(default_factory=list)          # marked processes found after the group signals
    leftovers: list[dict] = field(default_factory=list)      # anything still alive at the end (should be empty)
    postgres_stopped: bool | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"cleanup in {self.seconds:.1f}s: stopped {len(self.stopped)} process group(s): "
                 + "; ".join(self.stopped)]
        if self.needed_sigkill:
            lines.append("  needed SIGKILL: " + ", ".join(self.needed_sigkill))
        if self.swept:
            lines.append(f"  swept {len(self.swept)} marked straggler(s): "
                         + ", ".join(f"{p['pid']} {p['cmdline'][:60]}" for p in self.swept))
        lines.append(f"  postgres stopped: {self.postgres_stopped}")
        lines.append("  leftovers: " + (", ".join(f"{p['pid']} {p['cmdline'][:80]}" for p in self.leftovers)
                                        if self.leftovers else "none"))
        return "\n".join(lines)


# --- the cluster -----------------------------------------------------------------------------------------------

class CeleryCluster:
    """Redis + PostgreSQL + api-server, scheduler, dag-processor and Celery worker(s); see the module docstring."""

    def __init__(self, root: Path, *, workers: int = 1, concurrency: int = 2, parallelism: int = 4,
                 extra_env: dict[str, str] | None = None, start_timeout: float = 240.0):
        self.root = Path(root)
        self.workers = workers
        self.concurrency = concurrency
        self.parallelism = parallelism
        self.extra_env = extra_env or {}
        self.start_timeout = start_timeout
        self.marker = secrets.token_hex(8)
        self.log_dir = self.root / "logs"
        self.airflow_home = self.root / "airflow"
        self.data_dir = self.root / "data"
        self.warehouse_dir = self.root / "warehouse"
        self.procs: list[ManagedProcess] = []
        self.pg = None  # tools.local_postgres.PgServer
        self.redis_port: int | None = None
        self.api_port: int | None = None
        self.env: dict[str, str] = {}
        self.cleanup: CleanupReport | None = None
        self.timings: dict[str, float] = {}
        self.runs: dict[str, str] = {}           # {dag_id: run_id} of the last run_pipeline()
        self.snapshot: list[dict] = []            # process_table() taken by the caller while the cluster runs
        self._observed: dict[int, int] = {}       # {pid: start time} of every cluster process ever seen
        self._token: str | None = None

    # -- start ------------------------------------------------------------------------------------------------
    def start(self) -> CeleryCluster:
        started = time.monotonic()
        for d in (self.log_dir, self.airflow_home, self.data_dir, self.warehouse_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._start_redis()
        self._start_postgres()
        self.env = self._airflow_env()
        self._step("db-migrate", [sys.executable, "-m", "airflow", "db", "migrate"], timeout=300)
        self._step("pools", [sys.executable, "-m", "jamstat.orchestration.airflow_pools"], timeout=120)
        self.timings["infra_s"] = time.monotonic() - started
        self._spawn("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(self.api_port),
                                   "--workers", "1"])
        self._spawn("scheduler", ["scheduler", "--skip-serve-logs"])  # no log server on every interface
        self._spawn("dag-processor", ["dag-processor"])
        for n in range(1, self.workers + 1):
            name = f"jamstat-worker-{n}"
            self._spawn(f"celery-worker-{n}",
                        ["celery", "worker", "--celery-hostname", f"{name}@%h", "--concurrency",
                         str(self.concurrency), "--skip-serve-logs", "--without-gossip", "--without-mingle"],
                        extra_env={WORKER_NAME_ENV: name,
                                   "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tools.celery_cluster.worker_hostname"})
        self._wait_ready(started + self.start_timeout)
        self.timings["start_s"] = time.monotonic() - started
        return self

    def _child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(base if base is not None else os.environ)
        env[MARKER_ENV] = self.marker
        return env

    def _popen(self, name: str, cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> ManagedProcess:
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("ab")
        try:
            popen = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=env, cwd=str(cwd or REPO_ROOT), start_new_session=True,
                                     preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        finally:
            log.close()
        proc = ManagedProcess(name, popen, log_path)
        self.procs.append(proc)
        return proc

    def _start_redis(self) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            raise RedisMissing(f"redis-server NOT FOUND on PATH. Install it: {REDIS_INSTALL_HINT}")
        redis_dir = self.root / "redis"
        redis_dir.mkdir(exist_ok=True)
        last = ""
        for _attempt in range(3):  # a probed free port can be taken before redis binds it
            self.redis_port = free_port()
            proc = self._popen("redis", [exe, "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no", "--dir", str(redis_dir),
                                         "--daemonize", "no", "--protected-mode", "yes"],
                               self._child_env())
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and proc.running():
                if self._redis_ping():
                    return
                time.sleep(0.2)
            last = proc.tail(20)
            self._stop_proc(proc, grace=5)
            self.procs.remove(proc)
        raise ClusterError(f"redis-server did not answer PING:\n{last}")

    def _redis_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _start_postgres(self) -> None:
        from tools.local_postgres import start_server

        # The marker goes into the server's environment too (pg_ctl → postgres inherit it).
        saved = os.environ.get(MARKER_ENV)
        os.environ[MARKER_ENV] = self.marker
        try:
            # Its own temp dir (pgserver default): the server runs as the `postgres` user, which cannot enter a
            # private (0700) parent such as pytest's tmp_path.
            self.pg = start_server(settings={"max_connections": "120"})
        finally:
            if saved is None:
                os.environ.pop(MARKER_ENV, None)
            else:
                os.environ[MARKER_ENV] = saved
        self.pg.create_database("airflow")

    def _airflow_env(self) -> dict[str, str]:
        assert self.pg is not None
        self.api_port = free_port()
        base = {k: v for k, v in os.environ.items()
                if not k.startswith("AIRFLOW__") and k not in ("AIRFLOW_HOME", "JAMSTAT_REPLAY_URL",
                                                                  "JAMSTAT_POSTGRES_URL", "AIRFLOW_CONFIG")}
        db = self.pg.url_for("airflow")
        env = {
            **base,
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "1",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.api_port}/execution/",
            "AIRFLOW__CORE__FERNET_KEY": "",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db.replace("postgresql://", "postgresql+psycopg2://", 1),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE": "3",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "5",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.concurrency),
            "AIRFLOW__CELERY__SYNC_PARALLELISM": "1",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{self.api_port}",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "JAMSTAT_MODE": "replay",
            "JAMSTAT_DATA_DIR": str(self.data_dir),
            "JAMSTAT_WAREHOUSE_DIR": str(self.warehouse_dir),
            "PYTHONPATH": str(REPO_ROOT) + (os.pathsep + base["PYTHONPATH"] if base.get("PYTHONPATH") else ""),
            "DO_NOT_TRACK": "1",
            "SODA_CORE_TELEMETRY_ENABLED": "false",
            "GX_ANALYTICS_ENABLED": "false",
            **self.extra_env,
        }
        return self._child_env(env)

    def _step(self, name: str, cmd: list[str], timeout: float) -> None:
        t0 = time.monotonic()
        proc = self._popen(name, cmd, self.env)
        try:
            rc = proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._stop_proc(proc, grace=5)
            raise ClusterError(f"{name} did not finish within {timeout:.0f}s:\n{proc.tail(40)}") from None
        finally:
            self.timings[f"{name}_s"] = time.monotonic() - t0
        self.procs.remove(proc)
        if rc != 0:
            raise ClusterError(f"{name} failed (exit {rc}):\n{proc.tail(40)}")

    def _spawn(self, name: str, airflow_args: list[str], extra_env: dict[str, str] | None = None) -> ManagedProcess:
        return self._popen(name, [sys.executable, "-m", "airflow", *airflow_args], {**self.env, **(extra_env or {})})

    def _wait_ready(self, deadline: float) -> None:
        pending = {"api-server health", "scheduler heartbeat", "dag-processor heartbeat", "dags parsed",
                   *(f"{p.name} ready" for p in self.procs if p.name.startswith("celery-worker"))}
        while pending:
            for p in self.procs:
                if not p.running():
                    raise ClusterError(f"{p.name} exited with {p.popen.returncode} during start-up\n"
                                       + self.diagnostics())
            health = self._health()
            if health:
                pending.discard("api-server health")
                if health.get("scheduler", {}).get("status") == "healthy":
                    pending.discard("scheduler heartbeat")
                if health.get("dag_processor", {}).get("status") == "healthy":
                    pending.discard("dag-processor heartbeat")
            for p in self.procs:
                if p.name.startswith("celery-worker") and " ready." in p.tail(200):
                    pending.discard(f"{p.name} ready")
            if "dags parsed" in pending and self._dags_parsed():
                pending.discard("dags parsed")
            if not pending:
                break
            if time.monotonic() > deadline:
                raise ClusterError(f"cluster not ready within {self.start_timeout:.0f}s; still waiting for: "
                                   f"{', '.join(sorted(pending))}\n" + self.diagnostics())
            time.sleep(1.0)

    def _health(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/api/v2/monitor/health", timeout=3) as r:
                return json.loads(r.read())
        except (OSError, ValueError):
            return None

    def _dags_parsed(self) -> bool:
        try:
            rows = self.sql("select d.dag_id from dag d join serialized_dag s using (dag_id) "
                            "where d.dag_id = any(%s) and not d.is_paused", [list(PIPELINE)])
        except Exception:  # noqa: BLE001 - tables appear during start-up
            return False
        return {r[0] for r in rows} == set(PIPELINE)

    # -- use --------------------------------------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def sql(self, query: str, params=None) -> list[tuple]:
        """Read the Airflow metadata DB (PostgreSQL)."""
        assert self.pg is not None
        with self.pg.connect("airflow", autocommit=True) as con:
            return con.execute(query, params).fetchall()

    def admin_password(self) -> str | None:
        return airflow_admin_password(self.airflow_home)

    def _api(self, method: str, path: str, body: dict | None = None, *, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        req = urllib.request.Request(self.api_url + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise ClusterError(f"{method} {path} -> HTTP {exc.code}: {exc.read().decode(errors='replace')}") from exc

    def token(self) -> str:
        if not self._token:
            password = self.admin_password()
            if not password:
                raise ClusterError("no admin password file from the api-server (SimpleAuthManager)")
            self._token = self._api("POST", "/auth/token", {"username": "admin", "password": password},
                                    auth=False)["access_token"]
        return self._token

    def trigger(self, dag_id: str, run_id: str | None = None) -> str:
        """Start a DAG run through the REST API; returns its run_id."""
        run_id = run_id or f"celery__{dag_id}__{time.strftime('%Y%m%dT%H%M%S')}_{secrets.token_hex(2)}"
        out = self._api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"dag_run_id": run_id, "logical_date": None})
        return out["dag_run_id"]

    def backfill(self, dag_id: str, from_date: str, to_date: str, max_active_runs: int = 1) -> dict:
        """Create a backfill through the REST API (as `airflow backfill create` does); the scheduler then
        creates one run per schedule interval in [from_date, to_date]. Returns the backfill object."""
        return self._api("POST", "/api/v2/backfills", {
            "dag_id": dag_id, "from_date": from_date, "to_date": to_date, "max_active_runs": max_active_runs,
            "reprocess_behavior": "completed", "run_backwards": False, "dag_run_conf": {}})

    def backfill_runs(self, dag_id: str, backfill_id: int) -> dict[str, str | None]:
        """{run_id: state} of the runs the scheduler created for one backfill."""
        return dict(self.sql("select run_id, state from dag_run where dag_id = %s and backfill_id = %s "
                             "order by logical_date", [dag_id, backfill_id]))

    def run_state(self, dag_id: str, run_id: str) -> str | None:
        rows = self.sql("select state from dag_run where dag_id = %s and run_id = %s", [dag_id, run_id])
        return rows[0][0] if rows else None

    def wait_for_runs(self, runs: dict[str, str], timeout: float = 600, poll: float = 3.0,
                      progress=None) -> dict[str, str]:
        """Wait until every {dag_id: run_id} is success or failed; raises ClusterError on timeout or a dead
        process. Returns the final states."""
        deadline = time.monotonic() + timeout
        states: dict[str, str | None] = {}
        last_report = ""
        while True:
            states = {d: self.run_state(d, r) for d, r in runs.items()}
            if progress:
                report = ", ".join(f"{d}={s}" for d, s in states.items()) + " | " + self.task_state_counts(runs)
                if report != last_report:
                    progress(report)
                    last_report = report
            if all(s in TERMINAL_RUN_STATES for s in states.values()):
                return states  # type: ignore[return-value]
            dead = [p for p in self.procs if not p.running()]
            if dead:
                raise ClusterError(", ".join(f"{p.name} exited with {p.popen.returncode}" for p in dead)
                                   + f" while waiting for {states}\n" + self.diagnostics())
            if time.monotonic() > deadline:
                raise ClusterError(f"runs not finished within {timeout:.0f}s: {states}\n" + self.diagnostics())
            time.sleep(poll)

    def task_state_counts(self, runs: dict[str, str]) -> str:
        rows = self.sql("select coalesce(state, 'none'), count(*) from task_instance "
                        "where (dag_id, run_id) in (select * from unnest(%s::text[], %s::text[])) group by 1 "
                        "order by 1", [list(runs), list(runs.values())])
        return " ".join(f"{s}={n}" for s, n in rows) or "no tasks yet"

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        cols = ("task_id", "map_index", "state", "hostname", "queue", "external_executor_id", "pid", "try_number",
                "executor")
        rows = self.sql(f"select {', '.join(cols)} from task_instance where dag_id = %s and run_id = %s "
                        "order by task_id, map_index", [dag_id, run_id])
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def celery_results(self, task_ids: list[str]) -> dict[str, str]:
        """Celery result backend rows (PostgreSQL table celery_taskmeta): task id -> status."""
        if not task_ids:
            return {}
        rows = self.sql("select task_id, status from celery_taskmeta where task_id = any(%s)", [task_ids])
        return dict(rows)

    def worker_log(self) -> str:
        return "\n".join(p.log_path.read_text(encoding="utf-8", errors="replace")
                         for p in self.procs if p.name.startswith("celery-worker") and p.log_path.exists())

    def task_log_files(self, dag_id: str, run_id: str) -> list[Path]:
        return sorted((self.airflow_home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}").rglob("*.log"))

    def diagnostics(self, lines: int = 60) -> str:
        """Process states and log tails, plus the logs of failed tasks: what a developer needs to see why."""
        out = [f"==== cluster {self.root} (marker {self.marker}) ===="]
        for p in self.procs:
            status = "running" if p.running() else f"exited {p.popen.returncode}"
            out.append(f"---- {p.name} pid={p.pid} {status}; last {lines} lines of {p.log_path} ----")
            out.append(p.tail(lines))
        if self.pg is not None:
            pg_log = Path(self.pg.base_dir) / "server.log"
            if pg_log.exists():
                out.append(f"---- postgres log {pg_log} (last 20) ----")
                out.append("\n".join(pg_log.read_text(errors="replace").splitlines()[-20:]))
        with contextlib.suppress(Exception):
            failed = self.sql("select dag_id, run_id, task_id, map_index, state from task_instance "
                              "where state in ('failed', 'upstream_failed', 'up_for_retry') order by dag_id, task_id")
            for dag_id, run_id, task_id, map_index, state in failed[:10]:
                folder = self.airflow_home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
                if map_index >= 0:
                    folder = folder / f"map_index={map_index}"
                out.append(f"---- task {dag_id}.{task_id}[{map_index}] {state} ({folder}) ----")
                for f in sorted(folder.glob("*.log"))[-1:]:
                    out.append("\n".join(f.read_text(errors="replace").splitlines()[-40:]))
        with contextlib.suppress(Exception):
            errors = self.sql("select filename, stacktrace from import_error")
            for filename, trace in errors:
                out.append(f"---- DAG import error {filename} ----\n{trace[-2000:]}")
        return "\n".join(out)

    def run_pipeline(self, timeout: float = 900, progress=print) -> dict[str, str]:
        """ingest_kolada and ingest_scb in parallel, then transform_publish; returns {dag_id: run_id}.
        Raises ClusterError (with diagnostics) if any run does not succeed."""
        t0 = time.monotonic()
        deadline = t0 + timeout
        runs = self.runs = {dag_id: self.trigger(dag_id) for dag_id in PIPELINE_INGEST}
        progress(f"triggered {runs}")
        states = self.wait_for_runs(runs, timeout=deadline - time.monotonic(), progress=progress)
        self.timings["ingest_s"] = time.monotonic() - t0
        if any(s != "success" for s in states.values()):
            raise ClusterError(f"ingest runs did not succeed: {states}\n" + self.diagnostics())
        t1 = time.monotonic()
        runs["transform_publish"] = self.trigger("transform_publish")
        progress(f"triggered transform_publish {runs['transform_publish']}")
        state = self.wait_for_runs({"transform_publish": runs["transform_publish"]},
                                   timeout=deadline - time.monotonic(), progress=progress)["transform_publish"]
        self.timings["transform_publish_s"] = time.monotonic() - t1
        self.timings["pipeline_s"] = time.monotonic() - t0
        if state != "success":
            raise ClusterError(f"transform_publish ended {state}\n" + self.diagnostics())
        return runs

    # -- stop -------------------------------------------------------------------------------------------------
    def _stop_proc(self, proc: ManagedProcess, grace: float) -> bool:
        """SIGTERM the leader, then its group, SIGKILL after grace; reap. Returns True if SIGKILL was needed."""
        members = _identities(set(group_members(proc.pid)) | set(descendants(proc.pid)) | {proc.pid})
        _signal(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and _still_alive(members):
            proc.popen.poll()
            time.sleep(0.2)
        survivors = _still_alive(members)
        for pid in survivors:
            _signal(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(timeout=10)
        return bool(survivors)

    def stop(self, grace: float = 20.0) -> CleanupReport:
        """Stop everything this cluster started, whatever state it is in. Never raises."""
        if self.cleanup is not None:
            return self.cleanup
        t0 = time.monotonic()
        report = CleanupReport()
        with contextlib.suppress(Exception):
            self.process_table()  # remember every process of the cluster before anything is signalled
        # Workers first (no new task processes), then the scheduler, dag-processor, api-server, redis.
        order = sorted(self.procs, key=lambda p: (0 if p.name.startswith("celery") else
                                                  1 if p.name == "scheduler" else
                                                  2 if p.name == "dag-processor" else
                                                  3 if p.name == "api-server" else 4))
        # Airflow processes in parallel. Phase 1: SIGTERM to each leader only, as Airflow and Celery expect
        # (the Celery worker shuts its pool down itself; the scheduler stops its executor). Phase 2: SIGTERM to
        # whatever is left in each group or below each leader. Phase 3: SIGKILL. Every wait is bounded.
        airflow = [p for p in order if p.name != "redis"]
        seen = {p.name: _identities(set(group_members(p.pid)) | set(descendants(p.pid)) | {p.pid})
                for p in airflow}

        def remaining(p: ManagedProcess) -> list[int]:
            p.popen.poll()
            if p.popen.returncode is None:  # the leader's group is ours while the leader is unreaped
                seen[p.name] |= _identities(set(group_members(p.pid)) - set(seen[p.name]))
            return _still_alive(seen[p.name])

        def wait_all(seconds: float) -> None:
            until = time.monotonic() + seconds
            while time.monotonic() < until and any(remaining(p) for p in airflow):
                time.sleep(0.25)

        for p in airflow:
            _signal(p.pid, signal.SIGTERM)
        wait_all(grace)
        for p in airflow:
            for pid in remaining(p):
                _signal(pid, signal.SIGTERM)
        wait_all(5)
        for p in airflow:
            survivors = remaining(p)
            if survivors:
                report.needed_sigkill.append(
                    f"{p.name}: " + ", ".join(f"{pid} {(proc_info(pid) or {}).get('cmdline', '')[:50]}"
                                             for pid in survivors))
                if p.popen.returncode is None:
                    _signal_group(p.pid, signal.SIGKILL)
                for pid in survivors:
                    _signal(pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.popen.wait(timeout=10)
            report.stopped.append(f"{p.name} pid={p.pid} (group of {len(seen[p.name])})")
        for p in order:
            if p.name == "redis":
                n = len(set(group_members(p.pid)) | {p.pid})
                if self._stop_proc(p, grace=10):
                    report.needed_sigkill.append("redis")
                report.stopped.append(f"redis pid={p.pid} (group of {n})")
        # Postgres: exactly this server (pg_ctl on its data dir, then its own postmaster PID).
        if self.pg is not None:
            from tools.local_postgres import stop_server

            with contextlib.suppress(OSError):  # keep the server log with the other logs
                shutil.copy2(Path(self.pg.base_dir) / "server.log", self.log_dir / "postgres.log")
            try:
                stop_server(self.pg)  # removes its temp dir (data files); server.log is gone with it
                report.postgres_stopped = not self._postmaster_alive()
            except Exception as exc:  # noqa: BLE001 - keep cleaning up
                report.postgres_stopped = False
                print(f"stopping postgres failed: {exc}", file=sys.stderr)
        # Sweep: anything still carrying our marker or observed earlier (task processes in their own groups,
        # orphans whose parent is gone).
        swept = {i["pid"]: i for i in marked_processes(self.marker)}
        for pid in _still_alive(self._observed):
            swept.setdefault(pid, proc_info(pid) or {"pid": pid, "start": self._observed[pid], "cmdline": "?"})
        report.swept = sorted(swept.values(), key=lambda i: i["pid"])
        stragglers = {pid: self._observed.get(pid, i["start"]) for pid, i in swept.items()}
        for pid in stragglers:
            _signal(pid, signal.SIGTERM)
        end = time.monotonic() + 10
        while time.monotonic() < end and _still_alive(stragglers):
            time.sleep(0.2)
        for pid in _still_alive(stragglers):
            _signal(pid, signal.SIGKILL)
        time.sleep(0.2)
        report.leftovers = self.leftovers()
        report.seconds = time.monotonic() - t0
        self.cleanup = report
        return report

    def _postmaster_alive(self) -> bool:
        if self.pg is None or not self.pg.pid:
            return False
        info = proc_info(self.pg.pid)
        return bool(info) and info["state"] != "Z" and str(self.pg.data_dir) in info["cmdline"]

    def process_table(self) -> list[dict]:
        """Every live process of the cluster right now: our leaders with their process groups and descendants
        (Celery pool processes, task supervisors and task processes), the postmaster and its backends, anything
        carrying the marker or naming our directories. Each one is remembered (PID + start time), so stop()
        and leftovers() also check processes that changed their title or lost their parent."""
        found: dict[int, dict] = {}

        def add(pids) -> None:
            for pid in pids:
                info = proc_info(pid)
                if info and info["state"] != "Z":
                    found[pid] = info

        for p in self.procs:
            if p.popen.poll() is None:  # unreaped: the PID and its group are still ours
                add({p.pid} | set(group_members(p.pid)) | set(descendants(p.pid)))
        if self._postmaster_alive():
            add({self.pg.pid} | set(descendants(self.pg.pid)))
        for info in marked_processes(self.marker):
            found[info["pid"]] = info
        dirs = [str(self.root)] + ([self.pg.base_dir] if self.pg is not None else [])
        ours = _ancestors(os.getpid())  # the test runner (and e.g. a `timeout` wrapper) may name the root dir
        for pid in all_pids():
            info = proc_info(pid)
            if info and info["state"] != "Z" and pid not in ours and any(d in info["cmdline"] for d in dirs):
                found[pid] = info
        for pid in ours:
            found.pop(pid, None)
        self._observed.update({pid: info["start"] for pid, info in found.items()})
        return sorted(found.values(), key=lambda i: i["pid"])

    def leftovers(self) -> list[dict]:
        """Processes of this cluster still alive: the live table plus every process ever observed (same PID
        and start time). Empty after a clean stop()."""
        found = {i["pid"]: i for i in self.process_table()}
        for pid in _still_alive(self._observed):
            found.setdefault(pid, proc_info(pid) or {"pid": pid, "cmdline": "?"})
        return sorted(found.values(), key=lambda i: i["pid"])


@contextlib.contextmanager
def celery_cluster(root: Path | str | None = None, *, keep_dir: bool = False, **kw) -> Iterator[CeleryCluster]:
    """Start the whole cluster under `root` (a new temp dir by default); always stop it, even on errors.

    The directory (logs, Airflow home, data, warehouse) is removed afterwards unless keep_dir=True or a root was
    given by the caller."""
    own_root = root is None
    base = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="jamstat-celery-"))
    cluster = CeleryCluster(base, **kw)
    try:
        cluster.start()
        yield cluster
    finally:
        report = cluster.stop()
        if report.leftovers:
            print("!!! processes left behind:\n" + report.summary(), file=sys.stderr)
        if own_root and not keep_dir and not report.leftovers:
            shutil.rmtree(base, ignore_errors=True)


# --- CLI -------------------------------------------------------------------------------------------------------

def _demo(args) -> int:
    root = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="jamstat-celery-"))
    print(f"==> cluster dir {root} (logs in {root / 'logs'}); starting Redis, PostgreSQL and Airflow "
          "(api-server, scheduler, dag-processor, celery worker)…", flush=True)
    t0 = time.monotonic()
    cluster = CeleryCluster(root)
    rc = 0
    try:
        cluster.start()
        print(f"==> up in {time.monotonic() - t0:.0f}s. UI {cluster.api_url}  login admin / "
              f"{cluster.admin_password()}", flush=True)
        for p in cluster.procs:
            print(f"    {p.name:<16} pid {p.pid:<7} log {p.log_path}")
        print(f"    postgres         pid {cluster.pg.pid:<7} log {cluster.pg.base_dir}/server.log")
        print(f"    {len(cluster.process_table())} processes belong to this cluster right now", flush=True)
        runs = cluster.run_pipeline(progress=lambda s: print(f"    … {s}", flush=True))
        ran = cluster.task_instances("ingest_kolada", runs["ingest_kolada"])
        hosts = sorted({t["hostname"] for t in ran if t["hostname"]})
        print(f"==> pipeline succeeded in {cluster.timings['pipeline_s']:.0f}s; ingest_kolada tasks ran on "
              f"{hosts}; published {cluster.warehouse_dir / 'jamstat.duckdb'}", flush=True)
        if args.keep:
            print("==> cluster stays up; press Ctrl-C to stop it", flush=True)
            while all(p.running() for p in cluster.procs):
                time.sleep(1)
    except ClusterError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        rc = 1
    except KeyboardInterrupt:
        print("interrupted; stopping the cluster", file=sys.stderr)
    finally:
        report = cluster.stop()
        print(report.summary(), flush=True)
        if report.leftovers:
            rc = 1
        elif not args.root and not args.keep_dir:
            shutil.rmtree(root, ignore_errors=True)
            print(f"(cluster dir {root} removed; pass --keep-dir to keep logs)")
    return rc


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="Airflow CeleryExecutor cluster on 127.0.0.1 (see module docstring)")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="start the cluster, run the pipeline, stop everything")
    d.add_argument("--keep", action="store_true", help="keep the cluster up after the run until Ctrl-C")
    d.add_argument("--root", default=None, help="cluster directory (kept afterwards); default: a temp dir")
    d.add_argument("--keep-dir", action="store_true", help="keep the temp cluster dir (logs, warehouse) afterwards")
    args = p.parse_args(argv)
    return _demo(args)


if __name__ == "__main__":
    sys.exit(main())
