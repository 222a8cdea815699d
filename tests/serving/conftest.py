"""Fixtures for the serving tests: one throwaway PostgreSQL per session, a fresh database per test, and a
small published-style DuckDB file holding real Kolada values."""
from __future__ import annotations

import itertools
import json
import re
import secrets
from pathlib import Path

import pytest

from tests.support.servers import server_missing
from tools.local_postgres import PostgresBinariesMissing, temporary_postgres

# Real values: Kolada N21704 (home care for people 80+), 2023, Stockholm (0180).
N21704_STOCKHOLM_2023 = {"K": 25.688929, "M": 15.778849, "T": 21.88749}


@pytest.fixture(scope="session")
def pg_server():
    try:
        with temporary_postgres() as server:
            yield server
    except PostgresBinariesMissing as exc:
        server_missing("POSTGRES TESTS", exc)


_DB_COUNTER = itertools.count(1)


class Warehouse:
    """A fresh database on the session server: owned by a non-superuser `loader` that publishes."""

    def __init__(self, server, name: str):
        self.server, self.name = server, name
        self.loader_password = secrets.token_urlsafe(16)
        self.reader_password = secrets.token_urlsafe(16)
        with server.connect(autocommit=True) as con:
            if not con.execute("select 1 from pg_roles where rolname = 'loader'").fetchone():
                con.execute("create role loader login")
            con.execute(f"alter role loader password '{self.loader_password}'")
        server.create_database(name, owner="loader")
        self.admin_url = server.url_for(name)
        self.loader_url = server.url_for(name, user="loader", password=self.loader_password)

    def reader_url(self, role: str = "bi_reader") -> str:
        return self.server.url_for(self.name, user=role, password=self.reader_password)

    def admin(self):
        return self.server.connect(self.name, autocommit=True)

    def reader(self, role: str = "bi_reader", **kw):
        import psycopg

        return psycopg.connect(self.reader_url(role), **kw)


@pytest.fixture
def warehouse(pg_server, request, monkeypatch) -> Warehouse:
    name = f"wh_{next(_DB_COUNTER)}_" + re.sub(r"[^a-z0-9_]+", "_", request.node.originalname.lower())[:40]
    wh = Warehouse(pg_server, name)
    monkeypatch.setenv("JAMSTAT_BI_READER_PASSWORD", wh.reader_password)
    yield wh
    with pg_server.connect(autocommit=True) as con:
        con.execute(f'drop database if exists "{name}" with (force)')


def build_published(path: Path, *, version: int = 1, extra_sql: str = "") -> Path:
    """A published-style DuckDB file: schema `marts` only, a dimension, a fact and the audit table.

    version=2 changes the Stockholm values (+100) and adds a municipality, so a reader can tell versions apart.
    """
    import duckdb

    path.unlink(missing_ok=True)
    bump = 0.0 if version == 1 else 100.0
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_area (area_code varchar not null, area_name varchar, area_level varchar)")
        areas = [("0180", "Stockholm", "municipality"), ("0001", "Region Stockholm", "region")]
        if version == 2:
            areas.append(("0114", "Upplands Väsby", "municipality"))
        con.executemany("insert into marts.dim_area values (?, ?, ?)", areas)
        con.execute("""create table marts.fct_indicator_value (
            indicator_id varchar not null, source_ref varchar not null, area_code varchar not null,
            year integer not null, sex varchar not null, value double, status varchar,
            published_at timestamp, ratio decimal(9,4))""")
        rows = [("home_care_80plus", "N21704", "0180", 2023, sex, v + bump, "" if sex == "T" else None,
                 "2026-11-26 06:00:00", None) for sex, v in N21704_STOCKHOLM_2023.items()]
        if version == 2:
            rows.append(("home_care_80plus", "N21704", "0114", 2023, "T", 19.5, None, "2026-11-27 06:00:00", 1.2345))
        con.executemany("insert into marts.fct_indicator_value values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("create table marts.publications (run_id varchar, published_at timestamp, row_counts varchar)")
        con.execute("insert into marts.publications values (?, now()::timestamp, ?)",
                    [f"run_v{version}", json.dumps({"fct_indicator_value": len(rows)})])
        if extra_sql:
            con.execute(extra_sql)
    return path


@pytest.fixture
def published(tmp_path) -> Path:
    return build_published(tmp_path / "jamstat.duckdb")
