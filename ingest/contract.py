"""The normalised long format: the one table shape every source lands in and dbt reads.

A *batch* is one unit of ingest work (one Kolada KPI, one SCB table chunk, one dropped file) in one run.
It is written as `batches/<source>/<batch_id>.parquet` (rows) plus `<batch_id>.json` (the ingest-log row:
provenance of every raw response it came from). The parquet file is renamed into place last, so its
presence is the commit marker: a half-written batch never exists under its final name.
"""
from __future__ import annotations

import re

# Column name -> DuckDB type. Order is the file order.
OBSERVATION_COLUMNS: dict[str, str] = {
    "source": "VARCHAR",        # kolada | scb | file
    "source_ref": "VARCHAR",    # Kolada KPI id (N21704), SCB "<table>/<ContentsCode>" (TAB6471/000007SF), or
                                # for a file drop the catalog indicator_id it feeds
    "area_code": "VARCHAR",     # as the source gives it: Kolada '0180'/'0001'/'0000', SCB '0180'/'01'/'00'
    "period": "VARCHAR",        # '2023', '2026M01' for monthly tables, '2019-2023' for a span (PERIOD_PATTERN)
    "sex": "VARCHAR",           # K (women) | M (men) | T (total) — mapped from source codes at ingest
    "value": "DOUBLE",          # null stays null (missing, suppressed, deleted)
    "status": "VARCHAR",        # source status/symbol ('..', '.', 'Missing', ...), null when the value is plain
    "dims": "VARCHAR",          # JSON object of further dimension codes, e.g. {"Alder":"0-9"}; '{}' if none
    "is_deleted": "BOOLEAN",    # Kolada isdeleted; staging drops these after latest-wins
    "batch_id": "VARCHAR",
    "fetched_at": "TIMESTAMP",  # UTC
}

SEX_CODES = ("K", "M", "T")

# The periods the warehouse models (the dbt macro period_granularity): a year, a month or a span of years. Anything
# else fails the ingest of its unit.
PERIOD_PATTERN = re.compile(r"^\d{4}(M(0[1-9]|1[0-2])|-\d{4})?$")
PERIOD_FORMATS = "a year (2023), a month (2023M01) or a span of years (2019-2023)"

# A batch is a *full* snapshot of its unit (everything the source holds for it: keys it no longer carries are
# gone) or an *incremental* one (a delta or a partial fetch that layers on the unit's earlier batches).
SNAPSHOTS = ("full", "incremental")

# Keys of the batch manifest (<batch_id>.json), i.e. the ingest log row.
BATCH_MANIFEST_KEYS = (
    "batch_id", "source", "unit", "source_refs", "mode", "run_id", "fetched_at", "row_count",
    "responses",   # list of {url, method, request_body, status, sha256, path, content_type, fetched_at}
    "notes",       # mandatory source notes (SCB noteMandatory), list of strings
    "check_unit",  # the registry unit that produced it: Kolada KPI id, SCB spec id, mapping file name
    "snapshot",    # full | incremental (SNAPSHOTS), as known when the batch was committed; the observation log
                   # (ingest/batch_log.py) records the kind of every later check of its unit
)
