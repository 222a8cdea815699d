"""The GX gate validates the static suites in SQL inside DuckDB (jamstat/gates/gx_duckdb.py), not on DataFrames.

Every `make_candidate(...)` SQL argument is SYNTHETIC damage to the real fixture (tests/quality/quality_fixtures.py).
"""
from __future__ import annotations

import tracemalloc
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from jamstat.gates import great_expectations as gx_gate
from jamstat.gates import gx_duckdb

STATIC_SUITES = {"raw_observations", "raw_batches", "dim_area", "dim_indicator", "fct_indicator_value"}

# SYNTHETIC: three bad rows copied from real ones, each wrong in one way
SYNTH_BAD_AREA_CODE = ("INSERT INTO raw.observations SELECT * REPLACE ('01X' AS area_code) FROM raw.observations "
                       "WHERE source = 'kolada' AND area_code = '0180' AND sex = 'K' LIMIT 1")
SYNTH_BAD_SEX = ("INSERT INTO raw.observations SELECT * REPLACE ('X' AS sex) FROM raw.observations "
                 "WHERE source = 'kolada' AND area_code = '0180' AND sex = 'K' LIMIT 1")
SYNTH_PERCENT_150 = ("UPDATE marts.fct_indicator_value SET value = 150.0 "
                     "WHERE indicator_id = 'home_care_80plus_share' AND area_code = '0580' AND sex = 'M'")


def _failed(res) -> dict:
    return {c.check: c for c in res.checks if not c.success}


def test_bad_rows_fail_exactly_their_checks_in_sql_with_examples(make_candidate):
    res = gx_gate.run_gx_gate(make_candidate(SYNTH_BAD_AREA_CODE, SYNTH_BAD_SEX, SYNTH_PERCENT_150))
    failed = _failed(res)
    assert set(failed) == {
        "gx:raw_observations:expect_column_values_to_match_regex(area_code)",
        "gx:raw_observations:expect_column_values_to_be_in_set(sex)",
        "gx:fct_indicator_value:expect_column_values_to_be_between(value) [percent 0-100]"}, failed
    assert res.success is False and all(c.status == "failed" for c in failed.values())
    area = failed["gx:raw_observations:expect_column_values_to_match_regex(area_code)"]
    assert area.failing_rows == 1 and area.dataset == "raw.observations"
    assert area.examples[0]["area_code"] == "01X" and area.examples[0]["source"] == "kolada"
    assert {"source_ref", "period", "sex", "batch_id"} <= set(area.examples[0])  # the suite's id_columns
    sex = failed["gx:raw_observations:expect_column_values_to_be_in_set(sex)"]
    assert sex.failing_rows == 1 and sex.examples[0]["sex"] == "X" and sex.examples[0]["area_code"] == "0180"
    pct = failed["gx:fct_indicator_value:expect_column_values_to_be_between(value) [percent 0-100]"]
    assert pct.failing_rows == 1 and pct.dataset == "marts.fct_indicator_value"
    assert pct.examples[0]["value"] == 150.0 and pct.examples[0]["area_code"] == "0580"
    assert pct.expected["row_condition"].startswith('unit == "percent" and indicator_id not in [')


def test_every_static_expectation_is_evaluated_by_duckdb(good_candidate: Path, monkeypatch):
    """The static suites go to GX's SQL engine; only the tiny run-time tables go through DataFrames."""
    via_frames, via_sql = [], []
    validate, validate_query = gx_gate._GxRunner.validate, gx_gate._GxRunner.validate_query

    def frames(self, name, spec, df, *a):
        via_frames.append((name, len(df)))
        return validate(self, name, spec, df, *a)

    def sql(self, name, spec, query, *a):
        via_sql.append(name)
        result = validate_query(self, name, spec, query, *a)
        assert self.sql.get_execution_engine().engine.dialect.driver == gx_duckdb.DRIVER
        return result

    monkeypatch.setattr(gx_gate._GxRunner, "validate", frames)
    monkeypatch.setattr(gx_gate._GxRunner, "validate_query", sql)
    res = gx_gate.run_gx_gate(good_candidate)
    assert res.success, [c.check for c in res.checks if not c.success]
    assert set(via_sql) == STATIC_SUITES
    assert {n for n, _ in via_frames} == {f"{s}__schema" for s in STATIC_SUITES}
    assert max(rows for _, rows in via_frames) < 100  # column lists
    # every expectation of every static suite is a check that GX evaluated (none raised)
    specs = {s["name"]: s for s in gx_gate.load_gx_suites() if s["name"] in STATIC_SUITES}
    evaluated = [c for c in res.checks if c.check.split(":")[1] in STATIC_SUITES and ":schema(" not in c.check]
    assert len(evaluated) == sum(len(s["expectations"]) for s in specs.values())
    assert all(c.status == "passed" for c in evaluated)
    # passing checks keep what GX counted (the failing-row fetch runs only for failures)
    grain = next(c for c in evaluated if "expect_compound_columns_to_be_unique" in c.check)
    assert grain.observed["unexpected_count"] == 0 and grain.observed["element_count"] > 0
    assert all(c.observed is not None for c in evaluated)


def test_regex_keeps_partial_match_semantics(make_candidate):
    """`^[0-9]{4}` accepts '2021-2022' as the pandas engine did (DuckDB's `~` would not: it is a full match)."""
    p = make_candidate("UPDATE raw.observations SET period = '2021-2022' WHERE source = 'scb'",  # SYNTHETIC
                       "UPDATE raw.observations SET period = 'x2021' WHERE source = 'kolada' AND area_code = '0180'")
    failed = _failed(gx_gate.run_gx_gate(p, suites=["raw_observations"]))
    assert list(failed) == ["gx:raw_observations:expect_column_values_to_match_regex(period)"]
    assert {e["period"] for e in failed["gx:raw_observations:expect_column_values_to_match_regex(period)"].examples} \
        == {"x2021"}


def test_dialect_buffers_results_and_is_read_only(good_candidate: Path):
    """What GX's SQL engine needs from the dialect: rows still there after the connection is closed (GX fetches
    them then), and a candidate that cannot be written."""
    engine = sa.create_engine(gx_duckdb.connection_string(good_candidate))
    try:
        with engine.connect() as con:
            result = con.execute(sa.text("SELECT count(*) FROM raw.observations"))
        assert result.fetchall()[0][0] > 0
        with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match="read-only"):
            con.execute(sa.text("CREATE TABLE marts.scratch (x INTEGER)"))
    finally:
        engine.dispose()


def test_gate_releases_the_candidate(good_candidate: Path):
    assert gx_gate.run_gx_gate(good_candidate).success
    # DuckDB refuses a read-write connection to a file this process still holds read-only
    with duckdb.connect(str(good_candidate)) as con:
        con.execute("CREATE TABLE raw.after_the_gate AS SELECT 1 AS x")


def test_millions_of_raw_rows_are_not_pulled_into_python(make_candidate):
    """SYNTHETIC: raw.observations grown to 2 M rows. As DataFrames they would take well over 1 GB of Python
    memory; in SQL GX's Python side holds only metric results."""
    p = make_candidate("INSERT INTO raw.observations SELECT o.* REPLACE (o.period || 'M' || lpad((i % 12 + 1)::VARCHAR, "
                       "2, '0') AS period, o.value + i AS value) FROM raw.observations o, range(2000000 // "
                       "(SELECT count(*) FROM raw.observations)) t(i)")
    with duckdb.connect(str(p), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.observations").fetchone()[0] >= 1_900_000
    gx_gate._quiet_gx()  # importing GX allocates ~100 MB of Python objects of its own
    tracemalloc.start()
    try:
        res = gx_gate.run_gx_gate(p, suites=["raw_observations"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.success, [c.check for c in res.checks if not c.success]
    assert peak < 100e6, f"the GX gate's Python allocations peaked at {peak / 1e6:.0f} MB"
