"""The SQL cookbook in queries/: every file runs as documented (`duckdb -readonly warehouse/jamstat.duckdb < x.sql`)
on a real replay-mode warehouse, returns its documented columns, and returns the real recorded values where the
replay data hold any. The same files run on PostgreSQL (the BI serving copy of the marts) with the same result.

One pipeline run for the whole module (~60 s): `python -m tools.make_run` with JAMSTAT_MODE=replay in an isolated
Airflow home / data dir / warehouse dir, exactly as tests/e2e does."""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO
from tests.support.pipeline import published_path
from tests.support.servers import server_missing

pytestmark = pytest.mark.slow

QUERIES = REPO / "queries"
N00945_REFERENCE = REPO / "ingest" / "reference" / "rKolada_n00945_vab_mans_andel_0180_1280_1480.csv"
# Real values: Kolada v3 recording of N21704 (home care 80+), 2023, Stockholm 0180.
N21704_0180_2023 = {"K": 25.688929, "M": 15.778849, "T": 21.88749}
N21704_0180_2023_GAP = 9.91008
N21704_0180_2023_ROUNDED = tuple(round(N21704_0180_2023[sex], 1) for sex in "KMT")  # as the cookbook shows them

EXPECTED_COLUMNS = {
    "01_parental_benefit_men_share_stockholm_county.sql": [
        "area_name", "year", "men_share_pct", "women_share_pct", "distance_to_parity_pp", "is_within_40_60",
        "rank_in_county", "county_men_share_pct", "country_men_share_pct", "diff_to_county_pp", "diff_to_country_pp",
        "n_municipalities_with_value", "area_code", "note"],
    "02_parental_benefit_days_per_recipient_gap.sql": [
        "area_name", "year", "days_women", "days_men", "days_total", "gap_days_women_minus_men", "women_pct_of_men",
        "distance_to_parity_pct", "rank_largest_gap", "country_gap_days", "gap_diff_to_country_days", "area_code",
        "note"],
    "03_vab_men_share_trend.sql": [
        "area_name", "year", "men_share_pct", "women_share_pct", "distance_to_parity_pp", "is_within_40_60",
        "direction_of_change", "men_share_change_prev_year_pp", "men_share_change_since_baseline_pp",
        "county_men_share_pct", "country_men_share_pct", "previous_year", "baseline_year", "men_share_baseline_pct",
        "has_break_since_previous_year", "has_break_since_baseline", "area_code", "note"],
    "04_subgoals_without_statistics.sql": [
        "subgoal_key", "goal_id", "subgoal_id", "subgoal_sv", "subgoal_en", "is_strategy_subgoal",
        "national_goal_2016_id", "n_indicators_in_catalog", "n_indicators_counted", "n_indicators_ingested",
        "n_indicators_with_public_source", "status_stockholm_county", "status_any_area", "publishers_not_ingested",
        "n_area_years_with_data", "latest_year_with_data"],
    "05_municipality_vs_county_and_country.sql": [
        "indicator_name_sv", "area_name", "year", "sex", "value", "county_value", "country_value", "diff_to_county",
        "diff_to_country", "rank_in_county_desc", "unit", "desired_direction", "goal_id", "subgoal_key",
        "indicator_id", "source_ref", "value_semantics", "area_code", "county_code", "county_value_basis",
        "ratio_to_county", "ratio_to_country", "n_municipalities_with_value", "n_municipalities_in_county", "note"],
    "06_goal_indicators_stockholm_county.sql": [
        "subgoal_key", "indicator_name_sv", "area_name", "year", "value_women", "value_men", "value_total",
        "gap_women_minus_men", "distance_to_parity", "is_at_parity", "direction_of_change", "note", "unit", "origin",
        "counts_in_followup", "judged_on", "parity_metric", "parity_metric_value", "parity_target",
        "parity_tolerance", "has_break_since_previous_year", "series_breaks", "indicator_id", "source", "source_ref",
        "geography_levels", "area_code"],
    "07_latest_publication.sql": [
        "run_id", "published_at", "git_commit", "source_modes", "storage_version", "n_publications",
        "identical_to_previous", "gate_number", "gate", "gate_passed", "gate_verdict", "gate_checks", "gate_failed",
        "row_counts"],
    "08_foreign_born_gap_botkyrka.sql": [
        "area_name", "indicator_name_sv", "year", "value_women", "value_men", "gap_women_minus_men",
        "women_pct_of_men", "is_at_parity", "direction_of_change", "gap_born_in_sweden", "gap_all", "unit",
        "indicator_id", "area_code", "birth_region", "note"],
    "09_employment_gap_per_regso_stockholm.sql": [
        "area_name", "year", "value_women", "value_men", "gap_women_minus_men", "women_pct_of_men", "is_at_parity",
        "rank_largest_gap", "municipality_gap", "gap_diff_to_municipality", "area_version", "area_code", "note"],
}


# --- fixtures and helpers -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def warehouse(replay_publication) -> Path:
    """The session's real replay-mode publication (read only)."""
    path = published_path(replay_publication.env)
    assert path.is_file()
    return path


def duckdb_cli() -> Path:
    for candidate in (REPO / ".venv" / "bin" / "duckdb", Path(sys.executable).parent / "duckdb"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("duckdb CLI not found in .venv/bin (it is part of the venv; run `make` to create it)")


def sql_of(name: str) -> str:
    return (QUERIES / name).read_text(encoding="utf-8")


def with_param(sql: str, old: str, new: str) -> str:
    """Edit a `<<< PARAMETER` line the way an analyst would; the old text must occur exactly once."""
    assert sql.count(old) == 1, f"parameter text {old!r} must occur exactly once"
    return sql.replace(old, new)


def run_sql(warehouse: Path, sql: str, *, as_float: bool = True) -> tuple[list[str], list[dict]]:
    """Columns and rows; the rounded numeric columns come back as floats (as_float) for easy comparison."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(sql)
        columns = [d[0] for d in cur.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    if as_float:
        rows = [{k: float(v) if isinstance(v, decimal.Decimal) else v for k, v in r.items()} for r in rows]
    return columns, rows


def query(warehouse: Path, name: str) -> list[dict]:
    columns, rows = run_sql(warehouse, sql_of(name))
    assert columns == EXPECTED_COLUMNS[name]
    return rows


def reference_n00945(area: str) -> dict[int, float]:
    with N00945_REFERENCE.open(encoding="utf-8") as f:
        return {int(r["year"]): float(r["value"]) for r in csv.DictReader(f)
                if r["municipality_id"] == area and r["gender"] == "T"}


# --- every file: documented, listed, runnable as-is -------------------------------------------------------------
def test_every_query_is_covered_and_documented():
    files = sorted(p.name for p in QUERIES.glob("*.sql"))
    assert files == sorted(EXPECTED_COLUMNS), "a query without expectations here, or an expected query missing"
    readme = (QUERIES / "README.md").read_text(encoding="utf-8")
    for name in files:
        assert f"`{name}`" in readme, f"{name} is not listed in queries/README.md"
        header = sql_of(name).split("\nwith ", 1)[0]
        assert all(line.startswith("--") or not line.strip() for line in header.splitlines()), name
        for required in ("Goal:", "Columns", "Caveats", "Portable SQL", "replay"):
            assert required.lower() in header.lower(), f"{name}: header lacks {required!r}"
        if "params as (" in sql_of(name):
            assert "<<< PARAMETER" in sql_of(name) and "PARAMETER" in header, f"{name}: parameters not marked"


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_runs_as_documented_in_the_duckdb_cli(warehouse, name):
    """Exactly the documented command: duckdb -readonly <warehouse> < queries/<name>."""
    with (QUERIES / name).open("rb") as stdin:
        result = subprocess.run([str(duckdb_cli()), "-readonly", str(warehouse)], stdin=stdin,
                                capture_output=True, timeout=120)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0 and not stderr.strip(), stderr
    out = result.stdout.decode("utf-8", "replace")
    for column in EXPECTED_COLUMNS[name][:3]:  # the CLI may elide columns of wide results, never the first
        assert column in out


def _keywords_not_fit_for_column_names(con) -> set[str]:
    """DuckDB's own reserved keywords, plus `rows` and `years`: unreserved, but SQL syntax (window frames,
    interval units) that makes an ad-hoc query hard to read or to write."""
    reserved = {r[0] for r in con.execute(
        "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'").fetchall()}
    assert {"select", "order", "group"} <= reserved  # the list is DuckDB's, not empty
    return reserved | {"rows", "years"}


def test_no_mart_or_query_column_is_named_with_a_keyword(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        banned = _keywords_not_fit_for_column_names(con)
        mart_columns = con.execute("select table_name, column_name from duckdb_columns() "
                                   "where schema_name = 'marts'").fetchall()
    assert len(mart_columns) > 100
    assert [(t, c) for t, c in mart_columns if c.lower() in banned] == []
    for name in sorted(EXPECTED_COLUMNS):
        columns, _ = run_sql(warehouse, sql_of(name))
        assert [c for c in columns if c.lower() in banned] == [], name


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_numbers_are_rounded_for_presentation(warehouse, name):
    """No float reaches the analyst: every non-integer number is a numeric with at most 2 decimals."""
    sql = sql_of(name)
    for old, new in (("'N00943' as kolada_kpi", "'N00945' as kolada_kpi"),
                     ("'N00939' as kolada_kpi", "'N21704' as kolada_kpi"), ("'01' as area_code", "'0180' as area_code")):
        sql = sql.replace(old, new)  # parameters with replay data, so there are numbers to look at
    _, rows = run_sql(warehouse, sql, as_float=False)
    values = [v for r in rows for v in r.values() if isinstance(v, float | decimal.Decimal)]
    assert not [v for v in values if isinstance(v, float)], name
    assert all(v.as_tuple().exponent >= -2 for v in values), name
    if name.startswith(("01", "02", "03", "05", "06")):
        assert values, f"{name}: no number to check"


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_parses_as_postgresql(name):
    sqlglot = pytest.importorskip("sqlglot")
    sql = sql_of(name)
    assert len(sqlglot.parse(sql, read="postgres")) == 1
    assert len(sqlglot.transpile(sql, read="duckdb", write="postgres",
                                 unsupported_level=sqlglot.ErrorLevel.RAISE)) == 1


# --- results on the replay warehouse ------------------------------------------------------------------------------
def only_note(rows: list[dict]) -> str:
    """An empty answer is one row whose note says why, every other column null."""
    assert len(rows) == 1, rows
    (row,) = rows
    assert all(v is None for k, v in row.items() if k not in ("note", "area_code")), row
    assert row["note"]
    return row["note"]


def test_01_men_share_parental_benefit_on_replay_data_says_why_it_is_empty(warehouse):
    note = only_note(query(warehouse, "01_parental_benefit_men_share_stockholm_county.sql"))
    assert note.startswith("no value of N00943 for any municipality of county 01 in this warehouse")
    assert "JAMSTAT_MODE=live" in note


def test_01_a_kpi_outside_the_catalog_is_named(warehouse):
    sql = with_param(sql_of("01_parental_benefit_men_share_stockholm_county.sql"),
                     "'N00943' as kolada_kpi", "'N99999' as kolada_kpi")
    assert only_note(run_sql(warehouse, sql)[1]).startswith("N99999 is not a Kolada KPI of the catalog")


def test_01_logic_on_a_kpi_that_has_replay_data(warehouse):
    """Same query with the KPI parameter set to N00945 (recorded): all 26 municipalities of län 01, latest year
    2020, only Stockholm with a value."""
    sql = with_param(sql_of("01_parental_benefit_men_share_stockholm_county.sql"),
                     "'N00943' as kolada_kpi", "'N00945' as kolada_kpi")
    _, rows = run_sql(warehouse, sql)
    assert len(rows) == 26 and {r["year"] for r in rows} == {2020}
    first, rest = rows[0], rows[1:]
    assert first["area_code"] == "0180" and first["area_name"] == "Stockholm"
    assert first["men_share_pct"] == pytest.approx(40.8)
    assert first["women_share_pct"] == pytest.approx(59.2)
    assert first["distance_to_parity_pp"] == pytest.approx(9.2)
    assert first["is_within_40_60"] is True
    assert first["rank_in_county"] == 1 and first["n_municipalities_with_value"] == 1
    assert first["county_men_share_pct"] is None and first["country_men_share_pct"] is None  # not recorded
    assert all(r["men_share_pct"] is None and r["rank_in_county"] is None for r in rest)
    assert all(r["note"] is None for r in rows)
    assert {r["area_code"][:2] for r in rows} == {"01"}


def test_02_days_per_recipient_gap_on_replay_data_says_why_it_is_empty(warehouse):
    note = only_note(query(warehouse, "02_parental_benefit_days_per_recipient_gap.sql"))
    assert note.startswith("no value of N00939 for any municipality of county 01 in this warehouse")


def test_02_logic_on_a_kpi_that_has_replay_data(warehouse):
    """KPI parameter set to N21704 (recorded by sex for 0180 2023): the gap is the real K - M."""
    sql = with_param(sql_of("02_parental_benefit_days_per_recipient_gap.sql"),
                     "'N00939' as kolada_kpi", "'N21704' as kolada_kpi")
    _, rows = run_sql(warehouse, sql)
    assert len(rows) == 26 and {r["year"] for r in rows} == {2023}
    stockholm = rows[0]
    assert stockholm["area_code"] == "0180"
    assert (stockholm["days_women"], stockholm["days_men"], stockholm["days_total"]) == N21704_0180_2023_ROUNDED
    assert stockholm["gap_days_women_minus_men"] == round(N21704_0180_2023_GAP, 1)
    assert stockholm["rank_largest_gap"] == 1
    assert all(r["gap_days_women_minus_men"] is None for r in rows[1:])


def test_03_vab_trend_for_stockholm_matches_the_rkolada_recording(warehouse):
    rows = query(warehouse, "03_vab_men_share_trend.sql")
    reference = reference_n00945("0180")
    years = [r["year"] for r in rows]
    assert years == list(range(2014, 2021))  # Kolada years from 2014 by default; recordings end 2020
    for r in rows:
        assert r["area_code"] == "0180" and r["area_name"] == "Stockholm"
        assert r["men_share_pct"] == pytest.approx(reference[r["year"]], abs=0.05)  # rounded to 1 decimal
        assert r["women_share_pct"] == pytest.approx(100 - reference[r["year"]], abs=0.05)
        assert r["men_share_change_since_baseline_pp"] == pytest.approx(reference[r["year"]] - reference[2014],
                                                                        abs=0.05)
        assert r["baseline_year"] == 2014 and r["men_share_baseline_pct"] == 38.6
        assert r["has_break_since_baseline"] is False and r["has_break_since_previous_year"] is False
        assert r["county_men_share_pct"] is None and r["country_men_share_pct"] is None
    by_year = {r["year"]: r for r in rows}
    assert by_year[2014]["men_share_pct"] == 38.6  # 38.61051404, rounded for presentation
    assert by_year[2020]["men_share_pct"] == 40.8
    assert by_year[2020]["men_share_change_since_baseline_pp"] == 2.2  # from the unrounded 40.8 - 38.61051404
    assert by_year[2020]["men_share_change_prev_year_pp"] == 1.5
    assert by_year[2014]["previous_year"] is None and by_year[2015]["previous_year"] == 2014
    assert by_year[2020]["is_within_40_60"] is True and by_year[2019]["is_within_40_60"] is False
    assert by_year[2016]["direction_of_change"] == "away_from_target"  # men's share fell 39.09 -> 38.79
    assert by_year[2020]["direction_of_change"] == "toward_target"


def test_03_area_parameter(warehouse):
    """Parameter set to Göteborg (1480): its own recorded series, nothing from Stockholm."""
    sql = with_param(sql_of("03_vab_men_share_trend.sql"), "'0180' as area_code", "'1480' as area_code")
    _, rows = run_sql(warehouse, sql)
    reference = reference_n00945("1480")
    assert [r["year"] for r in rows] == list(range(2014, 2021))
    assert all(r["area_name"] == "Göteborg" for r in rows)
    assert [r["men_share_pct"] for r in rows] == pytest.approx([reference[y] for y in range(2014, 2021)], abs=0.05)


def test_03_an_area_without_values_says_why(warehouse):
    sql = with_param(sql_of("03_vab_men_share_trend.sql"), "'0180' as area_code", "'0114' as area_code")
    note = only_note(run_sql(warehouse, sql)[1])
    assert note.startswith("no value of N00945 for area 0114 in this warehouse")


def test_04_subgoals_without_statistics(warehouse):
    rows = query(warehouse, "04_subgoals_without_statistics.sql")
    status = {r["subgoal_key"]: r["status_stockholm_county"] for r in rows}
    by_key = {r["subgoal_key"]: r for r in rows}
    # Only 3.3 (N00945, 0180) has a counted Stockholm-county value on replay data. 3.2 has N21704 values for 0180
    # 2023, but N21704 is background (who RECEIVES home care), so 3.2 is still listed - with the reason.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        keys = {r[0] for r in con.execute("select subgoal_key from marts.dim_goal").fetchall()}
        n21704 = con.execute("select count(*) from marts.mart_gender_gap where indicator_id = "
                             "'home_care_80plus_share' and area_code = '0180' and year = 2023").fetchone()[0]
    assert n21704 == 1
    assert set(status) == keys - {"3.3"}
    assert status["3.2"] == "public_source_not_ingested"
    assert by_key["3.2"]["publishers_not_ingested"] == "Försäkringskassan; SCB"
    assert {k for k, s in status.items() if s == "no_public_source"} == {"4.1", "4.2", "4.3b", "4.4", "4.5"}
    assert {k for k, s in status.items() if s == "public_source_not_ingested"} == {"2.4", "2.6", "2.8", "3.2"}
    assert by_key["2.4"]["publishers_not_ingested"] == "Svenska ESF-rådet"
    assert status["0.0"] == "context_only"
    assert {s for k, s in status.items()} == {"no_public_source", "public_source_not_ingested", "no_data_yet",
                                             "context_only"}
    order = [r["status_stockholm_county"] for r in rows]
    assert order == sorted(order, key=["no_public_source", "public_source_not_ingested", "no_data_yet",
                                       "context_only"].index)  # the most fundamental reason first
    for r in rows:
        assert r["subgoal_en"] and r["n_indicators_counted"] <= r["n_indicators_in_catalog"]
        if r["status_stockholm_county"] == "no_public_source":
            assert r["n_indicators_with_public_source"] == 0
        if r["status_stockholm_county"] == "no_data_yet":
            assert r["n_indicators_ingested"] > 0
    # 2.0 (income, goal-level outcome): the SCB median income recorded for Riket is background, not counted.
    assert by_key["2.0"]["status_any_area"] == "no_data_yet" and by_key["2.0"]["latest_year_with_data"] is None
    assert by_key["3.1"]["status_any_area"] == "no_data_yet" and by_key["3.1"]["latest_year_with_data"] is None


def test_05_stockholm_against_county_and_country(warehouse):
    rows = query(warehouse, "05_municipality_vs_county_and_country.sql")
    got = {(r["source_ref"], r["year"], r["sex"]): r["value"] for r in rows}
    assert got == {("N21704", 2023, "K"): 25.7, ("N21704", 2023, "M"): 15.8, ("N21704", 2023, "T"): 21.9,
                   ("N00945", 2020, "T"): 40.8}  # the recorded values, rounded to 1 decimal
    assert tuple(got[("N21704", 2023, sex)] for sex in "KMT") == N21704_0180_2023_ROUNDED
    for r in rows:
        assert r["area_code"] == "0180" and r["county_code"] == "01"
        assert r["county_value"] is None and r["country_value"] is None  # none recorded for these KPIs
        assert r["n_municipalities_in_county"] == 26 and r["rank_in_county_desc"] == 1
    assert [r["sex"] for r in rows if r["source_ref"] == "N21704"] == ["K", "M", "T"]


def test_05_a_municipality_without_values_says_why(warehouse):
    sql = with_param(sql_of("05_municipality_vs_county_and_country.sql"), "'0180' as area_code", "'0114' as area_code")
    assert only_note(run_sql(warehouse, sql)[1]).startswith("no indicator value for municipality 0114")


def test_06_goal_3_for_stockholm_county_lists_every_indicator_without_inventing_values(warehouse):
    rows = query(warehouse, "06_goal_indicators_stockholm_county.sql")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        goal3 = {r[0] for r in con.execute("select indicator_id from marts.dim_indicator where goal_id = '3'").fetchall()}
    assert {r["indicator_id"] for r in rows} == goal3 and len(rows) == len(goal3) == 15
    assert all(r["area_code"] == "01" for r in rows)
    # No annual county value is recorded: every row is empty and says why.
    assert all(r["year"] is None and r["value_total"] is None and r["value_women"] is None for r in rows)
    assert all(r["note"] for r in rows)
    notes = {r["indicator_id"]: r["note"] for r in rows}
    assert notes["parental_benefit_days_per_recipient"] == "not published at county level"  # municipality;country
    assert notes["temporary_parental_benefit_share_men"] == "no value loaded for this area"
    assert notes["part_time_due_to_care"] == "published by SCB, not fetched yet"
    assert notes["parental_benefit_by_district"] == "no public source for this indicator"
    origin = {r["indicator_id"]: (r["origin"], r["counts_in_followup"]) for r in rows}
    assert origin["home_care_80plus_share"] == ("context", False)
    assert origin["temporary_parental_benefit_share_women"] == ("seed", False)  # complement of N00945
    assert origin["temporary_parental_benefit_share_men"] == ("seed", True)


def test_06_area_parameter_shows_real_values(warehouse):
    sql = with_param(sql_of("06_goal_indicators_stockholm_county.sql"), "'01' as area_code", "'0180' as area_code")
    _, rows = run_sql(warehouse, sql)
    by_ref = {r["source_ref"]: r for r in rows}
    assert len(rows) == 15
    home_care = by_ref["N21704"]
    assert home_care["year"] == 2023 and home_care["note"] is None
    assert (home_care["value_women"], home_care["value_men"], home_care["value_total"]) == N21704_0180_2023_ROUNDED
    assert home_care["gap_women_minus_men"] == 9.9
    assert home_care["parity_metric"] is None and home_care["judged_on"] is None  # background: never judged
    assert home_care["direction_of_change"] is None
    vab = by_ref["N00945"]
    assert vab["year"] == 2020 and vab["value_total"] == pytest.approx(40.8)
    assert vab["parity_metric"] == "women_share" and vab["parity_metric_value"] == pytest.approx(59.2)
    assert vab["judged_on"] == "women_share" and vab["parity_tolerance"] == 10
    assert vab["distance_to_parity"] == pytest.approx(9.2) and vab["is_at_parity"] is True
    assert sum(1 for r in rows if r["year"] is not None) == 2


def test_07_latest_publication(warehouse):
    rows = query(warehouse, "07_latest_publication.sql")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        run_id, published_at = con.execute(
            "select run_id, published_at from marts.publications order by published_at desc limit 1").fetchone()
    assert [r["gate"] for r in rows] == ["dbt", "freshness", "great_expectations", "soda"]
    assert [r["gate_number"] for r in rows] == [1, 2, 3, 4]
    assert all(r["gate_passed"] is True and r["gate_failed"] == "[]" and r["gate_checks"] > 0 for r in rows)
    assert [r["gate_verdict"] for r in rows] == ["PASS"] * 4
    assert {r["identical_to_previous"] for r in rows} == {None}  # the first publication
    assert {r["run_id"] for r in rows} == {run_id} and {r["published_at"] for r in rows} == {published_at}
    assert all(json.loads(r["source_modes"]) == ["replay"] and r["n_publications"] == 1 for r in rows)
    assert json.loads(rows[0]["row_counts"])["fct_indicator_value"] > 0


# --- the same files on PostgreSQL --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_marts(warehouse):
    """A throwaway PostgreSQL holding the same marts, published by the project's own serve_postgres."""
    from jamstat.serve.postgres import publish_to_postgres
    from tools.local_postgres import PostgresBinariesMissing, temporary_postgres

    try:
        with temporary_postgres() as server:
            server.create_database("cookbook")
            url = server.url_for("cookbook")
            publish_to_postgres(warehouse, url, reader_role=None)
            yield url
    except PostgresBinariesMissing as exc:
        server_missing("POSTGRES COOKBOOK TESTS", exc)


def _normalised(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_same_result_on_postgresql(warehouse, pg_marts, name):
    import psycopg

    sql = sql_of(name)
    duck_columns, duck_rows = run_sql(warehouse, sql)
    with psycopg.connect(pg_marts) as con:
        cur = con.execute(sql)
        pg_columns = [d.name for d in cur.description]
        pg_rows = [dict(zip(pg_columns, row, strict=True)) for row in cur.fetchall()]
    assert pg_columns == duck_columns == EXPECTED_COLUMNS[name]
    assert [{k: _normalised(v) for k, v in r.items()} for r in pg_rows] == \
           [{k: _normalised(v) for k, v in r.items()} for r in duck_rows]


# --- 08: the foreign-born gap (birth region) ----------------------------------------------------------------------
def test_08_foreign_born_gap_says_why_it_is_empty_on_replay_data(warehouse):
    rows = query(warehouse, "08_foreign_born_gap_botkyrka.sql")
    assert len(rows) == 1 and rows[0]["indicator_id"] is None
    assert "no foreign_born value for area 0127" in rows[0]["note"] and "live" in rows[0]["note"]


def test_08_compares_women_and_men_within_the_birth_region(warehouse, tmp_path):
    """SYNTHETIC values added to a copy of the replay publication (the replay data hold no birth-region value):
    the latest foreign-born year wins, women vs men within the foreign-born, the other groups beside it."""
    copy = tmp_path / "jamstat.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        for birth_region, women, men, year in [("foreign_born", 60.0, 70.0, 2023), ("foreign_born", 61.0, 69.0, 2024),
                                               ("born_in_sweden", 85.0, 86.0, 2024), ("total", 80.0, 82.0, 2024),
                                               ("foreign_born", 50.0, 40.0, 2025)]:  # 2025: another area below
            area = "0180" if year == 2025 else "0127"
            con.execute("INSERT INTO marts.mart_gender_gap (indicator_id, area_code, year, birth_region, age_group, "
                        "value_women, value_men, gap_women_minus_men, ratio_women_to_men, unit) "
                        "VALUES ('employment_rate_20_64', ?, ?, ?, 'total', ?, ?, ?, ?, 'percent')",
                        [area, year, birth_region, women, men, women - men, women / men])
    rows = query(copy, "08_foreign_born_gap_botkyrka.sql")
    assert len(rows) == 1
    row = rows[0]
    assert (row["area_name"], row["year"], row["birth_region"]) == ("Botkyrka", 2024, "foreign_born")
    assert (float(row["value_women"]), float(row["value_men"])) == (61.0, 69.0)
    assert float(row["gap_women_minus_men"]) == -8.0 and float(row["women_pct_of_men"]) == 88.4
    assert float(row["gap_born_in_sweden"]) == -1.0 and float(row["gap_all"]) == -2.0
    assert row["note"] is None


# --- 09: the employment gap per RegSO (sub-municipal areas) -------------------------------------------------------
# Its logic on RegSO data is tested on a real dbt build in tests/dbt/test_subareas_build.py.
def test_09_regso_gap_says_why_it_is_empty_on_replay_data(warehouse):
    rows = query(warehouse, "09_employment_gap_per_regso_stockholm.sql")
    assert len(rows) == 1 and rows[0]["area_code"] is None
    assert "no regso value for municipality 0180" in rows[0]["note"] and "live" in rows[0]["note"]


def test_09_a_wrong_parameter_is_named(warehouse):
    sql = with_param(sql_of("09_employment_gap_per_regso_stockholm.sql"), "'regso'                      as area_level",
                     "'stadsdel'                   as area_level")
    _, rows = run_sql(warehouse, sql)
    assert len(rows) == 1 and rows[0]["note"] == "stadsdel is not a sub-municipal level: use regso or deso"
