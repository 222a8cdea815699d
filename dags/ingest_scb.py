"""
### ingest_scb — SCB Statistikdatabasen (PxWeb API v2, v1 for tables that only exist there)

One mapped task per SCB table spec in the catalog. Each reads `/config` and the table metadata at run time,
splits queries under `maxDataCells`, paces calls to the advertised rate limit, parses json-stat2, maps sex
codes (1→M, 2→K, 1+2/TotSa→T) and keeps status symbols and mandatory notes. Totals from 2025 carry SCB's
Cell Key Method noise and are never forced to equal women + men. Table succession (BefolkningNy → TAB638 →
TAB5557 …) continues a series across SCB's table changes. In replay mode a table without recordings is *skipped*.

Emits the `jamstat_raw_scb` Asset, which triggers `transform_publish`.
"""
# An Airflow DAG file: the wiring is shared by every source (jamstat/orchestration/ingest_dag.py).
from jamstat.orchestration.ingest_dag import build_ingest_dag

ingest_scb = build_ingest_dag("scb", __doc__)
