"""Builds the per-source ingest DAGs from the source registry. The DAG files (dags/ingest_*.py) differ only
in their source and documentation, so the wiring lives here once. Imported at parse time: no I/O, no heavy
imports."""
from __future__ import annotations

from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from ingest.registry import source as registered_source
from jamstat.orchestration import dag_settings as cfg


def build_ingest_dag(source: str, doc_md: str):
    """resolve_mode → plan → fetch (one mapped task per KPI / table spec / dropped file) → record (Asset) →
    verify_units. A failing unit fails its own fetch task; `record` still runs and announces what was committed
    (so transform_publish builds from it), then `verify_units` fails the run naming the failed units."""
    src = registered_source(source)

    @dag(
        dag_id=f"ingest_{source}",
        description=src.description,
        schedule=src.schedule,
        start_date=cfg.START_DATE,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=cfg.DAGRUN_TIMEOUT,
        tags=[*cfg.TAGS, "ingest", source],
        default_args=cfg.default_args(retries=2),
        doc_md=doc_md,
    )
    def ingest():
        @task
        def resolve_mode() -> dict:
            from jamstat.orchestration import ingest_tasks

            return ingest_tasks.resolve_mode()

        @task
        def plan() -> list[str]:
            from jamstat.orchestration import ingest_tasks

            return ingest_tasks.plan(source)

        # The grid labels each mapped task with its unit, indicator and a short name (set first thing, so a
        # failed or skipped task is labelled too).
        @task(pool=src.pool or "default_pool", map_index_template="{{ unit_label }}")
        def fetch(unit: str, run: dict) -> dict:
            from jamstat.orchestration import ingest_tasks

            context = get_current_context()
            context["unit_label"] = ingest_tasks.unit_label(source, unit)
            summary = ingest_tasks.ingest_unit(source, unit, run, context["run_id"])
            if summary.get("status") == "no_recorded_data":
                raise AirflowSkipException(f"{unit}: {ingest_tasks.SKIP_REASON} ({summary.get('detail', '')})")
            return summary

        @task(trigger_rule="all_done", outlets=[cfg.RAW_ASSETS[source]])
        def record(planned: list[str], results: list, run: dict) -> dict:
            from jamstat.orchestration import ingest_tasks

            context = get_current_context()
            # One slice request: iterating the lazy sequence probes one index past the end and logs an error.
            summary = ingest_tasks.summarize_ingest(source, planned, list(results[:]), context["run_id"],
                                                    mode=run["mode"])
            context["outlet_events"][cfg.RAW_ASSETS[source]].extra = ingest_tasks.asset_extra(summary)
            return summary

        @task(retries=0, on_failure_callback=None)  # each failed unit has notified already; retrying changes nothing
        def verify_units(summary: dict) -> dict:
            from jamstat.orchestration import ingest_tasks

            return ingest_tasks.verify_units(summary)

        units = plan()
        mode = resolve_mode()
        verify_units(record(units, fetch.partial(run=mode).expand(unit=units), mode))

    return ingest()
