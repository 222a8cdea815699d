"""A hostile `bi_reader` session on a real PostgreSQL 15: it switches off every default it can (read-only
transactions, statement and idle timeouts) and still cannot write anything persistent or block the publisher,
because privileges, not defaults, stop it. And `ensure-reader` works when run as the CREATEROLE loader."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
from psycopg import errors

from jamstat.serve.postgres import ServePostgresError, publish_to_postgres
from jamstat.serve.reader_role import ensure_reader_role

from .conftest import N21704_STOCKHOLM_2023, build_published

pytestmark = pytest.mark.postgres

V2_STOCKHOLM = {k: v + 100 for k, v in N21704_STOCKHOLM_2023.items()}


def _stockholm(con) -> dict[str, float]:
    return dict(con.execute("select sex, value from marts.fct_indicator_value "
                            "where source_ref = 'N21704' and area_code = '0180' and year = 2023").fetchall())


def _hostile(warehouse):
    """A reader session that has switched off every default it is allowed to switch off."""
    con = warehouse.reader(autocommit=True)
    for setting in ("default_transaction_read_only = off", "statement_timeout = 0",
                    "idle_in_transaction_session_timeout = 0", "lock_timeout = 0"):
        con.execute(f"set {setting}")
    assert con.execute("show default_transaction_read_only").fetchone()[0] == "off"
    return con


@pytest.fixture
def served(warehouse, published):
    ensure_reader_role(warehouse.admin_url)
    publish_to_postgres(published, warehouse.loader_url)
    return warehouse


@pytest.fixture
def createrole_loader(warehouse):
    """The documented set-up: the loader owns the database and has CREATEROLE (no superuser)."""
    with warehouse.admin() as con:
        con.execute("alter role loader createrole")
    yield warehouse
    with warehouse.admin() as con:
        con.execute("alter role loader nocreaterole")


def test_ensure_reader_works_as_the_createrole_loader(createrole_loader, published):
    warehouse = createrole_loader
    result = ensure_reader_role(warehouse.loader_url)
    assert result["publisher"] == "loader"
    # PostgreSQL lets only a superuser revoke large-object creation: the result says so instead of pretending
    assert result["large_objects_blocked"] is False
    publish_to_postgres(published, warehouse.loader_url)
    with warehouse.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
        assert con.execute("show default_transaction_read_only").fetchone()[0] == "on"
    with warehouse.admin() as con:
        flags = con.execute("select rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolreplication, rolbypassrls "
                            "from pg_roles where rolname = 'bi_reader'").fetchone()
        assert flags == (False, False, False, False, False, False)
        assert con.execute("select pg_has_role('loader', 'bi_reader', 'member')").fetchone()[0]


def test_reader_cannot_create_large_objects_even_read_write(served):
    with _hostile(served) as con:
        for statement in ("select lo_create(0)", "select lo_creat(-1)", "select lo_from_bytea(0, 'x'::bytea)"):
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied for function"):
                con.execute(statement)
    with served.admin() as con:
        assert con.execute("select count(*) from pg_largeobject_metadata").fetchone()[0] == 0


def test_reader_cannot_take_or_hold_the_publisher_lock(served, tmp_path):
    """The old publisher used an advisory lock any session could take; the lock now lives on a table the reader
    cannot even see, so a reader holding the old key changes nothing."""
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    hostile = _hostile(served)
    hostile.execute("select pg_advisory_lock(hashtext('jamstat.serve_postgres.marts'))")
    with pytest.raises(errors.InsufficientPrivilege, match="permission denied for schema"), hostile.transaction():
        hostile.execute("lock table jamstat_publisher.publish_marts in access share mode")
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(summary=publish_to_postgres(v2, served.loader_url)))
    worker.start()
    worker.join(60)
    finished = not worker.is_alive()
    hostile.close()  # lets a blocked old-style publisher go, so the thread ends either way
    worker.join(30)
    assert finished, "the publisher waited on a lock a reader holds"
    with served.admin() as con:
        assert _stockholm(con) == V2_STOCKHOLM


def test_idle_reader_transaction_cannot_block_the_swap(served, tmp_path):
    """A reader with no timeouts left holds locks on the served marts forever; the publisher waits one
    lock_timeout, ends that reader session (it is a member of the reader role) and swaps."""
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    hostile = _hostile(served)
    hostile.execute("begin")
    assert _stockholm(hostile) == N21704_STOCKHOLM_2023  # AccessShareLock on the fact table, then idle
    t0 = time.monotonic()
    summary = publish_to_postgres(v2, served.loader_url, lock_timeout_s=0.5, swap_attempts=3)
    assert time.monotonic() - t0 < 30 and summary["swap_attempts"] == 2
    with pytest.raises(psycopg.OperationalError):
        hostile.execute("select 1")  # its session was ended
    hostile.close()
    with served.reader() as con:
        assert _stockholm(con) == V2_STOCKHOLM


def test_role_settings_a_reader_changes_are_reset_by_ensure_reader(served):
    """PostgreSQL lets every role change its own defaults (ALTER ROLE … SET), per database too, which wins over
    the role-wide one — no privilege can stop that; the docs say so, and ensure-reader clears them all."""
    with _hostile(served) as con:
        con.execute(f"alter role bi_reader in database {served.name} set default_transaction_read_only = off")
    with served.reader() as con:
        assert con.execute("show default_transaction_read_only").fetchone()[0] == "off"
    ensure_reader_role(served.admin_url)
    with served.reader() as con:
        assert con.execute("show default_transaction_read_only").fetchone()[0] == "on"


def test_a_running_publication_makes_the_next_wait_a_bounded_time(served, tmp_path, monkeypatch):
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    monkeypatch.setenv("JAMSTAT_PG_PUBLISHER_WAIT_S", "1")
    with psycopg.connect(served.loader_url) as other:  # another publisher in the middle of its work
        other.execute("lock table jamstat_publisher.publish_marts in exclusive mode")
        t0 = time.monotonic()
        with pytest.raises(ServePostgresError, match="another publication of schema marts is still running"):
            publish_to_postgres(v2, served.loader_url)
        assert time.monotonic() - t0 < 10
    with served.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023


def test_publisher_statements_have_a_deadline(served, tmp_path, monkeypatch):
    """A statement stuck behind a session the publisher may not end stops at the statement timeout."""
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    monkeypatch.setenv("JAMSTAT_PG_STATEMENT_TIMEOUT_S", "1")
    with served.admin() as other:
        other.execute("begin")
        _stockholm(other)
        t0 = time.monotonic()
        with pytest.raises(errors.QueryCanceled, match="statement timeout"):
            publish_to_postgres(v2, served.loader_url, lock_timeout_s=60)
        assert time.monotonic() - t0 < 20
        other.execute("rollback")
    with served.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
