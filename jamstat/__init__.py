"""jamstat's runtime around ingestion (ingest/) and the dbt project (dbt_project/), one package per stage:

    ingest/                    1. ingest: sources → immutable raw payloads + normalised batches (data/)
    jamstat/transform/         2. transform: candidate DuckDB loaded with the batches, then `dbt build`
    jamstat/gates/             3. audit: dbt tests, freshness, Great Expectations, Soda → one GateResult each
    jamstat/publish/           4. publish: atomic swap of an audited candidate, Parquet exports, quarantine
    jamstat/serve/             5. serve: the published marts copied into PostgreSQL for BI
    jamstat/orchestration/     the glue the DAG files (dags/) call
    jamstat/cli.py             `jamstat …` for people at a terminal
    jamstat/settings.py        JAMSTAT_* environment settings, used by every stage

Development and test harnesses (make run's runner, make up, local PostgreSQL and Celery) live in tools/.
"""
