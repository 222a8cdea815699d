"""PostgreSQL publication of the marts: values, read-only role, isolation from other schemas, atomic swap,
failed loads that leave the served schema untouched. Runs against a real throwaway PostgreSQL 15."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
from psycopg import errors

from jamstat.serve import postgres as serve_postgres
from jamstat.serve.postgres import ServePostgresError, UnsupportedColumnType, publish_to_postgres
from jamstat.serve.reader_role import ReaderRoleError, ensure_reader_role

from .conftest import N21704_STOCKHOLM_2023, build_published

pytestmark = pytest.mark.postgres


def _stockholm(con) -> dict[str, float]:
    rows = con.execute("select sex, value from marts.fct_indicator_value "
                       "where source_ref = 'N21704' and area_code = '0180' and year = 2023").fetchall()
    return dict(rows)


def _schemas(con) -> set[str]:
    return {r[0] for r in con.execute("select nspname from pg_namespace where nspname like 'marts%'").fetchall()}


@pytest.fixture
def served(warehouse, published):
    """A warehouse with the reader role and a first publication (as the non-superuser loader)."""
    ensure_reader_role(warehouse.admin_url)
    summary = publish_to_postgres(published, warehouse.loader_url)
    return warehouse, summary


def test_publish_copies_every_mart_with_real_values(served):
    warehouse, summary = served
    assert summary["tables"] == {"dim_area": 2, "fct_indicator_value": 3, "publications": 1}
    assert summary["schema"] == "marts" and summary["elapsed_s"] > 0 and summary["swap_attempts"] == 1
    assert warehouse.loader_password not in summary["url"]
    with warehouse.admin() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023  # exact doubles, no CSV rounding
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_schema = 'marts' and table_name = 'fct_indicator_value'").fetchall())
        assert types == {"indicator_id": "text", "source_ref": "text", "area_code": "text", "year": "integer",
                         "sex": "text", "value": "double precision", "status": "text",
                         "published_at": "timestamp without time zone", "ratio": "numeric"}
        notnull = {r[0] for r in con.execute("select column_name from information_schema.columns where "
                                             "table_schema='marts' and table_name='fct_indicator_value' "
                                             "and is_nullable='NO'").fetchall()}
        assert notnull == {"indicator_id", "source_ref", "area_code", "year", "sex"}
        # '' and NULL stay distinct through CSV
        status = dict(con.execute("select sex, status from marts.fct_indicator_value").fetchall())
        assert status == {"K": None, "M": None, "T": ""}
        assert _schemas(con) == {"marts"}  # no marts_next / marts_old left behind
        assert con.execute("select count(*) from pg_stat_user_tables where schemaname = 'marts' "
                           "and last_analyze is null").fetchone()[0] == 0


def test_type_mapping_round_trip(warehouse, tmp_path):
    path = build_published(tmp_path / "types.duckdb", extra_sql="""
        create type mood as enum ('low', 'high');
        create table marts.types as select
            true as b, 7::tinyint as ti, 70000::integer as i, 9007199254740993::bigint as bi,
            170141183460469231731687303715884105727::hugeint as hi, 18446744073709551615::ubigint as ub,
            12.345::decimal(10,3) as dec, 'inf'::double as inf, 'nan'::double as nan, 1.5::float as f4,
            date '2023-12-31' as d, timestamp '2024-01-02 03:04:05.123456' as ts,
            timestamptz '2024-01-01 00:30:00+01' as tstz, interval 90 minute as iv,
            '4f9d8f9e-55d5-4b4e-9b4a-0d2b2a0b1c11'::uuid as u, '{"a": [1, 2]}'::json as js,
            [1, 2, 3] as lst, {'k': 'v', 'n': 1} as st, 'high'::mood as en, '\\xAB\\x00\\xFF'::blob as bl,
            'åäö "quoted", comma' as txt, timestamp_ns '2024-01-02 03:04:05.123456789' as tsn""")
    ensure_reader_role(warehouse.admin_url)
    publish_to_postgres(path, warehouse.loader_url)
    with warehouse.admin() as con:
        row = con.execute("select * from marts.types").fetchone()
        cols = [d.name for d in con.execute("select * from marts.types limit 0").description]
        got = dict(zip(cols, row, strict=True))
    import datetime as dt
    import math
    import uuid
    from decimal import Decimal

    assert got["b"] is True and got["ti"] == 7 and got["i"] == 70000 and got["bi"] == 9007199254740993
    assert got["hi"] == Decimal("170141183460469231731687303715884105727")
    assert got["ub"] == Decimal("18446744073709551615") and got["dec"] == Decimal("12.345")
    assert math.isinf(got["inf"]) and math.isnan(got["nan"]) and got["f4"] == 1.5
    assert got["d"] == dt.date(2023, 12, 31) and got["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
    assert got["tstz"] == dt.datetime(2023, 12, 31, 23, 30, tzinfo=dt.UTC)
    assert got["iv"] == dt.timedelta(minutes=90) and got["u"] == uuid.UUID("4f9d8f9e-55d5-4b4e-9b4a-0d2b2a0b1c11")
    assert got["js"] == {"a": [1, 2]} and got["lst"] == [1, 2, 3] and got["st"] == {"k": "v", "n": 1}
    assert got["en"] == "high" and got["bl"] == b"\xab\x00\xff" and got["txt"] == 'åäö "quoted", comma'
    assert got["tsn"] == dt.datetime(2024, 1, 2, 3, 4, 5, 123456)


def test_reader_role_settings(served):
    warehouse, _ = served
    with warehouse.reader() as con:
        assert con.execute("show default_transaction_read_only").fetchone()[0] == "on"
        assert con.execute("show statement_timeout").fetchone()[0] == "1min"
        assert con.execute("show search_path").fetchone()[0] == "marts"
        assert con.execute("select count(*) from fct_indicator_value").fetchone()[0] == 3  # search_path
    with warehouse.admin() as con:
        flags = con.execute("select rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolinherit "
                            "from pg_roles where rolname = 'bi_reader'").fetchone()
        assert flags == (False, False, False, True, False)
        # the password went over as a SCRAM verifier, not in clear text
        assert con.execute("select rolpassword like 'SCRAM-SHA-256$%' from pg_authid "
                           "where rolname = 'bi_reader'").fetchone()[0]


def test_reader_can_select_every_mart(served):
    warehouse, summary = served
    with warehouse.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
        for table, rows in summary["tables"].items():
            assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] == rows


@pytest.mark.parametrize("statement", [
    "insert into marts.dim_area values ('9999', 'x', 'x')",
    "update marts.fct_indicator_value set value = 0",
    "delete from marts.fct_indicator_value",
    "truncate marts.dim_area",
    "create table marts.evil (i int)",
    "create table public.evil (i int)",
    "create temp table evil (i int)",
    "drop table marts.dim_area",
    "alter table marts.dim_area add column x int",
    "create schema evil",
])
def test_reader_cannot_write(served, statement):
    warehouse, _ = served
    with warehouse.reader(autocommit=True) as con:
        # the role default (read-only transactions) stops it first ...
        with pytest.raises(errors.ReadOnlySqlTransaction):
            con.execute(statement)
        # ... and privileges stop it even when the reader switches to a read-write transaction
        with pytest.raises(errors.InsufficientPrivilege), con.transaction():
            con.execute("set transaction read write")
            con.execute(statement)
    with warehouse.admin() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
        assert con.execute("select count(*) from marts.dim_area").fetchone()[0] == 2


def test_reader_cannot_see_or_read_other_schemas(served):
    warehouse, _ = served
    with psycopg.connect(warehouse.loader_url, autocommit=True) as owner:
        owner.execute("create schema raw")
        owner.execute("create table raw.observations as select 'N21704' as kpi, 25.688929::float8 as value")
        owner.execute("create table public.secrets as select 1 as x")
    with warehouse.reader(autocommit=True) as con:
        for table in ("raw.observations", "public.secrets"):
            with pytest.raises(errors.InsufficientPrivilege, match="permission denied for schema"):
                con.execute(f"select * from {table}")
        visible = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables "
                                             "where table_schema not in ('pg_catalog', 'information_schema')")}
        assert visible == {"marts"}
        assert not con.execute("select has_schema_privilege('raw', 'usage') or has_schema_privilege('public', 'usage')"
                               " or has_schema_privilege('public', 'create')").fetchone()[0]
        assert not con.execute("select has_database_privilege(current_database(), 'create') "
                               "or has_database_privilege(current_database(), 'temporary')").fetchone()[0]


def test_default_privileges_cover_tables_added_to_marts_later(served):
    warehouse, _ = served
    with psycopg.connect(warehouse.loader_url, autocommit=True) as owner:  # e.g. dbt-postgres adds a model
        owner.execute("create table marts.mart_new as select 1 as x")
    with warehouse.reader() as con:
        assert con.execute("select x from marts.mart_new").fetchone() == (1,)


def test_republish_is_idempotent(served):
    warehouse, first = served
    published = first["source"]
    second = publish_to_postgres(published, warehouse.loader_url)
    assert second["tables"] == first["tables"]
    with warehouse.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
    with warehouse.admin() as con:
        assert _schemas(con) == {"marts"}


def test_swap_is_atomic_for_a_reader_in_a_transaction(served, tmp_path):
    """A reader transaction that started before the swap keeps the complete old marts; afterwards everyone
    sees the complete new ones. The swap waits for that reader instead of dropping tables under it."""
    warehouse, _ = served
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    reader = warehouse.reader()
    reader.execute("begin isolation level repeatable read")
    assert _stockholm(reader) == N21704_STOCKHOLM_2023
    assert reader.execute("select count(*) from marts.dim_area").fetchone()[0] == 2

    result: dict = {}

    def publish():
        try:
            result["summary"] = publish_to_postgres(v2, warehouse.loader_url, lock_timeout_s=30)
        except Exception as exc:  # noqa: BLE001
            result["error"] = exc

    t = threading.Thread(target=publish)
    t.start()
    with warehouse.admin() as watcher:  # wait until the swap is blocked behind the reader's lock
        for _ in range(300):
            waiting = watcher.execute("select count(*) from pg_stat_activity where application_name = "
                                      "'jamstat-publish' and wait_event_type = 'Lock'").fetchone()[0]
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, f"publisher never waited for the reader: {result}"
        assert _schemas(watcher) == {"marts", "marts_next"}  # new data loaded, not yet served
    # still inside the old transaction: the complete old version, every table
    assert _stockholm(reader) == N21704_STOCKHOLM_2023
    assert reader.execute("select count(*) from marts.dim_area").fetchone()[0] == 2
    assert reader.execute("select count(*) from marts.fct_indicator_value").fetchone()[0] == 3
    reader.execute("commit")
    t.join(60)
    assert "error" not in result, result
    assert result["summary"]["tables"]["fct_indicator_value"] == 4
    # a new statement sees the complete new version
    assert _stockholm(reader) == {k: v + 100 for k, v in N21704_STOCKHOLM_2023.items()}
    assert reader.execute("select count(*) from marts.dim_area").fetchone()[0] == 3
    assert reader.execute("select run_id from marts.publications").fetchone()[0] == "run_v2"
    reader.close()
    with warehouse.admin() as con:
        assert _schemas(con) == {"marts"}


def test_swap_gives_up_cleanly_when_another_role_holds_locks(served, tmp_path):
    """Sessions of other roles (here the superuser) are never ended: the swap waits a bounded time, then fails."""
    warehouse, _ = served
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    with warehouse.admin() as other:
        other.execute("begin")
        _stockholm(other)  # holds AccessShareLock on the old fact table
        t0 = time.monotonic()
        with pytest.raises(ServePostgresError, match="could not swap"):
            publish_to_postgres(v2, warehouse.loader_url, lock_timeout_s=0.2, swap_attempts=2)
        assert time.monotonic() - t0 < 30
        assert _stockholm(other) == N21704_STOCKHOLM_2023
        other.execute("commit")
    with warehouse.admin() as con:
        assert _schemas(con) == {"marts"} and _stockholm(con) == N21704_STOCKHOLM_2023


def _assert_served_v1_untouched(warehouse):
    with warehouse.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
        assert con.execute("select count(*) from marts.dim_area").fetchone()[0] == 2
        assert con.execute("select run_id from marts.publications").fetchone()[0] == "run_v1"
    with warehouse.admin() as con:
        assert _schemas(con) == {"marts"}


def test_failing_load_mid_way_leaves_served_schema_unchanged(served, tmp_path):
    """Postgres rejects a NUL byte in text: the 2nd table's COPY fails after the 1st table was loaded."""
    warehouse, _ = served
    bad = build_published(tmp_path / "bad.duckdb", version=2,
                          extra_sql="insert into marts.fct_indicator_value (indicator_id, source_ref, area_code, "
                                    "year, sex, value) values ('x', 'N' || chr(0), '0180', 2024, 'T', 1)")
    with pytest.raises(errors.CharacterNotInRepertoire):
        publish_to_postgres(bad, warehouse.loader_url)
    _assert_served_v1_untouched(warehouse)


def test_simulated_error_after_some_tables_leaves_served_schema_unchanged(served, tmp_path, monkeypatch):
    warehouse, _ = served
    v2 = build_published(tmp_path / "v2.duckdb", version=2)
    real, calls = serve_postgres._load_table, []

    def flaky(*args, **kw):
        calls.append(args[5])
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real(*args, **kw)

    monkeypatch.setattr(serve_postgres, "_load_table", flaky)
    with pytest.raises(OSError, match="simulated"):
        publish_to_postgres(v2, warehouse.loader_url)
    assert len(calls) == 2
    _assert_served_v1_untouched(warehouse)


def test_error_during_swap_leaves_served_schema_unchanged(served, tmp_path, monkeypatch):
    warehouse, _ = served
    v2 = build_published(tmp_path / "v2.duckdb", version=2)

    def broken_swap(pg, schema, next_schema, old_schema, *a):
        with pg.transaction():
            pg.execute(f"alter schema {schema} rename to {old_schema}")
            raise RuntimeError("crash between the renames (simulated)")

    monkeypatch.setattr(serve_postgres, "_swap", broken_swap)
    with pytest.raises(RuntimeError, match="simulated"):
        publish_to_postgres(v2, warehouse.loader_url)
    _assert_served_v1_untouched(warehouse)


def test_unsupported_type_is_rejected_before_anything_is_created(served, tmp_path):
    warehouse, _ = served
    bad = build_published(tmp_path / "bits.duckdb", version=2,
                          extra_sql="create table marts.flags as select '1011'::bit as b")
    with pytest.raises(UnsupportedColumnType, match="'b' has DuckDB type BIT"):
        publish_to_postgres(bad, warehouse.loader_url)
    _assert_served_v1_untouched(warehouse)


def test_missing_reader_role_fails_before_loading(warehouse, published):
    with pytest.raises(ServePostgresError, match="reader role 'nobody' does not exist"):
        publish_to_postgres(published, warehouse.loader_url, reader_role="nobody")
    with warehouse.admin() as con:
        assert _schemas(con) == set()


def test_first_publication_and_reader_created_afterwards(warehouse, published):
    """Order does not matter: publish without a reader, then ensure_reader_role grants on the served marts."""
    publish_to_postgres(published, warehouse.loader_url, reader_role=None)
    ensure_reader_role(warehouse.admin_url)
    with warehouse.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023
    ensure_reader_role(warehouse.admin_url)  # idempotent, also rotates the password from the env
    with warehouse.reader() as con:
        assert _stockholm(con) == N21704_STOCKHOLM_2023


def test_reader_password_only_from_environment(warehouse, monkeypatch):
    monkeypatch.delenv("JAMSTAT_BI_READER_PASSWORD")
    with pytest.raises(ReaderRoleError, match="set JAMSTAT_BI_READER_PASSWORD"):
        ensure_reader_role(warehouse.admin_url)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(warehouse.reader_url("bi_reader").replace(warehouse.reader_password, "wrong")).close()


def test_publication_is_off_without_postgres_url(monkeypatch, tmp_path):
    monkeypatch.delenv("JAMSTAT_POSTGRES_URL", raising=False)
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path))
    assert serve_postgres.publish_if_configured() == {"skipped": "JAMSTAT_POSTGRES_URL not set"}
    assert serve_postgres.main(["publish"]) == 0


def test_publish_if_configured_uses_settings(warehouse, monkeypatch, tmp_path):
    build_published(tmp_path / "jamstat.duckdb")
    ensure_reader_role(warehouse.admin_url)
    monkeypatch.setenv("JAMSTAT_WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("JAMSTAT_POSTGRES_URL", warehouse.loader_url)
    summary = serve_postgres.publish_if_configured()
    assert summary["tables"]["fct_indicator_value"] == 3
    assert serve_postgres.redact(warehouse.loader_url) == summary["url"] and "***" in summary["url"]
