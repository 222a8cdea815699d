"""A real `dbt build` on a candidate made from the real recordings (tests/dbt/candidate_fixture.py) plus SYNTHETIC
ArbStatusM batches, one per catalog spec that fetches the table, split by Fodelseregion tot / in / ut as the
catalog now selects it. The synthetic payloads go through the project's own json-stat2 normaliser, so their dims
JSON is what ingest lands. They show:

* born-in-Sweden (in) and foreign-born (ut) rows reach marts.mart_gender_gap as the born_in_sweden / foreign_born
  breakdown of the same indicator, tot as its total;
* the total stays what the tot rows alone say: each unemployment 15-24 ratio is built within one birth region
  (two age bands, never tot + in + ut), from counts.

Every value below is SYNTHETIC (made up for the test); only the codes are the table's real ones, except the two
Alder codes: the catalog matches 15-19* / 20-24* because those codes were never seen, and the fixture uses the
shortest codes those patterns match."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ingest.sources import scb
from jamstat.transform.dbt_runner import run_dbt
from tests.dbt.candidate_fixture import INSERT_BATCH, build_candidate, replay_settings

pytestmark = pytest.mark.slow

FETCHED = datetime(2026, 6, 10, 9, 0, 0)
AREA, YEAR = "20", 2024
MONTHS = [f"{YEAR}M{m:02d}" for m in range(1, 13)]
SEX_CODES = {"K": "2", "M": "1", "T": "1+2"}
BIRTH_REGION = {"tot": "total", "in": "born_in_sweden", "ut": "foreign_born"}
# SYNTHETIC employment rate 20-64 (000006IK), per Fodelseregion and sex, the same in every month
EMPLOYMENT_RATE = {"tot": {"K": 80.0, "M": 83.0, "T": 81.5}, "in": {"K": 86.0, "M": 87.0, "T": 86.5},
                   "ut": {"K": 64.0, "M": 72.0, "T": 68.0}}
# SYNTHETIC counts 15-24 per Fodelseregion in / ut, sex K / M and age band: (unemployed 000004YH, employed 000006HI).
# T = K + M and tot = in + ut, as in the source.
COUNTS = {("in", "K"): {"15-19": (40, 360), "20-24": (80, 1120)},
          ("in", "M"): {"15-19": (60, 340), "20-24": (100, 1500)},
          ("ut", "K"): {"15-19": (20, 40), "20-24": (40, 100)},
          ("ut", "M"): {"15-19": (30, 70), "20-24": (60, 140)}}


def _counts(region: str, sex: str, age: str) -> tuple[int, int]:
    regions = ["in", "ut"] if region == "tot" else [region]
    sexes = ["K", "M"] if sex == "T" else [sex]
    parts = [COUNTS[(r, s)][age] for r in regions for s in sexes]
    return sum(u for u, _ in parts), sum(e for _, e in parts)


def _expected_unemployment(region: str, sex: str) -> float:
    unemployed = sum(_counts(region, sex, age)[0] for age in ("15-19", "20-24"))
    employed = sum(_counts(region, sex, age)[1] for age in ("15-19", "20-24"))
    return 100.0 * unemployed / (unemployed + employed)


def _payload(ages: list[str], contents: list[str], value) -> dict:
    """A json-stat2 ArbStatusM answer (dimension order as the v1 metadata lists them; SYNTHETIC values)."""
    dims = {"Region": [AREA], "Kon": list(SEX_CODES.values()), "Alder": ages, "Fodelseregion": list(BIRTH_REGION),
            "ContentsCode": contents, "Tid": MONTHS}
    sex_of = {code: sex for sex, code in SEX_CODES.items()}
    values = [value(sex_of[k], a, f, c) for k in dims["Kon"] for a in ages for f in dims["Fodelseregion"]
              for c in contents for _ in MONTHS]
    return {"class": "dataset", "id": list(dims), "size": [len(v) for v in dims.values()], "value": values,
            "dimension": {d: {"category": {"index": {c: i for i, c in enumerate(v)}}} for d, v in dims.items()},
            "role": {"time": ["Tid"]}}


def _employment(sex, _age, region, _content):
    return EMPLOYMENT_RATE[region][sex]


def _unemployment_parts(sex, age, region, content):
    unemployed, employed = _counts(region, sex, age)
    return unemployed if content == "000004YH" else employed


BATCHES = {  # batch id -> (catalog spec, payload)
    "SYNTHETIC-arbstatusm-employment": ("labour_status_by_birth_region_monthly",
                                        _payload(["20-64"], ["000006IK"], _employment)),
    "SYNTHETIC-arbstatusm-unemployment": ("unemployment_15_24_bas",
                                          _payload(["15-19", "20-24"], ["000004YH", "000006HI"], _unemployment_parts)),
}


def _candidate(path: Path) -> Path:
    build_candidate(path)
    with duckdb.connect(str(path)) as con:
        for bid, (spec, doc) in BATCHES.items():
            table, _notes = scb.normalize_payload_arrow(doc, "ArbStatusM", url=bid)
            rows = [(*r.values(), bid, FETCHED) for r in table.to_pylist()]
            con.executemany("insert into raw.observations values (?,?,?,?,?,?,?,?,?,?,?)", rows)
            refs = json.dumps(sorted({r[1] for r in rows}))
            responses = json.dumps([{"sha256": hashlib.sha256(json.dumps(doc).encode()).hexdigest()}])
            con.execute(INSERT_BATCH, [bid, "scb", f"scb:{spec}:ArbStatusM:SYNTHETIC", refs, "replay", "SYNTHETIC",
                                       FETCHED, len(rows), responses, "[]"])
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("birth_region")
    settings = replay_settings(tmp)
    candidate = _candidate(tmp / "candidate.duckdb")
    build = run_dbt(settings, "build", candidate=candidate, target_path=tmp / "target")
    return {"build": build, "candidate": candidate}


def _query(built, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(built["candidate"]), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def _gap_rows(built, indicator_id: str) -> dict[str, tuple]:
    rows = _query(built, "select birth_region, value_women, value_men, value_total, age_group "
                         "from marts.mart_gender_gap where indicator_id = ? and area_code = ? and year = ?",
                  [indicator_id, AREA, YEAR])
    assert {r[4] for r in rows} == {"total"}
    return {r[0]: r[1:4] for r in rows}


def test_the_candidate_builds_and_every_synthetic_row_is_mapped(built):
    assert built["build"].success, built["build"].summary()
    assert _query(built, "select count(*) from intermediate.int_observations_unmapped "
                         "where batch_id like 'SYNTHETIC-arbstatusm-%'") == [(0,)]


def test_employment_rate_by_birth_region_reaches_the_gender_gap_mart(built):
    got = _gap_rows(built, "labour_status_by_birth_region_monthly")
    assert set(got) == {"total", "born_in_sweden", "foreign_born"}
    for code, birth_region in BIRTH_REGION.items():
        rate = EMPLOYMENT_RATE[code]
        assert got[birth_region] == pytest.approx((rate["K"], rate["M"], rate["T"])), birth_region


def test_unemployment_15_24_by_birth_region_is_a_ratio_of_its_own_counts(built):
    got = _gap_rows(built, "unemployment_15_24_bas")
    assert set(got) == {"total", "born_in_sweden", "foreign_born"}
    for code, birth_region in BIRTH_REGION.items():
        want = tuple(_expected_unemployment(code, sex) for sex in ("K", "M", "T"))
        assert got[birth_region] == pytest.approx(want), birth_region
    # each monthly value of every birth region: one numerator row per age band, two denominator rows per band
    parts = _query(built, "select distinct birth_region, n_numerator_rows, n_denominator_rows "
                          "from intermediate.int_indicator_values_ratios where indicator_id = 'unemployment_15_24_bas' "
                          "and area_code = ?", [AREA])
    assert sorted(parts) == [("born_in_sweden", 2, 4), ("foreign_born", 2, 4), ("total", 2, 4)]
