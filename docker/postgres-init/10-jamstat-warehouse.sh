#!/usr/bin/env bash
# Runs once, when the postgres service starts on an EMPTY data volume (/docker-entrypoint-initdb.d).
# Creates the BI publication database and its two roles from environment variables (never literals):
#   loader    (JAMSTAT_LOADER_PASSWORD)     owns the warehouse database; the pipeline publishes as it
#   bi_reader (JAMSTAT_BI_READER_PASSWORD)  CONNECT + USAGE on marts + SELECT on its tables, read-only, timeout
# Later password changes: `python -m jamstat.serve.postgres ensure-reader` (as a CREATEROLE role) or ALTER ROLE.
# Same privileges as jamstat.serve.reader_role.ensure_reader_role, plus what only a superuser may do (this
# script runs as one): no large objects for PUBLIC, no CONNECT for PUBLIC to the other databases.
# tests/serving/test_compose.py runs this script.
set -euo pipefail

: "${JAMSTAT_LOADER_PASSWORD:?set it in .env}"
: "${JAMSTAT_BI_READER_PASSWORD:?set it in .env}"
WAREHOUSE_DB="${JAMSTAT_WAREHOUSE_DB:-warehouse}"
LOADER_ROLE="${JAMSTAT_LOADER_ROLE:-loader}"
READER_ROLE="${JAMSTAT_BI_READER_ROLE:-bi_reader}"

psql -v ON_ERROR_STOP=1 -X --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  -v db="${WAREHOUSE_DB}" -v loader="${LOADER_ROLE}" -v reader="${READER_ROLE}" -v pgdb="${POSTGRES_DB:-postgres}" \
  -v lpw="${JAMSTAT_LOADER_PASSWORD}" -v rpw="${JAMSTAT_BI_READER_PASSWORD}" <<'SQL'
set password_encryption = 'scram-sha-256';
-- :'lpw' and :'rpw' are psql variables filled from the environment above, never literals
create role :"loader" login password :'lpw';
create role :"reader" login noinherit connection limit 20 password :'rpw';
create database :"db" owner :"loader";
revoke all on database :"db" from public;
revoke connect on database :"pgdb" from public;
revoke connect on database postgres from public;
-- the publisher may end reader sessions whose locks it waits for (jamstat.serve.postgres)
grant :"reader" to :"loader";
grant connect on database :"db" to :"reader";
alter role :"reader" set default_transaction_read_only = on;
alter role :"reader" set statement_timeout = '60s';
alter role :"reader" set idle_in_transaction_session_timeout = '10min';
alter role :"reader" set search_path = marts;
\connect :"db"
revoke all on schema public from public;
revoke execute on function lo_creat(integer), lo_create(oid), lo_from_bytea(oid, bytea), lo_import(text),
  lo_import(text, oid) from public;
create schema marts authorization :"loader";
grant usage on schema marts to :"reader";
alter default privileges for role :"loader" in schema marts grant select on tables to :"reader";
SQL
echo "jamstat: database ${WAREHOUSE_DB} with roles ${LOADER_ROLE} (owner) and ${READER_ROLE} (read-only) created"
