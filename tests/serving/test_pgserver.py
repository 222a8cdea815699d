"""The throwaway PostgreSQL helper: says loudly when the binaries are missing, stops exactly its own server."""
from __future__ import annotations

import psycopg
import pytest

from tools import local_postgres as pgserver
from tools.local_postgres import PostgresBinariesMissing, find_pg_bin, start_server, stop_server


def test_missing_binaries_are_reported_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv("JAMSTAT_PG_BIN", str(tmp_path))
    monkeypatch.setattr(pgserver.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(pgserver.shutil, "which", lambda name: None)
    with pytest.raises(PostgresBinariesMissing, match=r"NOT FOUND .*apt-get install -y postgresql"):
        find_pg_bin()


@pytest.mark.postgres
def test_stop_stops_exactly_that_server(pg_server):
    other = start_server()
    try:
        assert other.port != pg_server.port and other.data_dir.exists()
        with psycopg.connect(other.url) as con:
            assert con.execute("select current_setting('listen_addresses')").fetchone()[0] == "127.0.0.1"
    finally:
        stop_server(other)
    assert not other.data_dir.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(other.url, connect_timeout=3)
    with pg_server.connect() as con:  # the session's server is untouched
        assert con.execute("select 1").fetchone() == (1,)
