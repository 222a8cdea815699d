"""The normalised long format: the one table shape every source lands in and dbt reads.

A *batch* is one unit of ingest work (one Kolada KPI, one SCB table chunk, one dropped file) in one run.
It is written as `batches/<source>/<batch_id>.parquet` (rows) plus `<batch_id>.json` (the ingest-log row:
provenance of every raw response it came from). The parquet file is renamed into place last, so its
presence is the commit marker: a half-written batch never exists under its final name.
"""
from __future__ import annotations

# Column name -> DuckDB type. Order is the file order.
OBSERVATION_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",        # kolada | scb | file
    "source_ref": "VARCHAR",    # Kolada KPI id (N21704) or SCB "<table>/<ContentsCode>" (TAB6471/000007SF)
    "area_code": "VARCHAR",     # as the source gives it: Kolada '0180'/'0001'/'0000', SCB '0180'/'01'/'00'
    "period": "VARCHAR",        # '2023', or '2026M01' for monthly tables
    "sex": "VARCHAR",           # K (women) | M (men) | T (total) — mapped from source codes at ingest
    "value": "DOUBLE",          # null stays null (missing, suppressed, deleted)
    "status": "VARCHAR",        # source status/symbol ('..', '.', 'Missing', ...), null when the value is plain
    "dims": "VARCHAR",          # JSON object of further dimension codes, e.g. {"Alder":"0-9"}; '{}' if none
    "is_deleted": "BOOLEAN",    # Kolada isdeleted; staging drops these after latest-wins
    "batch_id": "VARCHAR",
    "fetched_at": "TIMESTAMP",  # UTC
}

SEX_CODES = ("K", "M", "T")

# Keys of the batch manifest (<batch_id>.json), i.e. the ingest log row.
BATCH_MANIFEST_KEYS = (
    "batch_id", "source", "unit", "source_refs", "mode", "run_id", "fetched_at", "row_count",
    "responses",  # list of {url, method, request_body, status, sha256, path, content_type, fetched_at}
    "notes",      # mandatory source notes (SCB noteMandatory), list of strings
)
