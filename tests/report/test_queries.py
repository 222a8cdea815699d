"""The queries and derivations that feed the report pages, on a small real DuckDB warehouse built with the
marts' own column contract (tests/report/marts.py)."""
from __future__ import annotations

import pytest

from jamstat.report import i18n
from jamstat.report.charts import Point, segments
from jamstat.report.queries import ReportDataError, load
from jamstat.report.views import Views, break_years, subgoal_sort_key
from tests.report import marts


@pytest.fixture
def warehouse(tmp_path):
    return marts.build(tmp_path / "jamstat.duckdb")


@pytest.fixture
def views(warehouse):
    return Views(load(warehouse, "01"))


def test_load_reads_one_county_with_its_municipalities_and_the_country(warehouse):
    data = load(warehouse, "01")
    assert data.county == {"area_code": "01", "area_name": "Stockholms län"}
    assert data.country["area_code"] == "00"
    assert [m["area_code"] for m in data.municipalities] == ["0180", "0114", "0115"]  # by name
    assert {r["area_code"] for r in data.series} == {"00", "01", "0180", "0114"}  # Falun (county 20) is not in scope
    assert {r["area_code"] for r in data.followup} <= {"01", "0180", "0114", "0115"}
    assert data.publication["run_id"] == "run-1" and data.publication["source_modes"] == ["replay"]
    assert data.publication["gate_results"][0]["gate"] == "dbt"


def test_any_county_works(warehouse):
    data = load(warehouse, "20")
    assert data.county["area_name"] == "Dalarnas län"
    assert [m["area_code"] for m in data.municipalities] == ["2080"]
    assert {r["area_code"] for r in data.series} == {"00", "2080"}


def test_unknown_county_names_the_known_ones(warehouse):
    with pytest.raises(ReportDataError, match=r"'99' is not in marts.dim_area.*01 Stockholms län.*20 Dalarnas län"):
        load(warehouse, "99")


def test_missing_warehouse_says_what_to_run(tmp_path):
    with pytest.raises(ReportDataError, match="make run"):
        load(tmp_path / "nothing.duckdb", "01")


def test_warehouse_without_publications_table_still_loads(tmp_path):
    data = load(marts.build(tmp_path / "w.duckdb", publications=False), "01")
    assert data.publication is None


def test_null_values_keep_their_source_status(views):
    assert views.missing_reason("vab_share_men", "0115", 2020, "T") == ".."
    assert views.missing_reason("managers_by_sex", "0114", 2019, "M") == "."
    assert views.missing_reason("vab_share_men", "0180", 2020, "T") is None


def test_provenance_names_batches_and_fetch_time(views):
    prov = views.data.provenance["vab_share_men"]
    assert prov["batches"] == ["b" * 64] and prov["n_values"] == 2 and prov["n_non_null"] == 1
    assert prov["fetched_from"].year == 2026
    assert "violence_knowledge" not in views.data.provenance


def test_chart_modes_follow_the_judged_metric(views):
    assert views.indicators["vab_share_men"].mode == "share"           # men's share -> women's share, band
    assert views.indicators["vab_share_men"].target == 50.0
    assert views.indicators["managers_by_sex"].mode == "by_sex"
    assert views.indicators["violence_knowledge"].mode == "none"       # no values: words, not an empty chart


def test_break_years_come_from_the_catalog_text():
    assert break_years({"series_breaks": "2019: new classification; 2025: SCB noise", "last_break_year": 2025}) == {
        2019, 2025}
    assert break_years({"series_breaks": None, "last_break_year": None}) == set()


def test_lines_never_bridge_a_missing_year_or_a_break():
    points = [Point(y, 1.0, "K", "county", "Län") for y in (2014, 2015, 2016, 2018, 2019, 2020)]
    series = {r["year"]: r["series"] for r in segments(points, breaks={2020})}
    assert series[2014] == series[2015] == series[2016]
    assert series[2018] != series[2016]          # 2017 is missing: a new segment, nothing interpolated
    assert series[2019] == series[2018]
    assert series[2020] != series[2019]          # series break before 2020


def test_subgoal_status_in_words(views):
    goals = {g["subgoal_key"]: g for g in views.data.goals}
    assert views.subgoal_status(goals["3.3"]) == "data"            # Stockholm (0180) has values
    assert views.subgoal_status(goals["1.1"]) == "data"            # the county has values
    assert views.subgoal_status(goals["4.1"]) == "no_public_source"
    assert i18n.status_words("no_data", "sv") == "Inga värden ännu"  # today's mart word, #12's meaning


def test_tile_counts_county_latest_year_and_municipalities(views):
    goals = {g["subgoal_key"]: g for g in views.data.goals}
    tile = views.tile(goals["1.1"])
    assert tile["county"] == {"year": 2019, "with_data": 1, "at_parity": 0, "with_metric": 1, "toward": 1,
                              "away": 0, "unchanged": 0}
    assert tile["municipalities_with_values"] == 2 and tile["municipalities"] == 3
    assert tile["headline"]["area"] == "Stockholms län" and tile["headline"]["low"][1] == pytest.approx(-3.0)
    tile = views.tile(goals["3.3"])
    assert tile["county"] is None                                # no county row: said in words on the page
    assert tile["municipal_latest_year"] == 2020 and tile["n_with_values"] == 1
    assert tile["headline"]["low"] == ("Stockholm", 59.2) and tile["headline"]["high"] == ("Upplands Väsby", 65.0)


def test_ranking_puts_the_most_equal_first_and_lists_the_rest(views):
    ranking = views.ranking(views.indicators["vab_share_men"])
    assert ranking["year"] == 2020 and ranking["order"] == "target"
    assert [r["name"] for r in ranking["ranked"]] == ["Stockholm", "Upplands Väsby"]  # |59.2-50| < |65-50|
    assert ranking["without"] == ["Vallentuna"]
    ranking = views.ranking(views.indicators["managers_by_sex"])
    assert [r["name"] for r in ranking["ranked"]] == ["Stockholm", "Upplands Väsby"]  # gap -1 before -10


def test_latest_value_and_change_since_baseline(views):
    ind = views.indicators["managers_by_sex"]
    latest = views.latest(ind.id, "01")
    assert latest["year"] == 2019 and latest["value_women"] == 35.0
    change, broken = views.change_since_baseline(ind, latest)
    assert broken, "2019 lies after a series break: the change since 2014 is not comparable"
    share = views.indicators["vab_share_men"]
    assert views.change_since_baseline(share, views.latest(share.id, "0180")) == (-2.2, False)


def test_swedish_and_english_number_formats():
    assert i18n.value(25.688929, "percent", "sv") == "25,7\u00a0%"
    assert i18n.value(15.778849, "percent", "en") == "15.8%"
    assert i18n.value(2486498.0, "count", "sv") == "2\u00a0486\u00a0498"
    assert i18n.gap(9.91008, "percent", "sv") == "+9,9\u00a0procentenheter"
    assert i18n.gap(-82.6, "SEK_thousand", "en") == "\u221282.6\u00a0SEK thousand"
    assert i18n.number(-0.04, "sv", 1) == "0,0", "no negative zero"
    assert i18n.number(1234567.891, "en", 2) == "1,234,567.89"
    assert i18n.value(None, "percent", "sv") == "–"


def test_subgoals_sort_as_the_strategy_numbers_them():
    keys = ["4.3b", "4.10", "4.3a", "4.0", "1.2", "4.2"]
    assert sorted(keys, key=subgoal_sort_key) == ["1.2", "4.0", "4.2", "4.3a", "4.3b", "4.10"]
