"""The benchmarks behind `make bench`. Each returns a flat dict of named figures (and may print detail)."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report_figures import report
from jamstat.settings import REPO_ROOT, Settings

RECORDINGS = REPO_ROOT / "ingest" / "replay" / "recordings"


def _timeit(fn, *, min_seconds: float = 1.0) -> tuple[float, int]:
    """Seconds per call (best of repeated batches) and the number of calls made."""
    fn()  # warm-up
    calls, best = 0, float("inf")
    deadline = time.perf_counter() + min_seconds
    while time.perf_counter() < deadline or calls < 5:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        calls += 1
    return best, calls


def make_run() -> dict:
    """Warm `make run` in replay mode: one run to warm up, then the timed one."""
    env = {**os.environ, "JAMSTAT_MODE": "replay"}
    cmd = [sys.executable, "-m", "tools.make_run"]
    subprocess.run(cmd, env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    started = time.monotonic()
    subprocess.run(cmd, env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    return {"make_run_s": round(time.monotonic() - started, 2)}


def _real_payloads() -> tuple[list[dict], list[dict]]:
    from ingest.http import decode_json

    jsonstat = [decode_json(p.read_bytes(), str(p)) for p in sorted(RECORDINGS.glob("scb/*.json"))]
    jsonstat = [d for d in jsonstat if isinstance(d, dict) and d.get("class") == "dataset" and d.get("value")]
    kolada = []
    for p in sorted(RECORDINGS.glob("kolada/**/*data*.json")):
        doc = decode_json(p.read_bytes(), str(p))
        if isinstance(doc, dict) and doc.get("values") and "municipality" in doc["values"][0]:
            kolada.append(doc)
    return jsonstat, kolada


def _pandas_baseline_jsonstat(doc: dict):
    """Plain pandas: expand the cube to records (row-major, last dimension fastest) and json_normalize them."""
    import pandas as pd

    ids = doc["id"]
    cats = [list(doc["dimension"][d]["category"]["index"]) if isinstance(doc["dimension"][d]["category"]["index"], dict)
            else doc["dimension"][d]["category"]["index"] for d in ids]
    values = doc["value"]
    status = doc.get("status") or {}
    records = []
    for i, combo in enumerate(itertools.product(*cats)):
        rec = dict(zip(ids, combo, strict=True))
        rec["value"] = values[i] if isinstance(values, list) else values.get(str(i))
        rec["status"] = status.get(str(i)) if isinstance(status, dict) else (status[i] if status else None)
        records.append(rec)
    return pd.json_normalize(records)


def _pandas_baseline_kolada(doc: dict):
    import pandas as pd

    return pd.json_normalize(doc["values"], record_path="values", meta=["kpi", "period", "municipality"])


def normalize_speed() -> dict:
    """Values per second: the project's normalisers vs plain pandas.json_normalize on the same real payloads."""
    from ingest.sources import kolada, scb

    jsonstat, kolada_docs = _real_payloads()
    n_values = sum(len(d["value"]) for d in jsonstat) + sum(
        len(item["values"]) for d in kolada_docs for item in d["values"])

    def ours():  # the path the ingest units use
        for d in jsonstat:
            scb.normalize_payload_arrow(d)
        for d in kolada_docs:
            kolada.normalize_arrow(d["values"])

    def baseline():
        for d in jsonstat:
            _pandas_baseline_jsonstat(d)
        for d in kolada_docs:
            _pandas_baseline_kolada(d)

    # Same rows out of both paths, or the comparison means nothing.
    assert sum(scb.normalize_payload_arrow(d)[0].num_rows for d in jsonstat) == sum(
        len(_pandas_baseline_jsonstat(d)) for d in jsonstat)
    assert sum(kolada.normalize_arrow(d["values"]).num_rows for d in kolada_docs) == sum(
        len(_pandas_baseline_kolada(d)) for d in kolada_docs)
    ours_s, _ = _timeit(ours)
    base_s, _ = _timeit(baseline)
    print(f"    {len(jsonstat)} json-stat2 + {len(kolada_docs)} Kolada real payloads, {n_values:,} values per pass")
    return {"normalize_values_per_s": round(n_values / ours_s),
            "normalize_baseline_values_per_s": round(n_values / base_s),
            "normalize_speedup_vs_pandas": round(base_s / ours_s, 2)}


def noop_refresh() -> dict:
    """The whole catalog, replay mode, a second time: every unit is unchanged or unrecorded, nothing is written."""
    from ingest.replay.server import replay_server
    from jamstat.orchestration import ingest_tasks as tasks

    with tempfile.TemporaryDirectory() as tmp:
        env = {"JAMSTAT_DATA_DIR": f"{tmp}/data", "JAMSTAT_WAREHOUSE_DIR": f"{tmp}/wh", "JAMSTAT_MODE": "replay"}
        old = {k: os.environ.get(k) for k in [*env, "JAMSTAT_REPLAY_URL"]}
        os.environ.update(env)
        try:
            with replay_server() as url:
                os.environ["JAMSTAT_REPLAY_URL"] = url
                units = [(s, u) for s in ("kolada", "scb") for u in tasks.plan(s)]

                def refresh():
                    return [tasks.ingest_unit(s, u, {"mode": "replay"}, "bench")["status"] for s, u in units]

                first = refresh()
                batches = sorted(p.name for p in Path(tmp, "data", "batches").rglob("*"))
                t0 = time.perf_counter()
                second = refresh()
                elapsed = time.perf_counter() - t0
                assert sorted(p.name for p in Path(tmp, "data", "batches").rglob("*")) == batches, "no-op wrote"
        finally:
            for k, v in old.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    print(f"    {len(units)} units; first pass {dict(_count(first))}; second pass {dict(_count(second))}")
    return {"noop_refresh_s": round(elapsed, 2), "noop_refresh_units": len(units)}


def _count(statuses):
    out: dict[str, int] = {}
    for s in statuses:
        out[s] = out.get(s, 0) + 1
    return out


def national_scale() -> dict:
    """SYNTHETIC national-scale data: dbt build of every model, the gates, and typical analyst queries."""
    return _national(years=30, suffix="")


def national_scale_3m() -> dict:
    """The issue sizes its targets at ≈3 M values. With every ingestible catalog series and series-map rule
    (birth-region and age breakdowns included) that takes 33 SYNTHETIC years, all within the plausible period
    range the dbt tests enforce (var plausible_first_year). Same models, same gates."""
    return _national(years=33, suffix="_3m")


NATIONAL_QUERIES = {
    "one area's gaps over time": "SELECT indicator_id, year, value_women, value_men, gap_women_minus_men "
                                 "FROM marts.mart_gender_gap WHERE area_code = '0180' ORDER BY indicator_id, year",
    "all municipalities, one indicator and year": "SELECT area_code, value_women, value_men, ratio_women_to_men "
                                                  "FROM marts.mart_gender_gap WHERE indicator_id = "
                                                  "'parental_benefit_days_per_recipient' AND year = 2020",
    "municipality vs county vs country": "SELECT * FROM marts.mart_area_benchmark WHERE area_code = '0180' "
                                         "AND year = 2020",
}


def _national(years: int, suffix: str) -> dict:
    from bench import scale, synthetic

    work = Settings.from_env().warehouse_dir / "bench"
    candidate = work / "national.duckdb"
    generated = synthetic.generate(candidate, years=years)
    print(f"    SYNTHETIC raw.observations: {generated['rows']:,} rows "
          f"({generated['indicators']} ingestible indicators x 312 areas x {generated['years']} years x sexes)")
    built = scale.build(candidate, work / "dbt_target")
    dbt, spent, floor_s = built["dbt"], built["spent"], built["floor_s"]
    gates_s = scale.gates(candidate)
    figures = {"national_synthetic_rows": generated["rows"],
               "national_fct_rows": next(r for n, r, _ in built["per_model"] if n == "fct_indicator_value"),
               "dbt_build_national_s": dbt.elapsed_s, "gates_national_s": round(gates_s, 2),
               "gates_to_dbt_build_ratio": round(gates_s / dbt.elapsed_s, 2),
               "analyst_query_max_ms": scale.analyst_queries_ms(candidate, NATIONAL_QUERIES),
               "sql_floor_s": round(floor_s, 2), "dbt_vs_sql_floor_ratio": round(dbt.elapsed_s / floor_s, 2),
               "dbt_models_s": round(spent["model"], 2), "dbt_tests_s": round(spent["test"] + spent["unit_test"], 2),
               "dbt_seeds_s": round(spent["seed"], 2)}
    return {k + suffix: v for k, v in figures.items()}


DESO_YEARS = 21              # SYNTHETIC years (2005-2025) that take the DeSO shape past 40 M raw values
DESO_MEMORY_LIMIT = "5GB"    # DuckDB memory_limit for the build: it spills beyond it; 6GB peaked at 8.1 GB RSS
DESO_QUERIES = {
    "employment gap per RegSO in one municipality, one year":
        "SELECT g.area_code, g.value_women, g.value_men, g.gap_women_minus_men FROM marts.mart_gender_gap g "
        "JOIN marts.dim_area a ON a.area_code = g.area_code WHERE a.area_level = 'regso' "
        "AND a.municipality_code = '0180' AND g.indicator_id = 'employment_rate_deso_regso' AND g.year = 2020",
    "one DeSO's gaps over time": "SELECT indicator_id, year, value_women, value_men, gap_women_minus_men "
                                 "FROM marts.mart_gender_gap WHERE area_code = '{deso}' ORDER BY indicator_id, year",
    "all DeSO of a municipality for one indicator": "SELECT g.area_code, g.year, g.value_women, g.value_men "
                                                    "FROM marts.mart_gender_gap g JOIN marts.dim_area a "
                                                    "ON a.area_code = g.area_code WHERE a.area_level = 'deso' "
                                                    "AND a.municipality_code = '0180' "
                                                    "AND g.indicator_id = 'employment_rate_deso_regso'",
}


def deso_scale() -> dict:
    """Issue #14: SYNTHETIC SCB series at every DeSO and RegSO as well as the country, counties and municipalities
    (Kolada series at Kolada's areas only), DESO_YEARS years: the same models and gates as the national case."""
    import duckdb

    from bench import scale, synthetic

    work = Settings.from_env().warehouse_dir / "bench"
    candidate = work / "deso.duckdb"
    generated = synthetic.generate(candidate, years=DESO_YEARS, deso=True)
    areas = generated["areas"]
    print(f"    SYNTHETIC raw.observations: {generated['rows']:,} rows ({generated['indicators']} ingestible indicators "
          f"x {generated['years']} years x sexes (x birth regions where a series splits); SCB series at the country, "
          f"21 counties, 290 municipalities and every DeSO and RegSO of the version in use that year "
          f"({areas['deso to 2023']:,} DeSO 2018 + {areas['regso to 2023']:,} RegSO 2020 up to 2023, "
          f"{areas['deso from 2024']:,} DeSO 2025 + {areas['regso from 2024']:,} RegSO 2025 from 2024); "
          f"Kolada series at Kolada's {areas['kolada']} areas")
    built = scale.build(candidate, work / "dbt_target_deso", memory_limit=DESO_MEMORY_LIMIT)
    dbt, spent, floor_s = built["dbt"], built["spent"], built["floor_s"]
    rest = dbt.elapsed_s - floor_s
    print(f"    dbt build vs SQL floor: {dbt.elapsed_s:.1f} s vs {floor_s:.1f} s; the {rest:.1f} s more are data and "
          f"unit tests ({spent['test'] + spent['unit_test']:.1f} s node time, partly in parallel with models on dbt's "
          f"2 threads), dbt start-up and parsing ({built['startup_s']:.1f} s) and seeds ({spent['seed']:.1f} s)")
    gates_s = scale.gates(candidate)
    with duckdb.connect(str(candidate), read_only=True) as con:
        deso = con.execute("SELECT min(area_code) FROM marts.dim_area WHERE area_level = 'deso' "
                           "AND municipality_code = '0180'").fetchone()[0]
    queries = {name: sql.replace("{deso}", str(deso)) for name, sql in DESO_QUERIES.items()}
    return {"deso_synthetic_rows": generated["rows"],
            "deso_fct_rows": next(r for n, r, _ in built["per_model"] if n == "fct_indicator_value"),
            "dbt_build_deso_s": dbt.elapsed_s,
            "gates_deso_s": round(gates_s, 2),
            "dbt_build_deso_peak_rss_gb": built["peak_rss_gb"],
            "sql_floor_deso_s": round(floor_s, 2), "dbt_vs_sql_floor_ratio_deso": round(dbt.elapsed_s / floor_s, 2),
            "dbt_models_deso_s": round(spent["model"], 2),
            "dbt_tests_deso_s": round(spent["test"] + spent["unit_test"], 2),
            "analyst_query_max_ms_deso": scale.analyst_queries_ms(candidate, queries)}


ALL = [normalize_speed, noop_refresh, national_scale, national_scale_3m, deso_scale, report, make_run]
