"""Airflow 3 plugin: the current follow-up report one click from the DAGs. `make up` points
AIRFLOW__CORE__PLUGINS_FOLDER here; the app (and why it checks the login) is jamstat/report/airflow_app.py."""
from airflow.plugins_manager import AirflowPlugin

from jamstat.report.airflow_app import EXTERNAL_VIEW, URL_PREFIX, create_app


class JamstatReportPlugin(AirflowPlugin):
    name = "jamstat_report"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "jamstat follow-up report"}]
    external_views = [EXTERNAL_VIEW]
