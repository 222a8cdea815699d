#!/usr/bin/env bash
# Start Superset (compose profile `bi`) connected to the warehouse as the read-only role.
set -euo pipefail
: "${SUPERSET_SECRET_KEY:?set SUPERSET_SECRET_KEY in .env to use the bi profile}"
: "${SUPERSET_ADMIN_PASSWORD:?set SUPERSET_ADMIN_PASSWORD in .env to use the bi profile}"
: "${JAMSTAT_BI_READER_PASSWORD:?set JAMSTAT_BI_READER_PASSWORD in .env}"
READER="${JAMSTAT_BI_READER_ROLE:-bi_reader}"
PG_HOST="${JAMSTAT_DB_HOST:-postgres}"
WAREHOUSE_DB="${JAMSTAT_WAREHOUSE_DB:-warehouse}"

superset db upgrade
superset fab create-admin --username "${SUPERSET_ADMIN_USER:-admin}" --firstname jamstat --lastname admin \
  --email "${SUPERSET_ADMIN_EMAIL:-admin@example.invalid}" --password "${SUPERSET_ADMIN_PASSWORD}" || true
superset init
PG_URI="$(python -c 'import os, urllib.parse as u; print("postgresql+psycopg2://%s:%s@%s:5432/%s" % (
    u.quote(os.environ.get("JAMSTAT_BI_READER_ROLE", "bi_reader"), safe=""),
    u.quote(os.environ["JAMSTAT_BI_READER_PASSWORD"], safe=""),
    os.environ.get("JAMSTAT_DB_HOST", "postgres"), os.environ.get("JAMSTAT_WAREHOUSE_DB", "warehouse")))')"
superset set-database-uri -d "jamstat marts (PostgreSQL, ${READER})" -u "${PG_URI}"
# The published DuckDB file, mounted read-only; duckdb-engine opens it per query, so swaps are picked up.
superset set-database-uri -d "jamstat marts (DuckDB file, read-only)" \
  -u "duckdb:////opt/jamstat/warehouse/jamstat.duckdb?access_mode=read_only"
echo "Superset: databases for ${READER}@${PG_HOST}/${WAREHOUSE_DB} and the published DuckDB file registered"
exec gunicorn --bind 0.0.0.0:8088 --workers "${SUPERSET_WORKERS:-2}" --timeout 120 "superset.app:create_app()"
