"""Constants the DAG files share: owner, schedules, pools, Assets, default args.

Imported at DAG-parse time, so it must stay cheap: no I/O, no heavy imports."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import Asset

from ingest.notify import on_failure

OWNER = "jamstat"
START_DATE = datetime(2026, 1, 1, tzinfo=UTC)

# Kolada publishes irregularly through the year and supports from_date deltas: daily is cheap.
# SCB tables follow a publishing calendar (mostly yearly, some monthly): weekly is enough.
# File drops arrive when an analyst puts them in data/landing/: poll hourly.
SCHEDULES = {"kolada": "0 5 * * *", "scb": "0 6 * * 1", "files": "@hourly"}

POOL_KOLADA = "kolada_api"
POOL_SCB = "scb_api"
POOL_DUCKDB_WRITER = "duckdb_writer"  # one slot: one writer per DuckDB file

RAW_ASSETS = {
    source: Asset(name=f"jamstat_raw_{source}", uri=f"jamstat://raw/{source}", group="jamstat")
    for source in ("kolada", "scb", "files")
}
PUBLISHED = Asset(name="jamstat_published", uri="jamstat://warehouse/published", group="jamstat")

TAGS = ["jamstat"]


def default_args(retries: int) -> dict:
    return {
        "owner": OWNER,
        "retries": retries,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "on_failure_callback": on_failure,
    }
