"""RegSO and DeSO through a real `dbt build`: SCB's employment table at sub-municipal level reaches the fact and
the gap mart at that grain, both SCB versions side by side, the counts add up to the municipality, and what
cannot be right fails by name.

The values are SYNTHETIC (no real SCB response at RegSO/DeSO level by sex is stored anywhere we could find),
generated here and labelled so in their batch; the areas are real: every DeSO and RegSO of Stockholm (0180) in
SCB's code lists of both versions. The cube is shaped as SCB answers a table that crosses both versions with
every year: a DeSO 2018 code in 2024 (and a DeSO 2025 code in 2023) is an empty '..' cell."""
from __future__ import annotations

import csv
import json
import random
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from jamstat.gates.dbt_tests import dbt_gate_result
from jamstat.transform.dbt_runner import run_dbt
from tests.dbt.candidate_fixture import BATCH_DDL, INSERT_BATCH, OBS_DDL, REPO, replay_settings

pytestmark = pytest.mark.slow

SEEDS = REPO / "dbt_project" / "seeds" / "reference"
QUERY_09 = REPO / "queries" / "09_employment_gap_per_regso_stockholm.sql"
MUNICIPALITY = "0180"
YEARS = {2023: ("DeSO 2018", "RegSO 2020"), 2024: ("DeSO 2025", "RegSO 2025")}
BATCH = "SYNTHETIC-deso-regso-0180"
FETCHED = datetime(2026, 6, 10, 8, 0, 0)
EMPLOYED, POPULATION = "ArRegDesoStatusN/0000089X", "ArRegDesoStatusN/0000089Y"


def _areas() -> tuple[list[dict], list[dict]]:
    with (SEEDS / "scb_deso.csv").open(encoding="utf-8", newline="") as f:
        deso = [r for r in csv.DictReader(f) if r["municipality_code"] == MUNICIPALITY]
    with (SEEDS / "scb_regso.csv").open(encoding="utf-8", newline="") as f:
        regso = [r for r in csv.DictReader(f) if r["municipality_code"] == MUNICIPALITY]
    return deso, regso


def synthetic_counts() -> dict[tuple[str, int, str, str], float | None]:
    """(area, year, sex, source_ref) -> SYNTHETIC count: random per DeSO, summed to its RegSO and the municipality
    for the version in use; None for an area outside its version's year."""
    rng = random.Random(14)
    deso, regso = _areas()
    out: dict = {}
    for year, (deso_version, regso_version) in YEARS.items():
        for r in regso:
            if r["regso_version"] != regso_version:
                for sex in "KMT":
                    out[(r["regso_code"], year, sex, EMPLOYED)] = out[(r["regso_code"], year, sex, POPULATION)] = None
        for d in deso:
            for sex in "KMT":
                for ref in (EMPLOYED, POPULATION):
                    out.setdefault((d["deso_code"], year, sex, ref), None)
            if d["deso_version"] != deso_version:
                continue
            for sex in "KM":
                population = rng.randint(300, 1500)
                employed = round(population * rng.uniform(0.55, 0.9))
                for ref, value in ((EMPLOYED, employed), (POPULATION, population)):
                    for area in (d["deso_code"], d["regso_code"], MUNICIPALITY):
                        for s in (sex, "T"):
                            out[(area, year, s, ref)] = (out.get((area, year, s, ref)) or 0) + value
    return out


def _candidate(path: Path, counts: dict) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw")
        con.execute(OBS_DDL)
        con.execute(BATCH_DDL)
        rows = [("scb", ref, area, str(year), sex, value, ".." if value is None else None, '{"Alder": "20-64"}',
                 False, BATCH, FETCHED) for (area, year, sex, ref), value in counts.items()]
        con.executemany("insert into raw.observations values (?,?,?,?,?,?,?,?,?,?,?)", rows)
        con.execute(INSERT_BATCH, [BATCH, "scb", "scb:employment_rate_deso_regso:ArRegDesoStatusN:fixture",
                                   json.dumps([EMPLOYED, POPULATION]), "replay", "pytest", FETCHED, len(rows), "[]",
                                   json.dumps(["SYNTHETIC values for real DeSO/RegSO codes of 0180 (test fixture)"])])
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Two candidates, one dbt build each: the clean cube, and one with two faults - the municipality's 2024
    population of women 5 % above the sum of its DeSO, and a value for a DeSO 2018 code in 2024."""
    tmp = tmp_path_factory.mktemp("subareas")
    settings = replay_settings(tmp)
    counts = synthetic_counts()
    faulty = dict(counts)
    faulty[(MUNICIPALITY, 2024, "K", POPULATION)] *= 1.05
    faulty[("0180C1010", 2024, "K", POPULATION)] = 500.0
    out = {"counts": counts}
    for name, cube in (("clean", counts), ("faulty", faulty)):
        candidate = _candidate(tmp / f"{name}.duckdb", cube)
        build = run_dbt(settings, "build", candidate=candidate, target_path=tmp / f"target_{name}")
        out[name] = {"build": build, "gate": dbt_gate_result(build, candidate_path=str(candidate)),
                     "candidate": candidate}
    return out


def _sql(built, sql: str, params=None) -> list[tuple]:
    with duckdb.connect(str(built["clean"]["candidate"]), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_clean_cube_builds(built):
    assert built["clean"]["build"].success, built["clean"]["build"].summary()
    assert built["clean"]["gate"].success


def test_every_regso_and_deso_of_the_version_in_use_reaches_the_fact_by_sex(built):
    got = dict(((level, version, year), n) for level, version, year, n in _sql(built, """
        select a.area_level, a.area_version, f.year, count(*) from marts.fct_indicator_value f
        join marts.dim_area a using (area_code)
        where f.indicator_id = 'employment_rate_deso_regso' and a.area_level in ('regso', 'deso')
        group by all"""))
    deso, regso = _areas()
    n = {v: sum(1 for d in deso if d["deso_version"] == v) for v in ("DeSO 2018", "DeSO 2025")}
    n |= {v: sum(1 for r in regso if r["regso_version"] == v) for v in ("RegSO 2020", "RegSO 2025")}
    assert n == {"DeSO 2018": 544, "DeSO 2025": 569, "RegSO 2020": 127, "RegSO 2025": 127}  # SCB's counts for 0180
    assert got == {("deso", "DeSO 2018", 2023): 3 * 544, ("regso", "RegSO 2020", 2023): 3 * 127,
                   ("deso", "DeSO 2025", 2024): 3 * 569, ("regso", "RegSO 2025", 2024): 3 * 127}


def test_a_rate_is_built_from_the_areas_own_counts(built):
    counts = built["counts"]
    area = "0180C1010_DeSO2025"
    [(women, men)] = _sql(built, "select value_women, value_men from marts.mart_gender_gap "
                                 "where indicator_id = 'employment_rate_deso_regso' and area_code = ? and year = 2024",
                          [area])
    assert women == pytest.approx(100 * counts[(area, 2024, "K", EMPLOYED)] / counts[(area, 2024, "K", POPULATION)])
    assert men == pytest.approx(100 * counts[(area, 2024, "M", EMPLOYED)] / counts[(area, 2024, "M", POPULATION)])


def test_empty_cells_outside_a_version_are_dropped_not_reported(built):
    assert _sql(built, "select count(*) from intermediate.int_observations_harmonised "
                       "where source_area_code = '0180C1010_DeSO2025' and year = 2023") == [(0,)]
    assert _sql(built, "select count(*) from intermediate.int_observations_unmapped") == [(0,)]


def test_the_counts_add_up_to_the_municipality(built):
    rows = _sql(built, """select rolled_up_from, area_version, count(*), max(abs(difference)), count(difference)
                          from intermediate.int_subarea_count_rollups where municipality_code = '0180'
                          group by all order by 1, 2""")
    # per level and version: 2 counts x 3 sexes, in the version's year
    assert rows == [("deso", "DeSO 2018", 6, 0.0, 6), ("deso", "DeSO 2025", 6, 0.0, 6),
                    ("regso", "RegSO 2020", 6, 0.0, 6), ("regso", "RegSO 2025", 6, 0.0, 6)]


def test_cookbook_09_ranks_stockholms_regso_by_gap(built):
    with duckdb.connect(str(built["clean"]["candidate"]), read_only=True) as con:
        cur = con.execute(QUERY_09.read_text(encoding="utf-8"))
        columns = [d[0] for d in cur.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cur.fetchall()]
        [(municipal_gap,)] = con.execute(
            "select gap_women_minus_men from marts.mart_gender_gap where indicator_id = 'employment_rate_deso_regso' "
            "and area_code = '0180' and year = 2024").fetchall()
    assert len(rows) == 127 and {r["year"] for r in rows} == {2024} and {r["area_version"] for r in rows} == {"RegSO 2025"}
    assert [r["rank_largest_gap"] for r in rows][:1] == [1]
    gaps = [abs(float(r["gap_women_minus_men"])) for r in rows]
    assert gaps == sorted(gaps, reverse=True)
    assert all(float(r["municipality_gap"]) == round(municipal_gap, 1) for r in rows)
    assert all(r["note"] is None and r["area_code"].endswith("_RegSO2025") for r in rows)


def test_a_sub_municipal_area_lists_only_the_sub_goals_followed_at_its_level(built):
    """At RegSO and DeSO the follow-up lists the one sub-goal with a value at that level (2.3, employment), never a
    "no_data_yet" row for sub-goals no source publishes there; the municipality still lists every sub-goal. The
    DeSO/RegSO employment rate repeats the municipal one (it does not count at the municipality) and counts in its
    place below it."""
    [(subgoal, counts_at_municipality)] = _sql(built, "select subgoal_key, counts_in_followup from marts.dim_indicator "
                                                      "where indicator_id = 'employment_rate_deso_regso'")
    assert counts_at_municipality is False
    below = _sql(built, """select f.subgoal_key, f.followup_status, count(*) from marts.mart_goal_followup f
                           join marts.dim_area a using (area_code) where a.area_level in ('regso', 'deso')
                           group by all""")
    assert below == [(subgoal, "data", 544 + 569 + 127 + 127)]   # every DeSO and RegSO area-year of 0180
    [(n_goals,)] = _sql(built, "select count(*) from marts.dim_goal")
    statuses = dict(_sql(built, "select subgoal_key, followup_status from marts.mart_goal_followup "
                                "where area_code = '0180' and year = 2024"))
    assert len(statuses) == n_goals > 20 and {"no_public_source", "context_only"} <= set(statuses.values())
    # the repeat does not count at the municipality: the counted municipal rate is not in this candidate
    assert statuses[subgoal] == "no_data_yet"


def test_the_unchanged_counterpart_follows_scbs_change_log(built):
    """same_area_code is set exactly for the DeSO in both versions that no change other than the territorial-water
    extension names (read from SCB's log here, independently of the SQL)."""
    with (SEEDS / "scb_deso_changes.csv").open(encoding="utf-8", newline="") as f:
        changed = {c for r in csv.DictReader(f) if r["change_type"] != "Utvidgas till territorialvattengräns"
                   and r["change_date"] > "2018-01-01" for c in (r["from_code"], r["to_code"])}
    deso, _ = _areas()
    in_both = {d["deso_plain_code"] for d in deso if d["deso_version"] == "DeSO 2018"} & \
              {d["deso_plain_code"] for d in deso if d["deso_version"] == "DeSO 2025"}
    expected = {c: f"{c}_DeSO2025" for c in in_both - changed}
    got = dict(_sql(built, "select area_code, same_area_code from marts.dim_area where area_level = 'deso' "
                           "and area_version = 'DeSO 2018' and municipality_code = '0180' and same_area_code is not null"))
    assert got == expected and 0 < len(got) < 544


def test_a_count_that_does_not_add_up_and_a_code_out_of_its_years_fail_by_name(built):
    build, gate = built["faulty"]["build"], built["faulty"]["gate"]
    failed = {c.check.split(".")[-1]: c for c in gate.checks if c.status == "failed"}
    assert set(failed) == {"assert_subarea_counts_roll_up_to_municipality", "assert_no_unknown_area_codes"}, \
        build.summary()
    rollup = failed["assert_subarea_counts_roll_up_to_municipality"].examples
    assert {(r["rolled_up_from"], r["municipality_code"], r["period"], r["sex"], r["source_ref"]) for r in rollup} == \
           {(level, "0180", "2024", "K", POPULATION) for level in ("deso", "regso")}
    unknown = failed["assert_no_unknown_area_codes"]
    assert unknown.batch_ids == [BATCH]
    assert unknown.examples[0]["source_area_code"] == "0180C1010"
    assert unknown.examples[0]["unmapped_reason"] == "area_not_in_use_that_year"
