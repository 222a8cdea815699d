"""Small candidate DuckDB files for the quality-gate tests, built from REAL values.

Real values used (provenance):
- Kolada N21704 (home_care_80plus_share, percent), 2023, 0180/0580/1280/1480/2480 x K/M/T:
  ingest/replay/recordings/kolada/v3_data_kpi_N21704_year_2023_trimmed.json
- Kolada N00945 (temporary_parental_benefit_share_men, percent), T, 2000-2002, 0180/1280/1480:
  ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv
- SCB TAB6471 000007SF (population_by_sex_age, count), län 01 and 03, 2026M01-M02, K/M/T, summed over the
  table's 11 age groups: ingest/replay/recordings/scb/v2_TAB6471_data_folkmangd_manad_lan_kon.json
- dim_area: dbt_project/seeds/reference/kommuner_290_crosschecked.csv (290 kommuner, 21 län) + '00' Riket
- dim_indicator: dbt_project/seeds/indicator_catalog.csv; dim_sex: dbt_project/seeds/sex.csv; dim_birth_region,
  dim_age_group: dbt_project/seeds/birth_region.csv, age_group.csv

Everything produced by the `mutate` callbacks in the test modules (a percent of 120, a duplicate key, an
unknown municipality, ...) is SYNTHETIC bad data, labelled as such where it is made.
"""
from __future__ import annotations

import csv
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[2]
KOMMUNER_CSV = REPO / "dbt_project" / "seeds" / "reference" / "kommuner_290_crosschecked.csv"
CATALOG_CSV = REPO / "dbt_project" / "seeds" / "indicator_catalog.csv"
SEEDS_DIR = REPO / "dbt_project" / "seeds"

# Fixed reference time for freshness: every fixture batch was "fetched" 2 days before NOW.
NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
FETCHED = (NOW - timedelta(days=2)).replace(tzinfo=None)

N21704_2023 = {  # Kolada v3 /data/kpi/N21704/year/2023 (recording), gender -> value
    "0180": {"K": 25.688929, "M": 15.778849, "T": 21.88749},
    "0580": {"K": 7.221589, "M": 4.434292, "T": 6.067015},
    "1280": {"K": 23.596249, "M": 16.949728, "T": 20.979068},
    "1480": {"K": 19.468967, "M": 13.314533, "T": 17.012982},
    "2480": {"K": 23.621399, "M": 15.756872, "T": 20.359666},
}
N00945_T = {  # rKolada sysdata, T only
    ("0180", "2000"): 31.32959689, ("1280", "2000"): 28.36722648, ("1480", "2000"): 33.23952169,
    ("0180", "2001"): 31.90900747, ("1280", "2001"): 29.14838854, ("1480", "2001"): 34.348832,
    ("0180", "2002"): 33.13783564, ("1280", "2002"): 30.18227517, ("1480", "2002"): 35.15515002,
}
TAB6471_POP = {  # SCB v2 TAB6471 000007SF, sum over the 11 age groups; (region, period) -> sex -> persons
    ("01", "2026M01"): {"T": 2486498, "M": 1243909, "K": 1242592},
    ("01", "2026M02"): {"T": 2487095, "M": 1244165, "K": 1242914},
    ("03", "2026M01"): {"T": 410714, "M": 204014, "K": 206700},
    ("03", "2026M02"): {"T": 410722, "M": 204027, "K": 206689},
}
BATCHES = {  # batch_id -> (source, unit, source_ref)
    "b_kolada_n21704": ("kolada", "kpi_N21704", "N21704"),
    "b_kolada_n00945": ("kolada", "kpi_N00945", "N00945"),
    "b_scb_tab6471": ("scb", "TAB6471", "TAB6471/000007SF"),
}


def _fact_rows(fetched: datetime) -> list[tuple]:
    rows = []
    for area, by_sex in N21704_2023.items():
        for sex, v in by_sex.items():
            rows.append(("home_care_80plus_share", area, "2023", 2023, sex, v, None, "percent", "kolada",
                         "b_kolada_n21704", fetched))
    for (area, period), v in N00945_T.items():
        rows.append(("temporary_parental_benefit_share_men", area, period, int(period), "T", v, None, "percent",
                     "kolada", "b_kolada_n00945", fetched))
    for (area, period), by_sex in TAB6471_POP.items():
        for sex, v in by_sex.items():
            rows.append(("population_by_sex_age", area, period, int(period[:4]), sex, float(v), None, "count", "scb",
                         "b_scb_tab6471", fetched))
    return rows


def _area_rows() -> list[tuple]:
    with open(KOMMUNER_CSV, encoding="utf-8") as fh:
        kommuner = list(csv.DictReader(fh))
    rows = [("00", "Riket", "country", None, "0000", "00")]
    counties = {}
    for k in kommuner:
        counties[k["lan_kod"]] = (k["lan_namn"], k["kolada_region_id"])
    for code, (name, kolada) in sorted(counties.items()):
        rows.append((code, name, "county", code, kolada, code))
    for k in kommuner:
        rows.append((k["kommun_kod"], k["kommun_namn"], "municipality", k["lan_kod"], k["kommun_kod"], k["kommun_kod"]))
    return rows


MARTS_DIR = REPO / "dbt_project" / "models" / "marts"
MART_MODELS = ("dim_area", "dim_sex", "dim_birth_region", "dim_age_group", "dim_period", "dim_indicator", "dim_goal", "fct_indicator_value",
               "mart_gender_gap", "mart_goal_followup", "mart_area_benchmark")
DUCKDB_TYPES = {"text": "VARCHAR", "varchar": "VARCHAR", "integer": "INTEGER", "int": "INTEGER", "bigint": "BIGINT",
                "double": "DOUBLE", "double precision": "DOUBLE", "float": "DOUBLE", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP", "date": "DATE"}


def contract_columns(model: str) -> list[tuple[str, str]]:
    """(column, data_type) of a mart as its enforced dbt contract declares them (dbt_project/models/marts/*.yml)."""
    for doc in (yaml.safe_load(f.read_text(encoding="utf-8")) for f in sorted(MARTS_DIR.glob("*.yml"))):
        for node in (doc or {}).get("models") or []:
            if node["name"] == model:
                return [(c["name"], c["data_type"]) for c in node["columns"]]
    raise KeyError(f"no dbt contract for {model} in {MARTS_DIR}")


def create_from_contract(con, model: str) -> None:
    # the breakdown keys default to the whole population, as in a source without a split
    cols = ", ".join(f'"{name}" {DUCKDB_TYPES[dtype.lower()]}'
                     + (" DEFAULT 'total'" if name in ("birth_region", "age_group") and not model.startswith("dim_") else "")
                     for name, dtype in contract_columns(model))
    con.execute(f"CREATE TABLE marts.{model} ({cols})")


def build_candidate(path: Path, *, fetched: datetime = FETCHED, mode: str = "replay") -> Path:
    """Write a small, valid candidate (schemas raw, seeds, staging, intermediate, marts) to `path`."""
    path = Path(path)
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        for s in ("raw", "seeds", "staging", "intermediate", "marts"):
            con.execute(f"CREATE SCHEMA {s}")
        con.execute("""CREATE TABLE raw.observations (source VARCHAR, source_ref VARCHAR, area_code VARCHAR,
            period VARCHAR, sex VARCHAR, value DOUBLE, status VARCHAR, dims VARCHAR, is_deleted BOOLEAN,
            batch_id VARCHAR, fetched_at TIMESTAMP)""")
        con.execute("""CREATE TABLE raw.batches (batch_id VARCHAR, source VARCHAR, unit VARCHAR, source_refs VARCHAR,
            mode VARCHAR, run_id VARCHAR, fetched_at TIMESTAMP, row_count BIGINT, responses VARCHAR, notes VARCHAR)""")
        facts = _fact_rows(fetched)
        src_ref = {b: r for b, (_, _, r) in BATCHES.items()}
        obs = []
        for f in facts:
            ind, area, period, _y, sex, value, status, _unit, source, batch, fa = f
            raw_area = {"01": "0001", "03": "0003"}.get(area, area) if source == "kolada" else area
            obs.append((source, src_ref[batch], raw_area, period, sex, value, status, "{}", False, batch, fa))
        con.executemany("INSERT INTO raw.observations VALUES (?,?,?,?,?,?,?,?,?,?,?)", obs)
        for b, (source, unit, ref) in BATCHES.items():
            n = sum(1 for o in obs if o[9] == b)
            con.execute("INSERT INTO raw.batches VALUES (?,?,?,?,?,?,?,?,?,?)",
                        [b, source, unit, f'["{ref}"]', mode, "run_fixture", fetched, n, "[]", "[]"])

        con.execute(f"CREATE TABLE seeds.indicator_catalog AS SELECT * FROM read_csv('{CATALOG_CSV}', all_varchar=true)")
        for model in MART_MODELS:  # the tables as the dbt contracts declare them (columns, order, types)
            create_from_contract(con, model)
        con.execute("""INSERT INTO marts.dim_indicator BY NAME SELECT indicator_id, indicator_name_sv, unit, source,
            source_ref, desired_direction, measure_type, goal_id, subgoal_id, origin,
            counts_in_followup = 'true' AS counts_in_followup FROM seeds.indicator_catalog""")
        con.executemany("INSERT INTO marts.dim_area (area_code, area_name, area_level, county_code, kolada_id, scb_code) "
                        "VALUES (?,?,?,?,?,?)", _area_rows())
        fct = []
        for ind, area, period, year, sex, value, status, unit, source, batch, fa in facts:
            monthly = "M" in period
            fct.append((ind, area, period, "month" if monthly else "year", year, int(period[5:]) if monthly else None,
                        sex, value, status, unit, source, src_ref[batch], area, False, None, 1, batch, fa))
        con.executemany("""INSERT INTO marts.fct_indicator_value (indicator_id, area_code, period, period_granularity,
            year, month, sex, value, status, unit, source, source_ref, source_area_code, is_derived, derivation,
            n_source_rows, batch_id, fetched_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", fct)
        con.execute("INSERT INTO marts.dim_sex (sex, sex_label_sv, sex_label_en, sort_order, is_total) VALUES "
                    "('K','Kvinnor','Women',1,false),('M','Män','Men',2,false),('T','Totalt','Total',3,true)")
        for dim in ("birth_region", "age_group"):
            con.execute(f"INSERT INTO marts.dim_{dim} BY NAME SELECT * FROM read_csv('{SEEDS_DIR / (dim + '.csv')}')")
        con.execute("""INSERT INTO marts.dim_period BY NAME SELECT DISTINCT period, period_granularity, year, month
            FROM marts.fct_indicator_value""")
        con.execute("""INSERT INTO marts.dim_goal BY NAME SELECT DISTINCT subgoal_id AS subgoal_key, goal_id, subgoal_id
            FROM seeds.indicator_catalog""")
        con.execute("""INSERT INTO marts.mart_gender_gap BY NAME
            SELECT indicator_id, area_code, year,
                   max(value) FILTER (WHERE sex = 'K') AS value_women,
                   max(value) FILTER (WHERE sex = 'M') AS value_men,
                   max(value) FILTER (WHERE sex = 'T') AS value_total,
                   value_women - value_men AS gap_women_minus_men,
                   value_women / nullif(value_men, 0) AS ratio_women_to_men,
                   100 * value_women / nullif(value_women + value_men, 0) AS women_share
            FROM marts.fct_indicator_value WHERE period NOT LIKE '%M%' GROUP BY ALL""")
        con.execute("""INSERT INTO marts.mart_goal_followup BY NAME
            SELECT i.subgoal_id AS subgoal_key, f.area_code, f.year, any_value(i.goal_id) AS goal_id,
                   count(DISTINCT f.indicator_id) AS n_indicators_with_data
            FROM marts.fct_indicator_value f JOIN marts.dim_indicator i USING (indicator_id) GROUP BY ALL""")
        con.execute("""INSERT INTO marts.mart_area_benchmark BY NAME
            SELECT f.indicator_id, f.area_code, f.year, f.sex, f.value
            FROM marts.fct_indicator_value f WHERE f.period_granularity = 'year'""")
    finally:
        con.close()
    return path


def mutate(path: Path, *sql: str) -> Path:
    """Apply SYNTHETIC damage to a fixture candidate (tests only)."""
    con = duckdb.connect(str(path))
    try:
        for s in sql:
            con.execute(s)
    finally:
        con.close()
    return path
