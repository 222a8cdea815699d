"""The read-only BI role (default `bi_reader`): what PostgreSQL enforces about it, and what it cannot.

Enforced by privileges, which the role cannot change back:
* it may CONNECT to the warehouse database, USE schema `marts` and SELECT its tables, nothing else: PUBLIC
  loses CREATE on schema public and TEMP on the database, so no table, temp table or schema of its own;
* large objects (stored in the database, outside any schema): creating one needs EXECUTE on lo_creat,
  lo_create, lo_from_bytea and lo_import, which only a superuser can revoke from PUBLIC. `ensure-reader` does
  so when it runs as a superuser; run as the CREATEROLE loader it cannot, says so in its result
  (`large_objects_blocked: false`) and logs the statements for a DBA;
* it cannot block the publisher: the publisher's lock is a table in a schema the reader cannot see, and the
  database owner (the publisher) is made a member of the role, which lets it end reader sessions whose locks
  it waits for (jamstat.serve.postgres).
Defaults only, which the role may override in its own session: read-only transactions, the statement and
idle-in-transaction timeouts, the search path. Nothing relies on them for safety.
Not enforceable: every role may change its own password and its own session defaults (ALTER ROLE … SET);
`ensure-reader` resets both each time it runs. Keep `max_prepared_transactions = 0` (PostgreSQL's default):
a prepared transaction would keep a reader's locks beyond its session.
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

READER_ROLE = "bi_reader"
READER_PASSWORD_ENV = "JAMSTAT_BI_READER_PASSWORD"
SERVED_SCHEMA = "marts"
LARGE_OBJECT_CREATORS = ("lo_creat(integer)", "lo_create(oid)", "lo_from_bytea(oid, bytea)", "lo_import(text)",
                         "lo_import(text, oid)")


class ReaderRoleError(RuntimeError):
    pass


def grant_reader(pg, schema: str, role: str) -> None:
    """USAGE on `schema` and SELECT on its tables, now and for tables its owner creates there later."""
    from psycopg import sql

    r, s = sql.Identifier(role), sql.Identifier(schema)
    owner = pg.execute("select nspowner::regrole::text from pg_namespace where nspname = %s", [schema]).fetchone()[0]
    pg.execute(sql.SQL("grant usage on schema {} to {}").format(s, r))
    pg.execute(sql.SQL("grant select on all tables in schema {} to {}").format(s, r))
    # default privileges hang on the schema's OID, which a rename keeps, so they move with marts_next → marts
    pg.execute(sql.SQL("alter default privileges for role {} in schema {} grant select on tables to {}").format(
        sql.SQL(owner), s, r))


def _create_or_update(pg, role: str, verifier: str, connection_limit: int) -> bool:
    from psycopg import sql

    r = sql.Identifier(role)
    flags = pg.execute("select rolsuper, rolreplication, rolbypassrls from pg_roles where rolname = %s",
                       [role]).fetchone()
    if flags is None:
        pg.execute(sql.SQL("create role {} login nosuperuser nocreatedb nocreaterole noinherit noreplication "
                           "nobypassrls").format(r))
    elif any(flags):
        raise ReaderRoleError(f"role {role!r} has SUPERUSER, REPLICATION or BYPASSRLS, which a read-only role must "
                              f"not have and only a superuser can remove: ALTER ROLE {role} NOSUPERUSER NOREPLICATION "
                              "NOBYPASSRLS; then run ensure-reader again")
    # Only what a CREATEROLE role may change (PostgreSQL 15 refuses even NOSUPERUSER from a non-superuser).
    pg.execute(sql.SQL("alter role {} with login nocreatedb nocreaterole noinherit connection limit {} "
                       "password {}").format(r, sql.Literal(connection_limit), sql.Literal(verifier)))
    return flags is None


def _set_defaults(pg, role: str, dbname: str, schema: str, statement_timeout: str, idle_timeout: str) -> None:
    from psycopg import sql

    r = sql.Identifier(role)
    pg.execute(sql.SQL("alter role {} reset all").format(r))  # drops whatever the role set for itself
    pg.execute(sql.SQL("alter role {} in database {} reset all").format(r, sql.Identifier(dbname)))
    for name, value in (("default_transaction_read_only", "on"), ("statement_timeout", statement_timeout),
                        ("idle_in_transaction_session_timeout", idle_timeout), ("search_path", schema)):
        pg.execute(sql.SQL("alter role {} set {} = {}").format(r, sql.Identifier(name), sql.Literal(value)))


def _block_large_objects(pg, role: str, superuser: bool) -> bool:
    """Revoke creating large objects from PUBLIC (superuser only); True when the role can no longer create one."""
    statements = [f"revoke execute on function {f} from public" for f in LARGE_OBJECT_CREATORS]
    if superuser:
        for statement in statements:
            pg.execute(statement)
    blocked = not any(pg.execute("select has_function_privilege(%s, %s, 'execute')", [role, f]).fetchone()[0]
                      for f in LARGE_OBJECT_CREATORS)
    if not blocked:
        log.warning("role %s can still create large objects (persistent data outside any schema): only a superuser "
                    "can revoke that. Ask a DBA to run in this database: %s", role, "; ".join(statements))
    return blocked


def ensure_reader_role(url: str, role: str = READER_ROLE, *, password_env: str = READER_PASSWORD_ENV,
                       schema: str = SERVED_SCHEMA, statement_timeout: str = "60s",
                       idle_in_transaction_timeout: str = "10min", connection_limit: int = 20) -> dict:
    """Create/update a LOGIN role that can only CONNECT, USE `schema` and SELECT its tables.

    Run as the database owner with CREATEROLE (the loader) or as a superuser. The password is read from the
    environment variable `password_env` and sent to the server as a SCRAM verifier, never in clear text. Locks
    the database down for everyone else too (dedicate it to the warehouse): PUBLIC loses CREATE/USAGE on
    schema public and TEMP on the database."""
    import psycopg
    from psycopg import sql

    password = os.environ.get(password_env)
    if not password:
        raise ReaderRoleError(f"set {password_env} to the reader's password (never put it in code or git)")
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as pg:
        dbname = pg.info.dbname
        verifier = pg.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
        owner, superuser = pg.execute(
            "select datdba::regrole::text, (select rolsuper from pg_roles where rolname = current_user) "
            "from pg_database where datname = current_database()").fetchone()
        db, r = sql.Identifier(dbname), sql.Identifier(role)
        with pg.transaction():
            created = _create_or_update(pg, role, verifier, connection_limit)
            _set_defaults(pg, role, dbname, schema, statement_timeout, idle_in_transaction_timeout)
            pg.execute("revoke all on schema public from public")
            pg.execute(sql.SQL("revoke temporary on database {} from public").format(db))
            pg.execute(sql.SQL("revoke all on database {} from {}").format(db, r))
            pg.execute(sql.SQL("grant connect on database {} to {}").format(db, r))
            if pg.execute("select 1 from pg_namespace where nspname = %s", [schema]).fetchone():
                grant_reader(pg, schema, role)
            # the publisher (the database owner) may then end reader sessions that hold locks it needs
            pg.execute(sql.SQL("grant {} to {}").format(r, sql.SQL(owner)))
            large_objects_blocked = _block_large_objects(pg, role, superuser)
    log.info("reader role %s ready in database %s (%s)", role, dbname, "created" if created else "updated")
    return {"role": role, "created": created, "database": dbname, "schema": schema,
            "statement_timeout": statement_timeout, "publisher": owner,
            "large_objects_blocked": large_objects_blocked}
