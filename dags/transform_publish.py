"""
### transform_publish — write, audit, publish

Write-audit-publish on the DuckDB warehouse:

1. **build_candidate** — takes the run lock (one run at a time from build to publish; a second run waits, then
   fails naming the holder), cleans crash leftovers, loads a fresh private `warehouse/work/candidate.duckdb`
   with every committed raw batch, then one `dbt build` (staging → intermediate → marts, dbt tests at severity
   error). The gate result records the candidate's sha256.
2. **Gates**, all against the candidate, read-only: source freshness, Great Expectations suites
   (`expectations/gx`), Soda contracts (`expectations/soda`). A gate that cannot run fails like a gate that
   finds bad data. Each records the sha256 of the candidate it audited.
3. **publish** — only when *every* gate succeeded (`all_success`) on the same file (sha256): a new publication
   directory with the database and its Parquet exports becomes current with one rename (`warehouse/jamstat.duckdb`
   and `warehouse/exports/current` are stable links through it), the `marts.publications` audit row names failed
   ingest units and how stale they are, and a quality report. Releases the run lock. Emits `jamstat_published`.
4. **render_report** — after publish: the follow-up web report rendered from the published warehouse into
   `warehouse/report/<run_id>/`, then `warehouse/report/current` re-pointed. If it fails, the publication
   stands, this task is red, and `current` keeps the previous report.
5. **publish_postgres** — optional (when `JAMSTAT_POSTGRES_URL` is set): the published marts are copied into a
   new PostgreSQL schema that replaces `marts` in one transaction; BI tools log in as a read-only role.
6. **quarantine** — only when something failed: candidate and results moved to `warehouse/quarantine/<run_id>/`
   (the newest JAMSTAT_KEEP_QUARANTINED are kept); the published warehouse is untouched. Releases the run lock.

Triggered by any raw-source Asset; `make run` runs it once after the ingest DAGs.
"""
from airflow.sdk import dag, get_current_context, task

from jamstat.orchestration import dag_settings as cfg


def _run_id() -> str:
    return get_current_context()["run_id"]


@dag(
    dag_id="transform_publish",
    description="Write-audit-publish: dbt build into a candidate, four gates, atomic publication",
    schedule=cfg.any_raw_asset(),
    start_date=cfg.START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=cfg.DAGRUN_TIMEOUT,
    tags=[*cfg.TAGS, "transform", "publish"],
    default_args=cfg.default_args(retries=0),  # a failed gate does not get better by retrying
    doc_md=__doc__,
)
def transform_publish():
    @task(pool=cfg.POOL_DUCKDB_WRITER)
    def build_candidate() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.build_candidate(_run_id())

    @task
    def gate_freshness() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.gate("freshness", _run_id())

    @task
    def gate_great_expectations() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.gate("great_expectations", _run_id())

    @task
    def gate_soda() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.gate("soda", _run_id())

    @task(pool=cfg.POOL_DUCKDB_WRITER, trigger_rule="all_success", outlets=[cfg.PUBLISHED])
    def publish() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        summary = tasks.publish(_run_id())
        get_current_context()["outlet_events"][cfg.PUBLISHED].extra = tasks.published_extra(summary)
        return summary

    @task
    def render_report() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.render_report(_run_id())

    @task(retries=2)
    def publish_postgres() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.publish_postgres()

    @task(trigger_rule="one_failed")
    def quarantine() -> dict:
        from jamstat.orchestration import audit_publish_tasks as tasks

        return tasks.quarantine(_run_id())

    built = build_candidate()
    gates = [gate_freshness(), gate_great_expectations(), gate_soda()]
    built >> gates
    published = publish()
    gates >> published
    published >> [publish_postgres(), render_report()]
    [built, *gates] >> quarantine()


transform_publish()
