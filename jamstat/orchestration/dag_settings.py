"""Constants the DAG files share: owner, start date, pools, Assets, default args. Per-source schedules and
pools come from the source registry (ingest/registry.py).

Imported at DAG-parse time, so it stays cheap: no I/O, no heavy imports."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset

from ingest.registry import SOURCES
from jamstat.orchestration.failure_alerts import on_failure

OWNER = "jamstat"
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
TAGS = ["jamstat"]

POOL_DUCKDB_WRITER = "duckdb_writer"  # one slot: one writer per DuckDB file
POOLS = {
    **{s.pool: (s.pool_slots, s.pool_description) for s in SOURCES.values() if s.pool},
    POOL_DUCKDB_WRITER: (1, "One writer per DuckDB file: dbt build into the candidate and publish"),
}

RAW_ASSETS = {
    name: Asset(name=f"jamstat_raw_{name}", uri=f"jamstat://raw/{name}", group="jamstat") for name in SOURCES
}


def any_raw_asset():
    """The schedule of transform_publish: an update of any source's raw Asset."""
    condition = None
    for asset in RAW_ASSETS.values():
        condition = asset if condition is None else condition | asset
    return condition


# Deadlines: nothing holds a worker slot or a run forever. A task past its execution_timeout is stopped and
# fails like any other failure (it notifies, it names itself); a run past its dagrun_timeout is failed. The
# defaults leave room for a slow live source; the overrides exist for tests and unusual deployments.
TASK_TIMEOUT = timedelta(seconds=float(os.environ.get("JAMSTAT_TASK_TIMEOUT_S") or 3600))
DAGRUN_TIMEOUT = timedelta(seconds=float(os.environ.get("JAMSTAT_DAGRUN_TIMEOUT_S") or 4 * 3600))
# First retry delay (then exponential). `make run` in replay mode shortens it: recorded answers do not change
# between attempts, so waiting only delays the report of a failure.
RETRY_DELAY = timedelta(seconds=float(os.environ.get("JAMSTAT_RETRY_DELAY_S") or 30))

PUBLISHED = Asset(name="jamstat_published", uri="jamstat://warehouse/published", group="jamstat")


def default_args(retries: int) -> dict:
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": TASK_TIMEOUT,
        "on_failure_callback": on_failure,
    }
