"""dbt build on a candidate made from real recorded payloads: values, gap arithmetic, areas, goal follow-up."""
from __future__ import annotations

import csv

import pytest

from tests.dbt.candidate_fixture import REPO

pytestmark = pytest.mark.slow


def test_build_passes(dbt_build):
    b = dbt_build["build"]
    assert b.returncode == 0, b.stdout[-6000:]
    assert "ERROR=0" in b.stdout
    print(f"dbt build: {dbt_build['build_seconds']:.1f} s")


def test_every_unit_test_ran_and_passed(dbt_build):
    """The gap arithmetic and the ratio-from-counts rules are dbt unit tests; a silently skipped one proves
    nothing, so each declared unit test must appear in run_results with status pass."""
    import json

    results = json.loads((dbt_build["target"] / "build_run_results.json").read_text())["results"]
    units = {r["unique_id"].split(".")[-1]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert {"ratio_from_counts_null_parts_and_zero_denominator",
            "top_n_gap_ranks_skips_aggregates_no_partial",
            "series_rules_match_table_wide_refs_and_dims_patterns",
            # the follow-up rules, each with hand-computed expectations
            "parity_yardstick_follows_meaning", "sek_gap_judged_inflation_free",
            "progress_levelling_down_is_not_progress", "progress_below_minimum_meaningful_change_is_unchanged",
            "violence_judged_on_womens_value", "repeated_values_are_not_movement",
            "followup_counts_only_counted_indicators"} <= set(units)
    assert len(units) >= 4 and set(units.values()) == {"pass"}, units


def test_docs_generate_offline(dbt_build):
    docs = dbt_build["docs"]
    assert docs is not None and docs.returncode == 0, (docs.stdout[-3000:] if docs else "build failed")
    assert (dbt_build["target"] / "catalog.json").exists()


def test_schemas_are_exact(warehouse):
    schemas = {r[0] for r in warehouse.execute("select distinct table_schema from information_schema.tables").fetchall()}
    assert {"raw", "seeds", "staging", "intermediate", "marts"} <= schemas
    assert not {s for s in schemas if s.startswith("main_")}


def test_fct_holds_real_n21704_values(warehouse):
    rows = dict(warehouse.execute(
        "select sex, value from marts.fct_indicator_value "
        "where indicator_id = 'home_care_80plus_share' and area_code = '0180' and period = '2023'"
    ).fetchall())
    assert rows == {"K": 25.688929, "M": 15.778849, "T": 21.88749}


def test_fct_lineage_to_batches(warehouse):
    orphan = warehouse.execute(
        "select count(*) from marts.fct_indicator_value f "
        "left join raw.batches b on b.batch_id = f.batch_id where b.batch_id is null"
    ).fetchone()[0]
    assert orphan == 0


def test_kolada_region_and_country_ids_are_harmonised(warehouse):
    codes = {r[0] for r in warehouse.execute("select distinct area_code from marts.fct_indicator_value").fetchall()}
    assert {"0180", "0580", "1280", "1480", "2480"} <= codes
    assert not {c for c in codes if len(c) == 4 and c.startswith("00")}   # no raw Kolada region ids left


def test_gender_gap_arithmetic(warehouse):
    gap, ratio, total, share = warehouse.execute(
        "select gap_women_minus_men, ratio_women_to_men, value_total, women_share from marts.mart_gender_gap "
        "where indicator_id = 'home_care_80plus_share' and area_code = '0180' and year = 2023"
    ).fetchone()
    assert gap == pytest.approx(25.688929 - 15.778849, abs=1e-12)
    assert ratio == pytest.approx(25.688929 / 15.778849, rel=1e-12)
    assert total == 21.88749            # the published total, not K + M
    assert share is None                # a percent KPI is not additive: no women's share of a sum


def test_single_value_men_share_kpi(warehouse):
    # N00945 (men's share of VAB days), Stockholm 2014, real value 38.61051404 (rKolada)
    value_total, women_share, metric, target = warehouse.execute(
        "select value_total, women_share, parity_metric, parity_target from marts.mart_gender_gap "
        "where indicator_id = 'temporary_parental_benefit_share_men' and area_code = '0180' and year = 2014"
    ).fetchone()
    assert value_total == pytest.approx(38.61051404)
    assert women_share == pytest.approx(100 - 38.61051404)
    assert (metric, target) == ("women_share", 50.0)


def test_monthly_stock_without_december_has_no_annual_value(warehouse):
    # TAB6471 has 2026M01..M04 only: monthly rows exist (summed over age classes, flagged derived), no 2026 year row
    monthly = warehouse.execute(
        "select count(*), bool_and(is_derived) from marts.fct_indicator_value "
        "where indicator_id = 'population_by_sex_age' and period_granularity = 'month'"
    ).fetchone()
    assert monthly[0] == 21 * 3 * 4 and monthly[1]
    annual = warehouse.execute(
        "select count(*) from marts.fct_indicator_value "
        "where indicator_id = 'population_by_sex_age' and period_granularity = 'year'"
    ).fetchone()[0]
    assert annual == 0


def test_sum_over_age_classes_matches_recording(warehouse):
    import json

    doc = json.loads((REPO / "ingest/replay/recordings/scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json").read_text())
    # row-major [Region 21, Alder 11, Kon 3, ContentsCode 1, Tid 4]: Stockholm (01), women (Kon '2' = index 2), 2026M01
    expected = sum(doc["value"][((0 * 11 + a) * 3 + 2) * 4 + 0] for a in range(11))
    got = warehouse.execute(
        "select value from marts.fct_indicator_value where indicator_id = 'population_by_sex_age' "
        "and area_code = '01' and period = '2026M01' and sex = 'K'"
    ).fetchone()[0]
    assert got == expected


def test_stockholm_resolves_to_county_01(warehouse):
    assert warehouse.execute(
        "select county_code, kolada_id, scb_code, area_level from marts.dim_area where area_code = '0180'"
    ).fetchone() == ("01", "0180", "0180", "municipality")
    assert warehouse.execute(
        "select kolada_id, area_level from marts.dim_area where area_code = '01'"
    ).fetchone() == ("0001", "county")


def test_all_290_municipalities_in_dim_area(warehouse):
    with (REPO / "dbt_project/seeds/reference/kommuner_290_crosschecked.csv").open(encoding="utf-8") as fh:
        ref = {r["kommun_kod"] for r in csv.DictReader(fh)}
    assert len(ref) == 290
    got = {r[0] for r in warehouse.execute(
        "select area_code from marts.dim_area where area_level = 'municipality'").fetchall()}
    assert got == ref
    assert warehouse.execute("select count(*) from marts.dim_area where area_level = 'county'").fetchone()[0] == 21


def test_regso_and_deso_of_both_scb_versions_in_dim_area(warehouse):
    """SCB's counts per version (its code lists and Statistikdatabasen's TAB6680 agree on them), each area in its
    municipality and county, the years of its version, and Stockholm's 127 RegSO per version."""
    rows = warehouse.execute("""
        select area_level, area_version, area_level_order, count(*), min(first_year), max(last_year),
               count(*) filter (where county_code = substring(municipality_code, 1, 2))
        from marts.dim_area where area_level in ('regso', 'deso') group by all order by 1, 2""").fetchall()
    assert rows == [("deso", "DeSO 2018", 5, 5984, None, 2023, 5984), ("deso", "DeSO 2025", 5, 6160, 2024, None, 6160),
                    ("regso", "RegSO 2020", 4, 3363, None, 2023, 3363), ("regso", "RegSO 2025", 4, 3363, 2024, None, 3363)]
    assert warehouse.execute("select count(*) from marts.dim_area where municipality_code = '0180' "
                             "and area_level = 'regso' group by area_version").fetchall() == [(127,), (127,)]
    # SCB's key: DeSO 0114A0010 lies in RegSO 0114R010 (Upplands Väsby)
    deso = warehouse.execute("select d.regso_code, r.area_name, d.area_name from marts.dim_area d "
                             "join marts.dim_area r on r.area_code = d.regso_code "
                             "where d.area_code = '0114A0010_DeSO2025'").fetchone()
    assert deso[0] == "0114R010_RegSO2025" and deso[2] == f"0114A0010 ({deso[1]})"


def test_code_history_maps_old_codes(warehouse):
    former = warehouse.execute("select former_codes from marts.dim_area where area_code = '0331'").fetchone()[0]
    assert "1917" in former
    aliases = dict(warehouse.execute(
        "select area_code, alias_codes from marts.dim_area where alias_codes is not null").fetchall())
    assert aliases == {"00": "SE", "01": "SE11"}  # NUTS codes of SCB's wage tables; not code history
    assert warehouse.execute("select count(*) from marts.dim_area where code_history like '%alias%'").fetchone()[0] == 0


def test_goal_dimension_keeps_both_4_3(warehouse):
    rows = warehouse.execute(
        "select subgoal_key, subgoal_sv from marts.dim_goal where subgoal_id = '4.3' order by subgoal_key").fetchall()
    assert [r[0] for r in rows] == ["4.3a", "4.3b"] and rows[0][1] != rows[1][1]
    keys = {r[0] for r in warehouse.execute("select subgoal_key from marts.dim_goal").fetchall()}
    expected = {"0.0", "1.1", "1.2", "1.3", "2.0", *(f"2.{i}" for i in range(1, 9)), "3.1", "3.2", "3.3",
                "4.0", "4.1", "4.2", "4.3a", "4.3b", "4.4", "4.5", "5.1", "5.2"}
    assert keys == expected
    national = dict(warehouse.execute("select subgoal_key, national_goal_2016_id from marts.dim_goal").fetchall())
    assert national["1.1"] == "1" and national["3.1"] == "4" and national["4.1"] == "6" and national["2.8"] == "3"


def test_goals_are_bilingual_with_the_overall_goal_and_the_clause(warehouse):
    rows = warehouse.execute(
        "select subgoal_key, goal_sv, goal_en, subgoal_sv, subgoal_en, overall_goal_sv, overall_goal_en, "
        "cross_cutting_sv, strategy_national_goal_sv, goal_id from marts.dim_goal").fetchall()
    assert all(all(r[1:5]) for r in rows), [r[0] for r in rows if not all(r[1:5])]
    assert {r[5] for r in rows} == {rows[0][5]} and rows[0][5].startswith("I Stockholms län har kvinnor och män")
    assert rows[0][6].startswith("In Stockholm County women and men have the same power")
    assert {r[7] for r in rows} == {"Samtliga mål gäller oavsett var man är född eller var man bor i länet "
                                    "(födelseland eller boendekommun)."}
    # the strategy's own frame is the government's four sub-goals; goal 5 is its regional addition
    frame = {r[9]: r[8] for r in rows}
    assert frame["3"] == "Jämn fördelning av det obetalda hem- och omsorgsarbetet" and frame["5"] is None


def test_followup_status_says_why_something_is_missing(warehouse):
    status = dict(warehouse.execute(
        "select subgoal_key, followup_status from marts.mart_goal_followup where area_code = '0180' and year = 2023"
    ).fetchall())
    assert status["3.3"] == "no_data_yet"            # N00945 recordings end 2020
    assert {k for k, s in status.items() if s == "no_public_source"} == {"4.1", "4.2", "4.3b", "4.4", "4.5"}
    assert {k for k, s in status.items() if s == "public_source_not_ingested"} == {"2.4", "2.6", "2.8", "3.2"}
    assert status["0.0"] == "context_only"
    n = warehouse.execute("select count(*) from marts.dim_goal").fetchone()[0]
    assert len(status) == n                          # every sub-goal appears for Stockholm 2023
    publishers = warehouse.execute(
        "select publishers_not_ingested from marts.mart_goal_followup "
        "where subgoal_key = '2.6' and area_code = '0180' and year = 2023").fetchone()[0]
    assert publishers == "Almi Företagspartner; Tillväxtverket"


def test_3_2_is_not_followed_up_on_home_care_recipients(warehouse):
    """N21704 (people 80+ receiving home care, by the sex of the recipient) has real values for Stockholm 2023, but
    says nothing about who cares for older relatives: background, so 3.2 has no data, and says why."""
    values = warehouse.execute("select count(*) from marts.mart_gender_gap where indicator_id = "
                               "'home_care_80plus_share' and area_code = '0180' and year = 2023").fetchone()[0]
    assert values == 1
    row = warehouse.execute(
        "select followup_status, n_indicators_with_data, n_indicators_counted, publishers_not_ingested "
        "from marts.mart_goal_followup where subgoal_key = '3.2' and area_code = '0180' and year = 2023").fetchone()
    assert row == ("public_source_not_ingested", 0, 2, "Försäkringskassan; SCB")


def test_published_indicators_mean_what_the_strategy_means(warehouse):
    """The issue's done-when on the warehouse: no income under 2.2, complement pairs count once, U30752 is
    background, violence is judged on women's value, one yardstick per desired direction."""
    under_2_2 = warehouse.execute(
        "select indicator_id from marts.dim_indicator where subgoal_key = '2.2' "
        "and (unit in ('SEK', 'SEK_thousand') or lower(indicator_name_sv) like '%inkomst%' "
        "or lower(indicator_name_sv) like '%lönesumma%' or lower(indicator_name_sv) like '%pension%')").fetchall()
    assert under_2_2 == []
    pairs = warehouse.execute(
        "select c.indicator_id, count(*) filter (where m.counts_in_followup), count(*) from marts.dim_indicator as c "
        "inner join marts.dim_indicator as m on m.indicator_id = c.indicator_id or m.complement_of = c.indicator_id "
        "where c.indicator_id in (select complement_of from marts.dim_indicator) group by c.indicator_id").fetchall()
    assert pairs and all(counted == 1 and members >= 2 for _, counted, members in pairs), pairs
    assert warehouse.execute("select origin, desired_direction, counts_in_followup from marts.dim_indicator "
                             "where source_ref = 'U30752'").fetchone() == ("context", "context", False)
    violence = warehouse.execute("select distinct judged_on from marts.dim_indicator where source_ref in "
                                 "('N01460', 'N01458') or indicator_id like 'ntu_%'").fetchall()
    assert violence == [("value_women",)]
    yardsticks = warehouse.execute(
        "select desired_direction, list(distinct parity_metric) from marts.dim_indicator "
        "where counts_in_followup and parity_metric is not null group by desired_direction").fetchall()
    assert dict(yardsticks) == {"parity": ["women_share"], "gap_to_zero": ["women_pct_of_men"]}


def test_benchmark_does_not_average_rates(warehouse):
    # N21704 is a percent KPI with no county value in the fixture: county stays null (never an average of rates)
    rows = warehouse.execute(
        "select county_value, county_value_basis, country_value from marts.mart_area_benchmark "
        "where indicator_id = 'home_care_80plus_share' and area_code = '0180' and year = 2023"
    ).fetchall()
    assert rows and all(r == (None, None, None) for r in rows)


def test_unmapped_observations_are_listed_not_dropped(warehouse):
    raw = warehouse.execute("select count(*) from raw.observations").fetchone()[0]
    mapped = warehouse.execute("select count(*) from intermediate.int_observations_mapped").fetchone()[0]
    unmapped = warehouse.execute("select count(*) from intermediate.int_observations_unmapped").fetchone()[0]
    assert mapped + unmapped == raw      # fixture has one version per key and nothing deleted


def test_two_rows_sharing_an_scb_table_each_map_the_rows_their_spec_fetched(warehouse):
    """TAB4394/000000NH lands twice, once per catalog spec (raw.batches.unit scb:<spec>:…): each life-expectancy
    row gets only its own spec's rows, every cell once, with SCB's five-year windows as 'years' periods dated by
    their last year."""
    rows = dict(warehouse.execute("""
        select indicator_id, list(distinct sex) from marts.fct_indicator_value
        where source_ref = 'TAB4394/000000NH' group by indicator_id""").fetchall())
    assert rows == {"life_expectancy_women": ["K"], "life_expectancy_men": ["M"]}
    n = dict(warehouse.execute("""select indicator_id, count(*) from marts.fct_indicator_value
                                  where source_ref = 'TAB4394/000000NH' group by all""").fetchall())
    assert n == {"life_expectancy_women": 290 * 24, "life_expectancy_men": 290 * 24}
    gran, year, value = warehouse.execute("""
        select period_granularity, year, value from marts.fct_indicator_value
        where indicator_id = 'life_expectancy_women' and area_code = '0180' and period = '2019-2023'""").fetchone()
    assert gran == "years" and year == 2023 and 80 < value < 90
    knivsta = warehouse.execute("""select value, status from marts.fct_indicator_value where
        indicator_id = 'life_expectancy_women' and area_code = '0330' and period = '1998-2002'""").fetchone()
    assert knivsta == (None, "..")  # Knivsta did not exist yet: null with SCB's symbol


def test_every_scb_row_maps_to_the_spec_that_fetched_it(warehouse):
    mismatched, n = warehouse.execute("""select count(*) filter (where indicator_id <> series_spec), count(*)
        from intermediate.int_observations_mapped where source = 'scb'""").fetchone()
    assert n > 0 and mismatched == 0


def test_the_api_value_wins_where_a_dropped_file_has_the_same_key(warehouse):
    """Kolada's N21704 and a dropped file carry the same keys: the fact keeps Kolada's, the file's stay in the
    intermediate layer as not preferred."""
    sources = warehouse.execute("""select source, count(*) from marts.fct_indicator_value
                                   where indicator_id = 'home_care_80plus_share' group by all""").fetchall()
    assert sources == [("kolada", 15)]
    preferred = dict(warehouse.execute("""select source, bool_or(is_preferred) from
        intermediate.int_indicator_values_preferred where indicator_id = 'home_care_80plus_share'
        group by all""").fetchall())
    assert preferred == {"kolada": True, "file": False}


def test_a_dropped_file_fills_keys_the_api_leaves_empty(warehouse):
    rows = warehouse.execute("""select source, source_ref, count(*), min(period), max(period)
        from marts.fct_indicator_value where indicator_id = 'tertiary_education_25_64' and area_code = '20'
        group by all""").fetchall()
    assert rows == [("file", "tertiary_education_25_64", 27, "2013", "2021")]


def test_series_rules_met_by_one_key_pass_through_and_others_sum(warehouse):
    """int_indicator_values_aggregated passes a rule's rows through without summing only when one series key meets
    the rule: N21704 is one Kolada series; population_by_sex_age adds up TAB6471's age classes."""
    flags = dict(warehouse.execute(
        "select indicator_id, bool_and(is_single_series) from intermediate.int_series_keys_matched "
        "where indicator_id in ('home_care_80plus_share', 'population_by_sex_age') and role = 'value' "
        "group by indicator_id").fetchall())
    assert flags == {"home_care_80plus_share": True, "population_by_sex_age": False}
    derived = dict(warehouse.execute(
        "select indicator_id, bool_or(is_derived) from marts.fct_indicator_value "
        "where indicator_id in ('home_care_80plus_share', 'population_by_sex_age') group by indicator_id").fetchall())
    assert derived == {"home_care_80plus_share": False, "population_by_sex_age": True}


def test_key_test_finds_a_duplicated_fact_row(dbt_build, tmp_path):
    """The key tests group by a hash of the key first: a duplicated key must still fail them, by its columns."""
    import json
    import shutil

    import duckdb

    manifest = json.loads((dbt_build["target"] / "manifest.json").read_text())
    compiled = [dbt_build["target"] / "compiled" / n["package_name"] / n["original_file_path"] / n["path"]
                for n in manifest["nodes"].values() if n["resource_type"] == "test"
                and n["name"].startswith("jamstat_utils_unique_combination_of_columns_fct_indicator_value")]
    assert len(compiled) == 1 and compiled[0].is_file(), compiled
    copy = tmp_path / dbt_build["candidate"].name  # the compiled SQL names the database by the file's stem
    shutil.copyfile(dbt_build["candidate"], copy)
    with duckdb.connect(str(copy)) as con:
        sql = compiled[0].read_text(encoding="utf-8")
        assert con.execute(sql).fetchall() == []
        con.execute("insert into marts.fct_indicator_value select * from marts.fct_indicator_value "
                    "where indicator_id = 'home_care_80plus_share' and area_code = '0180' and period = '2023' "
                    "and sex = 'K'")
        rows = con.execute(sql).fetchall()
    assert [(r[0], r[1], r[2], r[3], r[-1]) for r in rows] == [("home_care_80plus_share", "0180", "2023", "K", 2)]
