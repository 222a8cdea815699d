"""A small published warehouse for the report's unit tests: every mart table with the columns and types its
dbt contract declares (dbt_project/models/marts/_marts.yml), filled with a handful of hand-written rows.
The values are made up for the tests and never leave them."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import yaml

from tests.conftest import REPO

CONTRACT = REPO / "dbt_project" / "models" / "marts" / "_marts.yml"
PUBLICATIONS = {"run_id": "VARCHAR", "git_commit": "VARCHAR", "published_at": "TIMESTAMP", "source_modes": "VARCHAR",
                "row_counts": "VARCHAR", "gate_results": "VARCHAR", "storage_version": "VARCHAR"}


def contract_columns() -> dict[str, dict[str, str]]:
    models = yaml.safe_load(CONTRACT.read_text(encoding="utf-8"))["models"]
    return {m["name"]: {c["name"]: c.get("data_type", "text") for c in m["columns"]} for m in models}


AREAS = [("00", "Riket", "country", None), ("01", "Stockholms län", "county", "01"),
         ("0180", "Stockholm", "municipality", "01"), ("0114", "Upplands Väsby", "municipality", "01"),
         ("0115", "Vallentuna", "municipality", "01"), ("20", "Dalarnas län", "county", "20"),
         ("2080", "Falun", "municipality", "20")]
GOAL = "Kvinnor och män tar lika stor del av det obetalda arbetet i Stockholms län."
GOALS = [
    {"subgoal_key": "1.1", "goal_id": "1",
     "goal_sv": "Kvinnor och män har samma makt och inflytande i Stockholms län.",
     "subgoal_id": "1.1", "subgoal_sv": "Samma makt i arbetslivet", "is_strategy_subgoal": True,
     "n_indicators": 1, "n_indicators_with_public_source": 1},
    {"subgoal_key": "3.3", "goal_id": "3", "goal_sv": GOAL, "subgoal_id": "3.3", "subgoal_sv": "Föräldrar delar lika",
     "is_strategy_subgoal": True, "n_indicators": 1, "n_indicators_with_public_source": 1},
    {"subgoal_key": "4.1", "goal_id": "4", "goal_sv": "Mäns våld mot kvinnor har upphört i Stockholms län.",
     "subgoal_id": "4.1", "subgoal_sv": "Kunskap om våld", "is_strategy_subgoal": True,
     "n_indicators": 1, "n_indicators_with_public_source": 0},
]
INDICATORS = [
    {"indicator_id": "managers_by_sex", "indicator_name_sv": "Chefer, andel per kön", "indicator_name_en": "Managers",
     "unit": "percent", "source": "scb", "source_ref": "AM/AM0208/AM0208E/YREG50BAS (ContentsCode X)",
     "subgoal_key": "1.1", "goal_id": "1", "subgoal_id": "1.1", "measure_type": "value_by_sex",
     "value_semantics": "by_sex", "desired_direction": "gap_to_zero", "has_public_source": True,
     "series_breaks": "2019: new occupational classification", "last_break_year": 2019},
    {"indicator_id": "vab_share_men", "indicator_name_sv": "VAB-dagar som tas ut av män, andel",
     "indicator_name_en": "Temporary parental benefit days taken by men, share", "unit": "percent",
     "source": "kolada", "source_ref": "N00945", "subgoal_key": "3.3", "goal_id": "3", "subgoal_id": "3.3",
     "measure_type": "single_value", "value_semantics": "men_share", "desired_direction": "parity",
     "has_public_source": True},
    {"indicator_id": "violence_knowledge", "indicator_name_sv": "Kunskap om stöd", "unit": "percent",
     "source": "none", "source_ref": "no public statistics", "subgoal_key": "4.1", "goal_id": "4",
     "subgoal_id": "4.1", "measure_type": "single_value", "value_semantics": "level",
     "desired_direction": "higher_is_better", "has_public_source": False},
]


def gap_row(indicator, area, year, **values) -> dict:
    return {"indicator_id": indicator, "area_code": area, "year": year, "baseline_year": 2014, **values}


SERIES = [
    # by sex, county and country, with a break in 2019 and no value in 2017 (nothing may bridge it)
    *[gap_row("managers_by_sex", a, y, unit="percent", measure_type="value_by_sex", value_semantics="by_sex",
              value_women=w, value_men=m, value_total=(w + m) / 2, gap_women_minus_men=w - m,
              parity_metric="ratio_women_to_men_pct", parity_metric_value=100 * w / m,
              has_break_since_baseline=y >= 2019, gap_change_since_baseline=None if y == 2014 else (w - m) - (-10.0))
      for a, y, w, m in [("01", 2014, 30.0, 40.0), ("01", 2015, 31.0, 40.0), ("01", 2016, 32.0, 40.0),
                         ("01", 2018, 33.0, 39.0), ("01", 2019, 35.0, 38.0), ("00", 2019, 34.0, 39.5),
                         ("0180", 2019, 36.0, 37.0), ("0114", 2019, 30.0, 40.0)]],
    # a men's share KPI: the report draws women's share = 100 - men's share, with the 40-60 band
    *[gap_row("vab_share_men", a, y, unit="percent", measure_type="single_value", value_semantics="men_share",
              value_total=100 - ws, women_share=ws, parity_metric="women_share", parity_metric_value=ws,
              parity_target=50.0, is_at_parity=abs(ws - 50) <= 10, parity_metric_change_since_baseline=ch,
              direction_of_change="toward_target" if y > 2014 else None)
      for a, y, ws, ch in [("0180", 2014, 61.4, 0.0), ("0180", 2020, 59.2, -2.2), ("0114", 2020, 65.0, None),
                           ("2080", 2020, 62.0, None)]],
]
# Upplands Väsby 2019: the men's value is suppressed at the source (status '.'), so the gap is null too.
SERIES[7].update(value_men=None, value_total=None, gap_women_minus_men=None, parity_metric_value=None,
                 gap_change_since_baseline=None)
FOLLOWUP = [
    {"subgoal_key": "3.3", "area_code": "0180", "year": 2020, "goal_id": "3", "n_indicators_with_data": 1,
     "n_indicators_at_parity": 1, "n_indicators_with_parity_metric": 1, "n_indicators_toward_target": 1,
     "n_indicators_away_from_target": 0, "n_indicators_unchanged": 0, "followup_status": "data"},
    {"subgoal_key": "1.1", "area_code": "01", "year": 2019, "goal_id": "1", "n_indicators_with_data": 1,
     "n_indicators_at_parity": 0, "n_indicators_with_parity_metric": 1, "n_indicators_toward_target": 1,
     "n_indicators_away_from_target": 0, "n_indicators_unchanged": 0, "followup_status": "data"},
    {"subgoal_key": "4.1", "area_code": "01", "year": 2019, "goal_id": "4", "n_indicators_with_data": 0,
     "n_indicators_at_parity": 0, "n_indicators_with_parity_metric": 0, "n_indicators_toward_target": 0,
     "n_indicators_away_from_target": 0, "n_indicators_unchanged": 0, "followup_status": "no_public_source"},
]
FETCHED = datetime(2026, 11, 30, 5, 50)
FACTS = [
    {"indicator_id": "vab_share_men", "area_code": "0180", "period": "2020", "period_granularity": "year",
     "year": 2020, "sex": "T", "value": 40.8, "unit": "percent", "source": "kolada", "source_ref": "N00945",
     "is_derived": False, "batch_id": "b" * 64, "fetched_at": FETCHED},
    {"indicator_id": "vab_share_men", "area_code": "0115", "period": "2020", "period_granularity": "year",
     "year": 2020, "sex": "T", "value": None, "status": "..", "unit": "percent", "source": "kolada",
     "source_ref": "N00945", "is_derived": False, "batch_id": "b" * 64, "fetched_at": FETCHED},
    {"indicator_id": "managers_by_sex", "area_code": "0114", "period": "2019", "period_granularity": "year",
     "year": 2019, "sex": "K", "value": 30.0, "unit": "percent", "source": "scb", "source_ref": "x",
     "is_derived": False, "batch_id": "c" * 64, "fetched_at": FETCHED},
    {"indicator_id": "managers_by_sex", "area_code": "0114", "period": "2019", "period_granularity": "year",
     "year": 2019, "sex": "M", "value": None, "status": ".", "unit": "percent", "source": "scb", "source_ref": "x",
     "is_derived": False, "batch_id": "c" * 64, "fetched_at": FETCHED},
]


BREAKDOWN_KEYS = ("birth_region", "age_group")


def _insert(con, table: str, columns: dict[str, str], rows: list[dict]) -> None:
    unknown = {k for r in rows for k in r} - set(columns)
    assert not unknown, f"{table}: columns not in the contract: {unknown}"
    names = list(columns)
    for r in rows:
        # the breakdown keys default to the whole population, as in a source without a split
        r = {**{k: "total" for k in BREAKDOWN_KEYS if k in columns}, **r}
        con.execute(f"INSERT INTO marts.{table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                    [r.get(n) for n in names])


def build(path: Path, *, modes: tuple[str, ...] = ("replay",), publications: bool = True,
          series: list[dict] | None = None) -> Path:
    """Write the small warehouse to `path` (marts schema only, as publication writes it)."""
    contract = contract_columns()
    areas = [{"area_code": c, "area_name": n, "area_level": lvl, "county_code": cc, "scb_code": c}
             for c, n, lvl, cc in AREAS]
    content = {"dim_area": areas, "dim_goal": GOALS, "dim_indicator": INDICATORS, "fct_indicator_value": FACTS,
               "mart_gender_gap": SERIES if series is None else series, "mart_goal_followup": FOLLOWUP}
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA marts")
        for table, columns in contract.items():
            con.execute(f"CREATE TABLE marts.{table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
            _insert(con, table, columns, content.get(table, []))
        if publications:
            con.execute(f"CREATE TABLE marts.publications ({', '.join(f'{c} {t}' for c, t in PUBLICATIONS.items())})")
            gates = [{"gate": "dbt", "success": True, "checks": 3, "failed": []}]
            con.execute("INSERT INTO marts.publications VALUES "
                        "('run-1', 'abc', TIMESTAMP '2026-11-30 05:52:00', ?, ?, ?, 'v1.0.0')",
                        [json.dumps(list(modes)), json.dumps({"fct_indicator_value": len(FACTS)}), json.dumps(gates)])
    return path
