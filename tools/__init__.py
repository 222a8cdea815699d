"""Development and test harnesses, kept out of the product packages and the Docker image:

    make_run.py             `make run`: the whole pipeline once as real Airflow DAG runs, then a summary
    airflow_ui.py           `make up` / `make down`: airflow standalone in the background, stopped exactly
    local_postgres.py       a throwaway PostgreSQL server on 127.0.0.1 (tests, local BI)
    celery_cluster.py       Airflow's CeleryExecutor as separate processes on one machine (make test-distributed)
    engine_portability.py   raw tables copied to PostgreSQL / Spark so the dbt project builds there too
    processes.py            process liveness, process groups and free ports, shared by the harnesses
    refresh_soda_contract.py  rewrite a Soda contract's columns from dbt's artifacts
"""
