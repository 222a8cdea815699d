"""The catalog's follow-up meaning, checked on the seed CSVs themselves: every row says what it is for
the strategy (Länsstyrelsen i Stockholms län, rapport 2014:5), each piece of information counts once, and the
yardstick a row gets follows from what it measures. A row someone adds without these decisions fails here by name."""
from __future__ import annotations

import csv
import re

import pytest

from tests.dbt.candidate_fixture import REPO

SEEDS = REPO / "dbt_project" / "seeds"
INCOME = re.compile(r"inkomst|lönesumma|pension", re.IGNORECASE)


def _rows(name: str) -> list[dict]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


CATALOG = _rows("indicator_catalog")
BY_ID = {r["indicator_id"]: r for r in CATALOG}
GOALS = {(g["subgoal_id"], g["catalog_subgoal_sv"]): g for g in _rows("strategy_goals")}


def _key(row: dict) -> str:
    return GOALS[(row["subgoal_id"], row["subgoal_sv"])]["subgoal_key"]


def test_every_row_has_an_origin_and_a_reason():
    for r in CATALOG:
        assert r["origin"] in {"seed", "seed_proxy", "context", "added"}, r["indicator_id"]
        assert r["origin_note"].strip(), f"{r['indicator_id']}: no origin_note (why it sits where it sits)"
        assert r["counts_in_followup"] in {"true", "false"}, r["indicator_id"]
        assert r["collection"] in {"register", "survey"}, r["indicator_id"]


def test_every_seed_row_names_the_strategy_indicator_it_answers():
    seeds = [r for r in CATALOG if r["origin"] in ("seed", "seed_proxy")]
    assert len(seeds) > 40
    for r in seeds:
        assert r["strategy_indicator_sv"].strip(), f"{r['indicator_id']} ({r['origin']}) names no strategy indicator"
    for r in CATALOG:
        if r["origin"] in ("context", "added"):
            assert not r["strategy_indicator_sv"], f"{r['indicator_id']}: only seed rows quote a strategy indicator"


def test_context_rows_are_never_counted_or_judged():
    for r in CATALOG:
        if r["origin"] == "context":
            assert r["counts_in_followup"] == "false", r["indicator_id"]
            assert r["desired_direction"] == "context", f"{r['indicator_id']}: background is never judged"


def test_every_complement_pair_has_exactly_one_counted_member():
    groups: dict[str, list[dict]] = {}
    for r in CATALOG:
        if r["complement_of"]:
            groups.setdefault(r["complement_of"], []).append(r)
    assert {"parental_benefit_days_share_men", "temporary_parental_benefit_share_men",
            "womens_pay_pct_municipal_employees"} <= set(groups)
    for counted_id, others in groups.items():
        counted = BY_ID[counted_id]
        members = [counted, *others]
        assert sum(m["counts_in_followup"] == "true" for m in members) == 1, \
            f"pair of {counted_id}: {[(m['indicator_id'], m['counts_in_followup']) for m in members]}"
        assert counted["counts_in_followup"] == "true" and not counted["complement_of"], counted_id
        assert {_key(m) for m in members} == {_key(counted)}, f"pair of {counted_id} spans sub-goals"
    assert BY_ID["parental_benefit_days_share_women"]["complement_of"] == "parental_benefit_days_share_men"
    assert BY_ID["temporary_parental_benefit_share_women"]["complement_of"] == "temporary_parental_benefit_share_men"


def test_rows_not_counted_say_why():
    for r in CATALOG:
        if r["counts_in_followup"] == "false":
            assert r["origin"] == "context" or r["complement_of"], \
                f"{r['indicator_id']}: not counted, but neither background nor the repeat of a counted row"


def test_no_income_measure_under_2_2():
    for r in CATALOG:
        if r["subgoal_id"] == "2.2":
            name = f"{r['indicator_name_sv']} {r['kolada_title']}"
            assert r["unit"] not in ("SEK", "SEK_thousand") and not INCOME.search(name), \
                f"{r['indicator_id']} is an income measure under 2.2 (time in paid and unpaid work)"
    outcome = {r["indicator_id"] for r in CATALOG if _key(r) == "2.0"}
    assert {"wage_sum_women_pct_of_men", "median_earned_income_20_64", "median_income_65plus"} <= outcome


def test_3_2_is_not_judged_on_home_care_recipients():
    home_care = BY_ID["home_care_80plus_share"]
    assert (home_care["origin"], home_care["counts_in_followup"]) == ("context", "false")
    counted = [r for r in CATALOG if _key(r) == "3.2" and r["counts_in_followup"] == "true"]
    assert counted and all(r["source_ref"] != "N21704" for r in counted)


def test_ipv_cases_per_10000_are_context():
    for kpi in ("U30750", "U30751", "U30752"):
        row = next(r for r in CATALOG if r["source_ref"] == kpi)
        assert (row["origin"], row["desired_direction"]) == ("context", "context"), kpi


@pytest.mark.parametrize("row", CATALOG, ids=lambda r: r["indicator_id"])
def test_the_yardstick_follows_the_meaning(row):
    """parity rows hold a share (or the two parts of one whole), gap rows something women's value can be divided by
    men's; a counted row always has a yardstick or a direction."""
    sem, direction = row["value_semantics"], row["desired_direction"]
    if direction == "parity":
        assert sem in ("women_share", "men_share", "by_sex"), row["indicator_id"]
        if sem == "by_sex":
            assert row["unit"] in ("count", "percent") or row["source"] == "none", \
                f"{row['indicator_id']}: K and M must be parts of one whole"
    if direction == "gap_to_zero" and row["counts_in_followup"] == "true":
        assert sem in ("by_sex", "women_pct_of_men"), \
            f"{row['indicator_id']}: a gap in {sem} cannot be judged as women's value as % of men's"
    if row["counts_in_followup"] == "true" and row["origin"] != "context":
        assert direction != "context", f"{row['indicator_id']} counts but is never judged"
    if row["level_direction"]:
        assert direction == "gap_to_zero", f"{row['indicator_id']}: level_direction is for gap rows"
    if direction in ("higher_is_better", "lower_is_better") and sem == "by_sex":
        assert row["measure_type"] == "value_by_sex" and row["by_sex"] == "yes", row["indicator_id"]
    if row["measure_type"] == "value_by_sex":
        assert row["by_sex"] == "yes", f"{row['indicator_id']}: value_by_sex with by_sex={row['by_sex']}"


def test_sources_name_their_publisher():
    for r in CATALOG:
        if r["source"] == "none":
            assert not r["publisher"], f"{r['indicator_id']}: source none has no publisher"
        elif r["source"] in ("kolada", "scb", "fk", "bra"):
            assert r["publisher"], f"{r['indicator_id']}: who publishes it?"


def test_repeats_by_design_only_where_the_source_says_so():
    repeated = {r["indicator_id"] for r in CATALOG if r["repeats_by_design"] == "yes"}
    assert repeated == {"women_share_chairs_municipal", "women_share_chairs_region", "women_share_elected_municipal",
                        "women_share_municipal_council"}
    assert all(BY_ID[i]["source"] == "kolada" for i in repeated)


def test_goals_are_bilingual_and_the_strategy_is_quoted():
    for g in _rows("strategy_goals"):
        for col in ("goal_sv", "goal_en", "subgoal_sv", "subgoal_en", "subgoal_short_en"):
            assert g[col].strip(), f"{g['subgoal_key']}: {col} empty"
    (strategy,) = _rows("strategy")
    assert strategy["citation"] == "Länsstyrelsen i Stockholms län, rapport 2014:5"
    assert strategy["overall_goal_sv"].startswith("I Stockholms län har kvinnor och män samma makt att forma samhället")
    assert strategy["cross_cutting_sv"].startswith(
        "Samtliga mål gäller oavsett var man är född eller var man bor i länet")
    assert "2016" in strategy["national_frame_en"]
