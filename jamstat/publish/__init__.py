"""Stage 4, publish (write-audit-publish): a candidate that passed every gate is copied (marts only) into a
new file that replaces warehouse/jamstat.duckdb atomically, with Parquet exports and an audit row; a
candidate that failed is quarantined with its results. The published file is never the working file."""
