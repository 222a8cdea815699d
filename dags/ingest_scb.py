"""
### ingest_scb — SCB Statistikdatabasen (PxWeb API v2, v1 for tables that only exist there)

One mapped task per SCB table spec in the catalog. Each reads `/config` and the table metadata at run time,
splits queries under `maxDataCells`, paces calls to the advertised rate limit, parses json-stat2, maps sex
codes (1→M, 2→K, 1+2/TotSa→T) and keeps status symbols and mandatory notes. Totals from 2025 carry SCB's
Cell Key Method noise and are never forced to equal women + men.

Emits the `jamstat_raw_scb` Asset, which triggers `transform_publish`.
"""
from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from ingest import dag_config as cfg

SOURCE = "scb"


@dag(
    dag_id="ingest_scb",
    schedule=cfg.SCHEDULES[SOURCE],
    start_date=cfg.START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=[*cfg.TAGS, "ingest", SOURCE],
    default_args=cfg.default_args(retries=2),
    doc_md=__doc__,
)
def ingest_scb():
    @task
    def resolve_mode() -> dict:
        from ingest import tasks

        return tasks.resolve_mode()

    @task
    def plan() -> list[str]:
        from ingest import tasks

        return tasks.plan(SOURCE)

    @task(pool=cfg.POOL_SCB, map_index_template="{{ task.op_kwargs['unit'] }}")
    def fetch(unit: str, run: dict) -> dict:
        from ingest import tasks

        summary = tasks.ingest_unit(SOURCE, unit, run, get_current_context()["run_id"])
        if summary.get("status") == "no_recorded_data":
            raise AirflowSkipException(f"{unit}: no recorded payload in replay mode ({summary.get('detail', '')})")
        return summary

    @task(trigger_rule="none_failed", outlets=[cfg.RAW_ASSETS[SOURCE]])
    def record(results: list) -> dict:
        from ingest import tasks

        return tasks.summarize_ingest(SOURCE, list(results))

    record(fetch.partial(run=resolve_mode()).expand(unit=plan()))


ingest_scb()
