"""Names vulture cannot see being used: framework entry points and data-record fields read by serialisation.
Keep it short; anything else vulture reports is dead code to delete."""
# ruff: noqa
from ingest.replay import server
from ingest.sources.scb.metadata import Variable
from ingest.catalog import Indicator, ScbTable
from ingest.registry import Source
from jamstat.gates.result import Check, GateResult

# Airflow finds DAG objects by module-level name.
ingest_files, ingest_kolada, ingest_scb  # noqa: B018
# Named as "module:function" in ingest/registry.py and imported when called.
import ingest.file_drop, ingest.kolada_kpi, ingest.scb_spec
ingest.file_drop.plan_file_drops, ingest.file_drop.ingest_file_drop
ingest.kolada_kpi.plan_kolada, ingest.kolada_kpi.ingest_kolada_kpi
ingest.scb_spec.plan_scb, ingest.scb_spec.ingest_scb_table
# click commands are registered by their decorators.
import jamstat.cli
jamstat.cli.describe_scb, jamstat.cli.coverage, jamstat.cli.replay, jamstat.cli.ingest_cmd, jamstat.cli.preflight
jamstat.cli.batches_list, jamstat.cli.batches_show, jamstat.cli.batches_retract
# http.server hooks and class attributes.
_ = server.make_handler(None)
_.server_version, _.protocol_version, _.disable_nagle_algorithm, _.log_message, _.do_GET, _.do_HEAD, _.do_POST
server.ReplayServer.daemon_threads, server.ReplayServer.allow_reuse_address
# Fields of records that are serialised whole (asdict / to_dict) or shown to people.
Indicator.goal_id, Indicator.subgoal_id, Indicator.measure_type, Indicator.geography_levels, Indicator.by_sex
Indicator.name_sv, ScbTable.evidence, Source.unit_kind
Variable.elimination_value, Variable.codelists
Check.failing_rows, GateResult.duration_s, GateResult.started_at
# GX context settings are assigned, not read.
_.progress_bars
# SQLAlchemy and GX read a dialect's class attributes by name.
from jamstat.gates.gx_duckdb import ReadOnlyDuckDBDialect
ReadOnlyDuckDBDialect.driver, ReadOnlyDuckDBDialect.supports_statement_cache, ReadOnlyDuckDBDialect.DremioDialect
# Called from the report's Jinja templates (jamstat/report/templates).
from jamstat.report.pages import Fmt
Fmt.check_status, Fmt.semantics, Fmt.when, Fmt.unit, Fmt.direction
# Mounted by the Airflow plugin in plugins/jamstat_report.py; FastAPI calls the route and the error handler.
from jamstat.report import airflow_app
airflow_app.URL_PREFIX, airflow_app.EXTERNAL_VIEW, airflow_app.create_app
_.explain, _.serve
# urllib3 reads a pool's ConnectionCls and a pool manager's pool_classes_by_scheme.
from ingest import http_deadline
http_deadline._WatchedHTTPPool.ConnectionCls, http_deadline._WatchedHTTPSPool.ConnectionCls
http_deadline.DeadlineAdapter().poolmanager.pool_classes_by_scheme
