"""Optional PostgreSQL publication of the published marts, for BI tools that speak only Postgres.

Off unless JAMSTAT_POSTGRES_URL is set (Settings.postgres_url). It runs *after* the DuckDB publication and
reads only the published file (warehouse/jamstat.duckdb), so Postgres never holds anything the gates did
not pass:

1. every table of schema `marts` in the published DuckDB file (ATTACHed READ_ONLY from an in-memory session)
   is created in a fresh schema `marts_next` with matching Postgres types and loaded with psycopg3 COPY
   (DuckDB writes CSV to a private temp file, streamed in 1 MiB chunks; the row count is checked);
2. ANALYZE, GRANT USAGE/SELECT (+ default privileges) to the reader role; commit;
3. ONE transaction: `alter schema marts rename to marts_old; alter schema marts_next rename to marts;
   drop schema marts_old cascade`. Readers see the old or the new marts, never a mix. A reader
   transaction that has already read a mart keeps its locks; the swap waits for it (lock_timeout, retried)
   instead of pulling tables from under it.

Any failure drops `marts_next` and leaves the served `marts` untouched. Running it twice is harmless.
Passwords come only from the URL/environment (JAMSTAT_POSTGRES_URL, JAMSTAT_BI_READER_PASSWORD, libpq PG*).

    python -m jamstat.serve.postgres publish [--duckdb warehouse/jamstat.duckdb]
    python -m jamstat.serve.postgres ensure-reader [--role bi_reader]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

SERVED_SCHEMA = "marts"
READER_ROLE = "bi_reader"
READER_PASSWORD_ENV = "JAMSTAT_BI_READER_PASSWORD"
CHUNK_BYTES = 1 << 20
_ADVISORY_LOCK_KEY = "jamstat.serve_postgres"


class ServePostgresError(RuntimeError):
    pass


class UnsupportedColumnType(ServePostgresError):
    pass


def redact(url: str) -> str:
    """The URL without its password, for logs and return values."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


# --- DuckDB → PostgreSQL types -------------------------------------------------------------------------------
_SIMPLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint", "SMALLINT": "smallint", "INTEGER": "integer", "BIGINT": "bigint",
    "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint", "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(39,0)", "UHUGEINT": "numeric(39,0)",
    "FLOAT": "real", "DOUBLE": "double precision",
    "VARCHAR": "text", "DATE": "date", "TIME": "time", "TIME WITH TIME ZONE": "timetz",
    "TIMESTAMP": "timestamp", "TIMESTAMP_S": "timestamp", "TIMESTAMP_MS": "timestamp", "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "INTERVAL": "interval", "UUID": "uuid", "JSON": "jsonb",
}
_NESTED = re.compile(r"^(STRUCT|MAP)\(|\[\d*\]$")


def pg_column(name: str, duck_type: str) -> tuple[str, str]:
    """(Postgres type, DuckDB select expression) for one column; raises UnsupportedColumnType."""
    ident = '"' + name.replace('"', '""') + '"'
    t = duck_type.upper()
    if t in _SIMPLE_TYPES:
        pg = _SIMPLE_TYPES[t]
        if t == "JSON":
            return pg, f"CAST({ident} AS VARCHAR)"
        if t == "TIMESTAMP_NS":  # Postgres keeps microseconds
            return pg, f"CAST({ident} AS TIMESTAMP)"
        return pg, ident
    if m := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t):
        return f"numeric({m.group(1)},{m.group(2)})", ident
    if t.startswith("ENUM("):
        return "text", f"CAST({ident} AS VARCHAR)"
    if t == "BLOB":  # Postgres bytea hex input format
        return "bytea", f"'\\x' || hex({ident})"
    if _NESTED.search(t):  # lists, arrays, structs, maps → jsonb (BI tools read JSON, not DuckDB literals)
        return "jsonb", f"CAST(to_json({ident}) AS VARCHAR)"
    raise UnsupportedColumnType(f"column {name!r} has DuckDB type {duck_type}, which has no Postgres mapping here; "
                                "cast it in the dbt model (e.g. to VARCHAR) or extend ingest.serve_postgres.pg_column")


def _read_marts(con, database: str, schema: str) -> dict[str, list[tuple[str, str, str, bool]]]:
    """table -> [(column, duck type, pg type, select expr)] for every base table of `schema`."""
    rows = con.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name = ? AND NOT internal "
        "AND table_name IN (SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?) "
        "ORDER BY table_name, column_index", [database, schema, database, schema]).fetchall()
    tables: dict[str, list] = {}
    for table, column, duck_type, nullable in rows:
        pg_type, expr = pg_column(column, duck_type)
        tables.setdefault(table, []).append((column, pg_type, expr, bool(nullable)))
    return tables


# --- the publication ------------------------------------------------------------------------------------------
def publish_to_postgres(published_duckdb: Path, url: str, *, schema: str = SERVED_SCHEMA,
                        reader_role: str | None = READER_ROLE, lock_timeout_s: float = 10.0,
                        swap_attempts: int = 6, duckdb_schema: str = SERVED_SCHEMA) -> dict:
    """Copy every table of `marts` in the published DuckDB file into Postgres and swap it in atomically.

    Returns {"schema", "tables": {table: rows}, "elapsed_s", "load_s", "swap_s", "swap_attempts", "url"}.
    """
    import duckdb
    import psycopg
    from psycopg import sql

    started = time.perf_counter()
    published_duckdb = Path(published_duckdb)
    if not published_duckdb.is_file():
        raise ServePostgresError(f"published DuckDB file {published_duckdb} does not exist; publish it first")
    next_schema, old_schema = f"{schema}_next", f"{schema}_old"
    S, Id = sql.SQL, sql.Identifier  # noqa: N806

    duck = duckdb.connect()
    workdir = Path(tempfile.mkdtemp(prefix="jamstat-pgpub-"))
    try:
        duck.execute("ATTACH '{}' AS pub (READ_ONLY)".format(str(published_duckdb).replace("'", "''")))
        tables = _read_marts(duck, "pub", duckdb_schema)  # type check before anything is created
        if not tables:
            raise ServePostgresError(f"{published_duckdb} has no tables in schema {duckdb_schema}")

        with psycopg.connect(url, autocommit=True, application_name="jamstat-publish") as pg:
            # one publisher at a time per database (session-level advisory lock)
            pg.execute("select pg_advisory_lock(hashtext(%s))", [f"{_ADVISORY_LOCK_KEY}.{schema}"])
            try:
                if reader_role and not pg.execute("select 1 from pg_roles where rolname = %s",
                                                  [reader_role]).fetchone():
                    raise ServePostgresError(
                        f"reader role {reader_role!r} does not exist; run ensure_reader_role() "
                        "(python -m jamstat.serve.postgres ensure-reader) or the compose init script first")
                pg.execute(S("drop schema if exists {} cascade").format(Id(next_schema)))  # leftovers of a crash
                row_counts: dict[str, int] = {}
                try:
                    with pg.transaction():
                        pg.execute(S("create schema {}").format(Id(next_schema)))
                        for table, cols in tables.items():
                            row_counts[table] = _load_table(duck, pg, workdir, duckdb_schema, next_schema, table, cols)
                        for table in tables:
                            pg.execute(S("analyze {}.{}").format(Id(next_schema), Id(table)))
                        if reader_role:
                            _grant_reader(pg, next_schema, reader_role)
                    load_s = time.perf_counter() - started
                    swap_started = time.perf_counter()
                    attempts = _swap(pg, schema, next_schema, old_schema, lock_timeout_s, swap_attempts)
                    swap_s = time.perf_counter() - swap_started
                except BaseException:
                    try:
                        pg.execute(S("drop schema if exists {} cascade").format(Id(next_schema)))
                    except psycopg.Error:  # connection gone: the load transaction was rolled back anyway
                        log.exception("could not drop %s after a failed publication", next_schema)
                    raise
            finally:
                if not pg.closed and not pg.broken:
                    pg.execute("select pg_advisory_unlock(hashtext(%s))", [f"{_ADVISORY_LOCK_KEY}.{schema}"])
    finally:
        duck.close()
        shutil.rmtree(workdir, ignore_errors=True)

    elapsed = time.perf_counter() - started
    summary = {"schema": schema, "tables": row_counts, "elapsed_s": round(elapsed, 3), "load_s": round(load_s, 3),
               "swap_s": round(swap_s, 3), "swap_attempts": attempts, "url": redact(url),
               "source": str(published_duckdb)}
    log.info("published %d tables to Postgres %s schema %s in %.2f s", len(row_counts), redact(url), schema, elapsed)
    return summary


def _load_table(duck, pg, workdir: Path, src_schema: str, dest_schema: str, table: str, cols: list) -> int:
    from psycopg import sql

    col_defs = sql.SQL(", ").join(
        sql.SQL("{} {}{}").format(sql.Identifier(c), sql.SQL(pg_type), sql.SQL("" if nullable else " not null"))
        for c, pg_type, _expr, nullable in cols)
    pg.execute(sql.SQL("create table {}.{} ({})").format(sql.Identifier(dest_schema), sql.Identifier(table), col_defs))
    src = '"' + table.replace('"', '""') + '"'
    select = ", ".join(expr for _c, _t, expr, _n in cols)
    csv_path = workdir / "table.csv"
    duck.execute(f"COPY (SELECT {select} FROM pub.{src_schema}.{src}) TO '{csv_path}' (FORMAT csv, HEADER false)")
    expected = duck.execute(f"SELECT count(*) FROM pub.{src_schema}.{src}").fetchone()[0]
    copy_sql = sql.SQL("copy {}.{} ({}) from stdin (format csv, freeze)").format(
        sql.Identifier(dest_schema), sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c, *_ in cols))
    with pg.cursor() as cur:
        with cur.copy(copy_sql) as copy, open(csv_path, "rb") as fh:
            while chunk := fh.read(CHUNK_BYTES):
                copy.write(chunk)
        loaded = cur.rowcount
    csv_path.unlink(missing_ok=True)
    if loaded != expected:
        raise ServePostgresError(f"{dest_schema}.{table}: COPY loaded {loaded} rows, DuckDB has {expected}")
    return loaded


def _grant_reader(pg, schema: str, role: str) -> None:
    from psycopg import sql

    r, s = sql.Identifier(role), sql.Identifier(schema)
    owner = pg.execute("select nspowner::regrole::text from pg_namespace where nspname = %s", [schema]).fetchone()[0]
    pg.execute(sql.SQL("grant usage on schema {} to {}").format(s, r))
    pg.execute(sql.SQL("grant select on all tables in schema {} to {}").format(s, r))
    # tables the schema owner creates there later (e.g. dbt-postgres into marts) are readable too; default
    # privileges hang on the schema's OID, which the rename keeps, so they move with marts_next → marts
    pg.execute(sql.SQL("alter default privileges for role {} in schema {} grant select on tables to {}").format(
        sql.SQL(owner), s, r))


def _swap(pg, schema: str, next_schema: str, old_schema: str, lock_timeout_s: float, attempts: int) -> int:
    """rename served→old, next→served, drop old: one transaction, retried when a reader holds a lock."""
    import psycopg
    from psycopg import sql

    S, Id = sql.SQL, sql.Identifier  # noqa: N806
    for attempt in range(1, attempts + 1):
        try:
            with pg.transaction():
                pg.execute(S("set local lock_timeout = {}").format(sql.Literal(f"{int(lock_timeout_s * 1000)}ms")))
                pg.execute(S("drop schema if exists {} cascade").format(Id(old_schema)))
                exists = pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone()
                if exists:
                    pg.execute(S("alter schema {} rename to {}").format(Id(schema), Id(old_schema)))
                pg.execute(S("alter schema {} rename to {}").format(Id(next_schema), Id(schema)))
                if exists:
                    pg.execute(S("drop schema {} cascade").format(Id(old_schema)))
            return attempt
        except psycopg.errors.LockNotAvailable:
            if attempt == attempts:
                raise ServePostgresError(
                    f"could not swap {next_schema} in: readers held locks on {schema} for "
                    f"{attempts} × {lock_timeout_s:g} s (long-running BI queries?)") from None
            log.warning("swap attempt %d/%d waited %.0f s for reader locks; retrying", attempt, attempts,
                        lock_timeout_s)
            time.sleep(min(2 ** attempt, 30))
    raise AssertionError("unreachable")


# --- the read-only role ----------------------------------------------------------------------------------------
def ensure_reader_role(url: str, role: str = READER_ROLE, *, password_env: str = READER_PASSWORD_ENV,
                       schema: str = SERVED_SCHEMA, statement_timeout: str = "60s",
                       idle_in_transaction_timeout: str = "10min", connection_limit: int = 20) -> dict:
    """Create/update a LOGIN role that can only CONNECT, USAGE on `schema` and SELECT its tables.

    Run as a role with CREATEROLE that owns the database (or a superuser). The password is read from the
    environment variable `password_env` and sent to the server as a SCRAM verifier, never in clear text.
    Locks the database down for everyone else too: PUBLIC loses CREATE/USAGE on schema public and TEMP on the
    database (dedicate the database to the warehouse).
    """
    import psycopg
    from psycopg import sql

    password = os.environ.get(password_env)
    if not password:
        raise ServePostgresError(f"set {password_env} to the reader's password (never put it in code or git)")
    S, Id, L = sql.SQL, sql.Identifier, sql.Literal  # noqa: N806
    r = Id(role)
    with psycopg.connect(url, autocommit=True) as pg:
        dbname = pg.info.dbname
        verifier = pg.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
        with pg.transaction():
            created = not pg.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
            if created:
                pg.execute(S("create role {} login").format(r))
            pg.execute(S("alter role {} with login nosuperuser nocreatedb nocreaterole noinherit noreplication "
                         "nobypassrls connection limit {} password {}").format(r, L(connection_limit), L(verifier)))
            pg.execute(S("alter role {} set default_transaction_read_only = on").format(r))
            pg.execute(S("alter role {} set statement_timeout = {}").format(r, L(statement_timeout)))
            pg.execute(S("alter role {} set idle_in_transaction_session_timeout = {}").format(
                r, L(idle_in_transaction_timeout)))
            pg.execute(S("alter role {} set search_path = {}").format(r, Id(schema)))
            # nothing through PUBLIC: no objects in public, no temp tables
            pg.execute("revoke all on schema public from public")
            pg.execute(S("revoke temporary on database {} from public").format(Id(dbname)))
            pg.execute(S("revoke all on database {} from {}").format(Id(dbname), r))
            pg.execute(S("grant connect on database {} to {}").format(Id(dbname), r))
            if pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone():
                _grant_reader(pg, schema, role)
    log.info("reader role %s ready on %s (%s)", role, redact(url), "created" if created else "updated")
    return {"role": role, "created": created, "database": dbname, "schema": schema,
            "statement_timeout": statement_timeout}


# --- entry points for tasks and the command line --------------------------------------------------------------
def publish_if_configured(settings=None) -> dict:
    """What a pipeline task calls after the DuckDB publication: no-op unless JAMSTAT_POSTGRES_URL is set."""
    from jamstat.settings import Settings

    settings = settings or Settings.from_env()
    if not settings.postgres_url:
        log.info("JAMSTAT_POSTGRES_URL is not set: Postgres publication is off")
        return {"skipped": "JAMSTAT_POSTGRES_URL not set"}
    role = os.environ.get("JAMSTAT_BI_READER_ROLE", READER_ROLE)
    return publish_to_postgres(settings.published_path, settings.postgres_url, reader_role=role)


def main(argv: list[str] | None = None) -> int:
    from jamstat.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    p = argparse.ArgumentParser(description="Publish the marts to PostgreSQL for BI tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    pub = sub.add_parser("publish", help="copy warehouse/jamstat.duckdb's marts into Postgres (atomic swap)")
    pub.add_argument("--duckdb", type=Path, default=None)
    ens = sub.add_parser("ensure-reader", help=f"create/update the read-only role (password from ${READER_PASSWORD_ENV})")
    ens.add_argument("--role", default=os.environ.get("JAMSTAT_BI_READER_ROLE", READER_ROLE))
    a = p.parse_args(argv)
    settings = Settings.from_env()
    if not settings.postgres_url:
        print("JAMSTAT_POSTGRES_URL is not set; nothing to do (Postgres publication is optional)", file=sys.stderr)
        return 0 if a.cmd == "publish" else 2
    if a.cmd == "ensure-reader":
        print(json.dumps(ensure_reader_role(settings.postgres_url, a.role)))
    else:
        print(json.dumps(publish_to_postgres(a.duckdb or settings.published_path, settings.postgres_url,
                                             reader_role=os.environ.get("JAMSTAT_BI_READER_ROLE", READER_ROLE))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
