"""
### ingest_files — official exports dropped by analysts (SCB CSV, Försäkringskassan xlsx …)

An analyst puts an export into `data/landing/` next to a small mapping file named `<name>.mapping.yaml` (which
columns hold area, period, sex and value, and which catalog indicator it feeds). One mapped task per mapping
file checks the file (inside the folder, a regular file, under the size limit, readable without guessing) and
lands it as an immutable raw payload and one normalised batch, exactly like the API sources; an unchanged file
is a no-op, and a mapping removed from the folder retracts its batches. With nothing dropped, the run has
nothing to do.

Emits the `jamstat_raw_files` Asset, which triggers `transform_publish`.
"""
# An Airflow DAG file: the wiring is shared by every source (jamstat/orchestration/ingest_dag.py).
from jamstat.orchestration.ingest_dag import build_ingest_dag

ingest_files = build_ingest_dag("files", __doc__)
