"""`dbt build --target postgres` on a throwaway PostgreSQL server: same models, same marts as on DuckDB."""
from __future__ import annotations

import contextlib
import time

import pytest

from tests.portability.conftest import (
    DBT,
    N21704_STOCKHOLM_2023,
    REAL_VALUE_SQL,
    assert_same_marts,
    dbt_env,
    run_dbt,
)
from tests.support.servers import server_missing
from tools import engine_portability as portability
from tools.local_postgres import PostgresBinariesMissing, temporary_postgres

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_build(reference, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("portability_pg")
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(temporary_postgres())
        except PostgresBinariesMissing as exc:
            server_missing("POSTGRES PORTABILITY TEST", exc)
        url = server.create_database("warehouse")
        t0 = time.perf_counter()
        loaded = portability.load_postgres(reference["candidate"], url)
        load_s = time.perf_counter() - t0
        env = dbt_env(JAMSTAT_PG_HOST=server.host, JAMSTAT_PG_PORT=str(server.port), JAMSTAT_PG_USER=server.superuser,
                      JAMSTAT_PG_PASSWORD=server.password, JAMSTAT_PG_DBNAME="warehouse")
        t0 = time.perf_counter()
        build = run_dbt(DBT, ["build", "--target", "postgres"], env, tmp)
        build_s = time.perf_counter() - t0
        yield {"server": server, "loaded": loaded, "build": build, "load_s": load_s, "build_s": build_s}


def test_raw_tables_copied(pg_build, reference):
    import duckdb

    with duckdb.connect(str(reference["candidate"]), read_only=True) as con:
        want = {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
                for t in portability.raw_tables(reference["candidate"])}
    assert pg_build["loaded"] == want
    assert want["observations"] > 0 and want["batches"] > 0


def test_dbt_build_passes_on_postgres(pg_build, reference):
    b = pg_build["build"]
    assert b.returncode == 0, b.stdout[-6000:]
    assert "ERROR=0" in b.stdout and "SKIP=0" in b.stdout
    # the same node count as DuckDB: seeds, models (contracts enforced), data tests and unit tests all ran
    assert b.stdout.split("TOTAL=")[-1].split()[0] == reference["build"].stdout.split("TOTAL=")[-1].split()[0]
    print(f"postgres: load {pg_build['load_s']:.1f} s, dbt build {pg_build['build_s']:.1f} s "
          f"(duckdb {reference['seconds']:.1f} s)")


def test_real_value_survives_on_postgres(pg_build):
    with pg_build["server"].connect("warehouse") as con:
        assert dict(con.execute(REAL_VALUE_SQL).fetchall()) == N21704_STOCKHOLM_2023


def test_marts_equal_duckdb_build(pg_build, reference):
    assert pg_build["build"].returncode == 0, pg_build["build"].stdout[-3000:]
    with pg_build["server"].connect("warehouse") as con:
        def fetch(mart, cols):
            return con.execute(f"select {', '.join(cols)} from marts.{mart}").fetchall()

        assert_same_marts(reference, fetch)
