"""The sources jamstat ingests, declared once. The ingest DAGs (one per source), the CLI, the Airflow pools
and the freshness gate's source names all come from here: adding a source means adding one entry.

Cheap to import (DAG files read it at parse time): the plan and ingest functions are named as
"module:function" and imported only when called."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class Source:
    name: str            # DAG ingest_<name>, Asset jamstat_raw_<name>, `jamstat ingest <name>`
    batch_source: str    # the `source` its batches and source checks carry (raw.batches, freshness.yml)
    description: str     # one line, shown in the Airflow DAG list
    schedule: str        # cron, or an Airflow preset
    unit_kind: str       # what one mapped task ingests
    planner: str         # "module:function(settings) -> list[str]" of units
    ingester: str        # "module:function(unit, *, mode, base_urls, run_id, settings) -> summary dict"
    pool: str | None = None
    pool_slots: int = 1
    pool_description: str = ""

    def plan(self, settings) -> list[str]:
        return _load(self.planner)(settings)

    def ingest(self, unit: str, **kwargs: Any) -> dict[str, Any]:
        return _load(self.ingester)(unit, **kwargs)


def _load(ref: str) -> Callable:
    module, _, function = ref.partition(":")
    return getattr(import_module(module), function)


SOURCES: dict[str, Source] = {s.name: s for s in (
    Source(
        name="kolada", batch_source="kolada", unit_kind="KPI",
        description="Kolada v3 municipal KPIs by sex (also Försäkringskassan's parental-benefit KPIs)",
        # Kolada publishes irregularly through the year and supports from_date deltas: daily is cheap.
        schedule="0 5 * * *",
        planner="ingest.kolada_kpi:plan_kolada", ingester="ingest.kolada_kpi:ingest_kolada_kpi",
        pool="kolada_api", pool_slots=2,
        pool_description="Concurrent Kolada v3 fetch tasks (Kolada has no documented limit; clients keep <=5 req/s)"),
    Source(
        name="scb", batch_source="scb", unit_kind="SCB table spec",
        description="SCB Statistikdatabasen tables by sex (PxWeb API v2; v1 where a table exists only there)",
        # SCB tables follow a publishing calendar (mostly yearly, some monthly): weekly is enough.
        schedule="0 6 * * 1",
        planner="ingest.scb_spec:plan_scb", ingester="ingest.scb_spec:ingest_scb_table",
        pool="scb_api", pool_slots=1,
        pool_description="SCB PxWeb: maxCallsPerTimeWindow is per client IP, so one task at a time"),
    Source(
        name="files", batch_source="file", unit_kind="dropped file",
        description="Official exports dropped into data/landing/ with a mapping file (SCB CSV, FK xlsx …)",
        # Analysts drop files whenever they have them: look every hour.
        schedule="@hourly",
        planner="ingest.file_drop:plan_file_drops", ingester="ingest.file_drop:ingest_file_drop"),
)}


def source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
