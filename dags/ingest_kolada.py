"""
### ingest_kolada — Kolada v3 municipal KPIs by sex (also Försäkringskassan's parental-benefit KPIs)

One mapped task per catalog KPI (`dbt_project/seeds/indicator_catalog.csv`, source = kolada). Each task checks
the KPI's live title against the catalog, fetches every year for all areas, lands the raw responses
(immutable, content-addressed) and one normalised batch. A failing KPI fails only its own task and names
itself; the others go on. Unchanged content is a no-op. In replay mode a KPI without recordings is *skipped*.

Emits the `jamstat_raw_kolada` Asset, which triggers `transform_publish`.
"""
from airflow.sdk import dag, get_current_context, task
from airflow.sdk.exceptions import AirflowSkipException

from ingest import dag_config as cfg

SOURCE = "kolada"


@dag(
    dag_id="ingest_kolada",
    schedule=cfg.SCHEDULES[SOURCE],
    start_date=cfg.START_DATE,
    catchup=False,
    max_active_runs=1,
    tags=[*cfg.TAGS, "ingest", SOURCE],
    default_args=cfg.default_args(retries=2),
    doc_md=__doc__,
)
def ingest_kolada():
    @task
    def resolve_mode() -> dict:
        from ingest import tasks

        return tasks.resolve_mode()

    @task
    def plan() -> list[str]:
        from ingest import tasks

        return tasks.plan(SOURCE)

    @task(pool=cfg.POOL_KOLADA, map_index_template="{{ task.op_kwargs['unit'] }}")
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


ingest_kolada()
