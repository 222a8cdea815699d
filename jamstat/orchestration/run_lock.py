"""The run lock: one transform_publish run at a time holds the warehouse, from build_candidate to publish.

Airflow runs a DAG run's tasks as separate processes (or one after another inside `airflow dags test`), so no
kernel lock can span them. The lock is a lease, warehouse/work/run_lock.json, naming the run that holds it. It
is only read and written under a kernel flock of warehouse/work/run_lock.guard, so two runs never both take it.

While a task of the holding run works, its process beats the lease every HEARTBEAT_S seconds and is listed as
a worker. A lease is stale, and the next run takes it over, when its last beat is older than
JAMSTAT_LOCK_TTL_S (default 600 s), or when every worker it lists ran on this host and has died mid-task
(kill -9, out of memory). A second run waits up to JAMSTAT_LOCK_WAIT_S (default 600 s) for the lease, then
fails naming the run that holds it.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ingest.raw_store import atomic_write
from jamstat.settings import Settings

log = logging.getLogger("jamstat.run_lock")

HEARTBEAT_S = 5.0


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse and did not let go within the wait."""


class LockLost(RuntimeError):
    """This run no longer holds the warehouse (its lease went stale and another run took it over)."""


def _env_seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def _paths(settings: Settings) -> tuple[Path, Path]:
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    return settings.work_dir / "run_lock.json", settings.work_dir / "run_lock.guard"


@contextlib.contextmanager
def _guarded(settings: Settings) -> Iterator[Path]:
    lease, guard = _paths(settings)
    with open(guard, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield lease
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read(lease: Path) -> dict | None:
    try:
        return json.loads(lease.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(lease: Path, doc: dict) -> None:
    atomic_write(lease, json.dumps(doc, indent=1).encode("utf-8"))


def _process_start(pid: int) -> str | None:
    """The start time of a process (ticks since boot): with the PID it identifies one process, reuse or not."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _me() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}


def stale_reason(doc: dict, now: float | None = None) -> str | None:
    """Why a lease no longer protects anything, or None while its holder may still be working."""
    now = time.time() if now is None else now
    ttl = _env_seconds("JAMSTAT_LOCK_TTL_S", 600)
    age = now - float(doc.get("heartbeat_at", 0))
    if age > ttl:
        return f"no heartbeat for {age:.0f} s (JAMSTAT_LOCK_TTL_S={ttl:g})"
    workers = doc.get("workers") or []
    host = socket.gethostname()
    if workers and all(w["host"] == host and _process_start(w["pid"]) != w["start"] for w in workers):
        return f"its worker process(es) {[w['pid'] for w in workers]} died mid-task"
    return None


def acquire(settings: Settings, run_id: str, wait_s: float | None = None) -> dict:
    """Take the lease for `run_id` (re-entrant for the same run); wait for a live holder, take over a stale one."""
    wait_s = _env_seconds("JAMSTAT_LOCK_WAIT_S", 600) if wait_s is None else wait_s
    deadline = time.monotonic() + wait_s
    while True:
        with _guarded(settings) as lease:
            doc = _read(lease)
            reason = stale_reason(doc) if doc else None
            if doc is None or doc["run_id"] == run_id or reason:
                if doc and reason and doc["run_id"] != run_id:
                    log.warning("taking over the run lock from run %s: %s", doc["run_id"], reason)
                now = time.time()
                mine = {"run_id": run_id, "acquired_at": now, "heartbeat_at": now, "workers": [],
                        "acquired_utc": datetime.now(UTC).isoformat(timespec="seconds")}
                _write(lease, mine)
                return mine
        if time.monotonic() >= deadline:
            raise WarehouseBusy(
                f"run {run_id} could not lock the warehouse: run {doc['run_id']} has held it since "
                f"{doc.get('acquired_utc')} (build → publish; last heartbeat "
                f"{time.time() - doc['heartbeat_at']:.0f} s ago) and this run waited {wait_s:g} s (JAMSTAT_LOCK_WAIT_S). Let that run finish, or stop it; a "
                f"crashed holder is taken over automatically after JAMSTAT_LOCK_TTL_S.")
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


def _beat(settings: Settings, run_id: str, *, join: bool | None) -> None:
    """Refresh the lease; join=True lists this process as a worker, False removes it, None leaves the list."""
    with _guarded(settings) as lease:
        doc = _read(lease)
        if doc is None or doc["run_id"] != run_id:
            holder = doc["run_id"] if doc else "nobody"
            raise LockLost(f"run {run_id} no longer holds the warehouse lock (held by {holder}); it publishes "
                           "nothing. Re-run transform_publish.")
        me = _me()
        workers = doc.get("workers", [])
        if join is not None:
            workers = [w for w in workers if (w["host"], w["pid"]) != (me["host"], me["pid"])]
            workers += [me] if join else []
        doc.update(heartbeat_at=time.time(), workers=workers)
        _write(lease, doc)


@contextlib.contextmanager
def holding(settings: Settings, run_id: str) -> Iterator[None]:
    """Work under the run's lease: raises LockLost at entry if the run does not hold it; beats it meanwhile."""
    _beat(settings, run_id, join=True)
    stop = threading.Event()

    def beat_until_stopped() -> None:
        while not stop.wait(HEARTBEAT_S):
            with contextlib.suppress(LockLost, OSError):
                _beat(settings, run_id, join=None)

    beater = threading.Thread(target=beat_until_stopped, name="jamstat-run-lock", daemon=True)
    beater.start()
    try:
        yield
    finally:
        stop.set()
        beater.join()
        with contextlib.suppress(LockLost):
            _beat(settings, run_id, join=False)


def release(settings: Settings, run_id: str) -> bool:
    """Give the lease up if `run_id` holds it; True when it did."""
    with _guarded(settings) as lease:
        doc = _read(lease)
        if doc is None or doc["run_id"] != run_id:
            return False
        lease.unlink()
        return True

