"""
### ingest_kolada — Kolada v3 municipal KPIs by sex (also Försäkringskassan's parental-benefit KPIs)

One mapped task per catalog KPI (`dbt_project/seeds/indicator_catalog.csv`, source = kolada). Each task checks
the KPI's live title against the catalog, fetches every year for all areas, lands the raw responses
(immutable, content-addressed) and one normalised batch. A failing KPI fails only its own task and names
itself; the others go on. Unchanged content is a no-op. In replay mode a KPI without recordings is *skipped*.

Emits the `jamstat_raw_kolada` Asset, which triggers `transform_publish`.
"""
# An Airflow DAG file: the wiring is shared by every source (jamstat/orchestration/ingest_dag.py).
from jamstat.orchestration.ingest_dag import build_ingest_dag

ingest_kolada = build_ingest_dag("kolada", __doc__)
