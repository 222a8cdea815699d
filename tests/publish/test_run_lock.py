"""The run lock between build_candidate and publish: one run at a time, a second run waits or fails naming the
holder, a crashed holder is taken over, and a run that lost the lock publishes nothing."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest

from jamstat.orchestration import run_lock
from jamstat.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path / "wh"))
    monkeypatch.setenv("JAMSTAT_DATA_DIR", str(tmp_path / "data"))
    return Settings.from_env()


def test_second_run_fails_after_its_wait_naming_the_holder(settings):
    run_lock.acquire(settings, "run-A")
    t0 = time.monotonic()
    with pytest.raises(run_lock.WarehouseBusy) as err:
        run_lock.acquire(settings, "run-B", wait_s=1.5)
    assert 1.4 <= time.monotonic() - t0 < 5
    assert "run run-B could not lock the warehouse: run run-A has held it" in str(err.value)
    assert "JAMSTAT_LOCK_WAIT_S" in str(err.value)


def test_second_run_waits_and_gets_the_lock_when_the_first_releases(settings):
    run_lock.acquire(settings, "run-A")

    def release_later():
        time.sleep(1.0)
        run_lock.release(settings, "run-A")

    releaser = multiprocessing.Process(target=release_later)
    releaser.start()
    t0 = time.monotonic()
    run_lock.acquire(settings, "run-B", wait_s=30)
    assert 0.8 <= time.monotonic() - t0 < 10
    releaser.join()
    with run_lock.holding(settings, "run-B"):
        pass
    with pytest.raises(run_lock.LockLost, match="held by run-B"), run_lock.holding(settings, "run-A"):
        pass


def _hold_and_die(warehouse_dir: str) -> None:
    os.environ["JAMSTAT_WAREHOUSE_DIR"] = warehouse_dir
    s = Settings.from_env()
    run_lock.acquire(s, "crashed-run")
    with run_lock.holding(s, "crashed-run"):
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 in the middle of a task


def test_a_holder_killed_mid_task_is_taken_over_at_once(settings):
    child = multiprocessing.Process(target=_hold_and_die, args=(str(settings.warehouse_dir),))
    child.start()
    child.join()
    assert child.exitcode == -signal.SIGKILL
    t0 = time.monotonic()
    run_lock.acquire(settings, "next-run", wait_s=0)
    assert time.monotonic() - t0 < 1
    assert json.loads((settings.work_dir / "run_lock.json").read_text())["run_id"] == "next-run"


def test_a_holder_silent_past_the_ttl_is_taken_over(settings, monkeypatch):
    run_lock.acquire(settings, "run-A")  # between tasks: no worker, only the heartbeat counts
    monkeypatch.setenv("JAMSTAT_LOCK_TTL_S", "1")
    with pytest.raises(run_lock.WarehouseBusy):
        run_lock.acquire(settings, "run-B", wait_s=0)
    time.sleep(1.2)
    run_lock.acquire(settings, "run-B", wait_s=0)
    with pytest.raises(run_lock.LockLost):
        with run_lock.holding(settings, "run-A"):
            pass


def test_a_working_holder_keeps_its_lease_alive(settings, monkeypatch):
    monkeypatch.setattr(run_lock, "HEARTBEAT_S", 0.2)
    monkeypatch.setenv("JAMSTAT_LOCK_TTL_S", "1")
    run_lock.acquire(settings, "run-A")
    with run_lock.holding(settings, "run-A"):
        time.sleep(2.0)  # a long dbt build: longer than the TTL, but beating
        with pytest.raises(run_lock.WarehouseBusy):
            run_lock.acquire(settings, "run-B", wait_s=0)


def test_release_only_by_the_holder(settings):
    run_lock.acquire(settings, "run-A")
    assert run_lock.release(settings, "run-B") is False
    assert run_lock.release(settings, "run-A") is True
    assert not (settings.work_dir / "run_lock.json").exists()
