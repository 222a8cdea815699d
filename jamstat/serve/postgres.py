"""Optional PostgreSQL publication of the published marts, for BI tools that speak only Postgres.

Off unless JAMSTAT_POSTGRES_URL is set (Settings.postgres_url). It runs *after* the DuckDB publication and
reads only the published file (warehouse/jamstat.duckdb), so Postgres never holds anything the gates did
not pass:

0. one publisher at a time: a lock on a table in schema `jamstat_publisher`, which readers cannot see (an
   advisory lock would be one any reader could take), waited for at most JAMSTAT_PG_PUBLISHER_WAIT_S;
1. every table of schema `marts` in the published DuckDB file (ATTACHed READ_ONLY from an in-memory session)
   is created in a fresh schema `marts_next` with matching Postgres types and loaded with psycopg3 COPY
   (DuckDB writes CSV to a private temp file, streamed in 1 MiB chunks; the row count is checked);
2. ANALYZE, GRANT USAGE/SELECT (+ default privileges) to the reader role; commit;
3. ONE transaction: `alter schema marts rename to marts_old; alter schema marts_next rename to marts;
   drop schema marts_old cascade`. Readers see the old or the new marts, never a mix. A reader
   transaction that has already read a mart keeps its locks; the swap waits for it (lock_timeout) instead of
   pulling tables from under it, and after that wait ends the reader-role sessions that still hold such locks
   (the publisher is a member of the reader role: jamstat.serve.reader_role), then retries.

Every wait is bounded: connecting (10 s), each statement (JAMSTAT_PG_STATEMENT_TIMEOUT_S, default 900) and
each lock (lock_timeout). Any failure drops `marts_next` and leaves the served `marts` untouched. Running it
twice is harmless. Passwords come only from the URL/environment (JAMSTAT_POSTGRES_URL,
JAMSTAT_BI_READER_PASSWORD, libpq PG*).

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
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from jamstat.serve.reader_role import READER_PASSWORD_ENV, READER_ROLE, SERVED_SCHEMA, ensure_reader_role, grant_reader

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
LOCK_SCHEMA = "jamstat_publisher"   # owned by the publisher, granted to nobody
CONNECT_TIMEOUT_S = 10


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
def _env_seconds(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


@contextmanager
def _publisher_lock(url: str, schema: str, wait_s: float):
    """Hold the one-publisher lock for the block: a table lock, in its own connection and transaction, on a
    table in a schema no reader has USAGE on (so no reader can take or hold it)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                         application_name="jamstat-publish-lock") as lock:
        lock.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(LOCK_SCHEMA)))
        lock.execute(sql.SQL("create table if not exists {}.{} (schema_name text)").format(
            sql.Identifier(LOCK_SCHEMA), sql.Identifier(f"publish_{schema}")))
        lock.execute("set idle_in_transaction_session_timeout = 0")  # this connection idles while it holds
        with lock.transaction():
            lock.execute(sql.SQL("set local lock_timeout = {}").format(sql.Literal(f"{int(wait_s * 1000)}ms")))
            try:
                lock.execute(sql.SQL("lock table {}.{} in exclusive mode").format(
                    sql.Identifier(LOCK_SCHEMA), sql.Identifier(f"publish_{schema}")))
            except psycopg.errors.LockNotAvailable:
                raise ServePostgresError(
                    f"another publication of schema {schema} is still running after {wait_s:g} s "
                    "(JAMSTAT_PG_PUBLISHER_WAIT_S); let it finish, or find it in pg_stat_activity "
                    "(application_name 'jamstat-publish') and stop it") from None
            yield


def _connect(url: str, statement_timeout_s: float, lock_timeout_s: float):
    import psycopg

    pg = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, application_name="jamstat-publish")
    pg.execute("select set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
               [f"{int(statement_timeout_s * 1000)}ms", f"{int(lock_timeout_s * 1000)}ms"])
    return pg


def publish_to_postgres(published_duckdb: Path, url: str, *, schema: str = SERVED_SCHEMA,
                        reader_role: str | None = READER_ROLE, lock_timeout_s: float = 10.0,
                        swap_attempts: int = 6, duckdb_schema: str = SERVED_SCHEMA) -> dict:
    """Copy every table of `marts` in the published DuckDB file into Postgres and swap it in atomically.

    Returns {"schema", "tables": {table: rows}, "elapsed_s", "load_s", "swap_s", "swap_attempts", "url"}.
    """
    import duckdb

    started = time.perf_counter()
    published_duckdb = Path(published_duckdb).resolve()  # one publication, even if a newer one becomes current
    if not published_duckdb.is_file():
        raise ServePostgresError(f"published DuckDB file {published_duckdb} does not exist; publish it first")
    names = (schema, f"{schema}_next", f"{schema}_old")
    duck = duckdb.connect()
    workdir = Path(tempfile.mkdtemp(prefix="jamstat-pgpub-"))
    try:
        duck.execute("ATTACH '{}' AS pub (READ_ONLY)".format(str(published_duckdb).replace("'", "''")))
        tables = _read_marts(duck, "pub", duckdb_schema)  # type check before anything is created
        if not tables:
            raise ServePostgresError(f"{published_duckdb} has no tables in schema {duckdb_schema}")
        with _publisher_lock(url, schema, _env_seconds("JAMSTAT_PG_PUBLISHER_WAIT_S", 300)), \
                _connect(url, _env_seconds("JAMSTAT_PG_STATEMENT_TIMEOUT_S", 900), lock_timeout_s) as pg:
            if reader_role and not pg.execute("select 1 from pg_roles where rolname = %s", [reader_role]).fetchone():
                raise ServePostgresError(
                    f"reader role {reader_role!r} does not exist; run ensure_reader_role() "
                    "(python -m jamstat.serve.postgres ensure-reader) or the compose init script first")
            row_counts, load_s, attempts = _load_and_swap(duck, pg, workdir, tables, names, reader_role,
                                                          duckdb_schema, lock_timeout_s, swap_attempts)
    finally:
        duck.close()
        shutil.rmtree(workdir, ignore_errors=True)

    elapsed = time.perf_counter() - started
    summary = {"schema": schema, "tables": row_counts, "elapsed_s": round(elapsed, 3), "load_s": round(load_s, 3),
               "swap_s": round(elapsed - load_s, 3), "swap_attempts": attempts, "url": redact(url),
               "source": str(published_duckdb)}
    log.info("published %d tables to Postgres %s schema %s in %.2f s", len(row_counts), redact(url), schema, elapsed)
    return summary


def _load_and_swap(duck, pg, workdir: Path, tables: dict, names: tuple[str, str, str], reader_role: str | None,
                   duckdb_schema: str, lock_timeout_s: float, swap_attempts: int) -> tuple[dict, float, int]:
    import psycopg
    from psycopg import sql

    schema, next_schema, old_schema = names
    started = time.perf_counter()
    drop_next = sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(next_schema))
    _with_readers_out_of_the_way(pg, lambda: pg.execute(drop_next), names, reader_role, lock_timeout_s,
                                 swap_attempts, "clear the leftovers of an earlier publication")
    row_counts: dict[str, int] = {}
    try:
        with pg.transaction():
            pg.execute(sql.SQL("create schema {}").format(sql.Identifier(next_schema)))
            for table, cols in tables.items():
                row_counts[table] = _load_table(duck, pg, workdir, duckdb_schema, next_schema, table, cols)
            for table in tables:
                pg.execute(sql.SQL("analyze {}.{}").format(sql.Identifier(next_schema), sql.Identifier(table)))
            if reader_role:
                grant_reader(pg, next_schema, reader_role)
        load_s = time.perf_counter() - started
        attempts = _swap(pg, schema, next_schema, old_schema, lock_timeout_s, swap_attempts, reader_role)
    except BaseException:
        try:
            pg.execute(drop_next)
        except psycopg.Error:  # connection gone or blocked: the next publication clears it
            log.exception("could not drop %s after a failed publication", next_schema)
        raise
    return row_counts, load_s, attempts


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


def _end_blocking_readers(pg, schemas: tuple[str, ...], reader_role: str | None) -> list[int]:
    """End the reader-role sessions that hold locks on tables of `schemas` (a long BI query, a transaction left
    open). Allowed because the publisher is a member of the reader role; other sessions are waited for only."""
    import psycopg

    if not reader_role:
        return []
    pids = [r[0] for r in pg.execute(
        "select distinct l.pid from pg_locks l join pg_class c on c.oid = l.relation "
        "join pg_namespace n on n.oid = c.relnamespace join pg_stat_activity a on a.pid = l.pid "
        "where n.nspname = any(%s) and l.granted and a.usename = %s and l.pid <> pg_backend_pid()",
        [list(schemas), reader_role]).fetchall()]
    ended = []
    for pid in pids:
        try:
            if pg.execute("select pg_terminate_backend(%s)", [pid]).fetchone()[0]:
                ended.append(pid)
        except psycopg.errors.InsufficientPrivilege:
            log.warning("may not end reader session %s (make the publisher a member of %s: ensure-reader does)",
                        pid, reader_role)
    if ended:
        log.warning("ended %d %s session(s) that held locks the publication needs: %s", len(ended), reader_role, ended)
    return ended


def _with_readers_out_of_the_way(pg, action, schemas: tuple[str, ...], reader_role: str | None,
                                 lock_timeout_s: float, attempts: int, what: str):
    """Run `action` (its own transaction); when a lock wait times out, end blocking reader sessions and retry."""
    import psycopg

    for attempt in range(1, attempts + 1):
        try:
            return attempt, action()
        except psycopg.errors.LockNotAvailable:
            if attempt == attempts:
                raise ServePostgresError(
                    f"could not {what}: other sessions held locks on {schemas[0]} for {attempts} × "
                    f"{lock_timeout_s:g} s (long-running queries of a role other than the reader?)") from None
            ended = _end_blocking_readers(pg, schemas, reader_role)
            log.warning("attempt %d/%d to %s waited %.1f s for locks; retrying", attempt, attempts, what,
                        lock_timeout_s)
            time.sleep(0.2 if ended else min(2 ** attempt, 30))
    raise AssertionError("unreachable")


def _swap(pg, schema: str, next_schema: str, old_schema: str, lock_timeout_s: float, attempts: int,
          reader_role: str | None = None) -> int:
    """rename served→old, next→served, drop old: one transaction, retried when a session holds a lock."""
    from psycopg import sql

    S, Id = sql.SQL, sql.Identifier  # noqa: N806

    def swap_once() -> None:
        with pg.transaction():
            pg.execute(S("set local lock_timeout = {}").format(sql.Literal(f"{int(lock_timeout_s * 1000)}ms")))
            pg.execute(S("drop schema if exists {} cascade").format(Id(old_schema)))
            exists = pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone()
            if exists:
                pg.execute(S("alter schema {} rename to {}").format(Id(schema), Id(old_schema)))
            pg.execute(S("alter schema {} rename to {}").format(Id(next_schema), Id(schema)))
            if exists:
                pg.execute(S("drop schema {} cascade").format(Id(old_schema)))

    attempt, _ = _with_readers_out_of_the_way(pg, swap_once, (schema, next_schema, old_schema), reader_role,
                                              lock_timeout_s, attempts, f"swap {next_schema} in")
    return attempt


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
    ens = sub.add_parser("ensure-reader",
                         help=f"create/update the read-only role (password from ${READER_PASSWORD_ENV})")
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
