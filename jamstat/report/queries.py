"""Every query that feeds the report, against the PUBLISHED warehouse (opened read-only, never the candidate).

One module on purpose: when the marts change (issue #12 adds dim_indicator.origin / counts_in_followup, English
goal names, the overall goal and new follow-up statuses) this is where the report adapts. Columns that may not
exist yet are read when present: `SELECT *` plus `optional()`."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

COUNTRY = "00"


class ReportDataError(RuntimeError):
    """The published warehouse cannot feed the report; the message says what is missing and what to do."""


@dataclass
class ReportData:
    """What one county's report shows, loaded in one read-only pass over the published marts."""

    county: dict
    country: dict
    municipalities: list[dict]
    goals: list[dict]
    indicators: list[dict]
    series: list[dict]            # mart_gender_gap: the country, the county and its municipalities, every year
    followup: list[dict]          # mart_goal_followup: the county and its municipalities
    subgoal_statuses: dict        # subgoal_key -> set of followup_status found for any area
    missing_status: dict          # (indicator_id, area_code, year, sex) -> source status of a null value
    provenance: dict              # indicator_id -> batches, fetched_at range, number of values
    latest_months: list[dict]     # monthly-only indicators: the latest month per area and sex
    publication: dict | None = None


def optional(row: dict, *names: str, default=None):
    """The first of `names` present and non-null in a row (columns added by later mart versions)."""
    for name in names:
        value = row.get(name)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return value
    return default


def _records(con, sql: str, params: list | None = None) -> list[dict]:
    """Rows as dicts; SQL NULL is None (no pandas: NaN would blur missing and zero-division)."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'").fetchall()}


def latest_publication(con) -> dict | None:
    """The newest row of marts.publications with its JSON columns decoded; None when the table is absent."""
    if "publications" not in _tables(con):
        return None
    rows = _records(con, "SELECT * FROM marts.publications ORDER BY published_at DESC LIMIT 1")
    if not rows:
        return None
    pub = rows[0]
    for key, empty in (("source_modes", []), ("row_counts", {}), ("gate_results", [])):
        pub[key] = json.loads(pub[key]) if pub.get(key) else empty
    return pub


def county_areas(con, county: str) -> tuple[dict, dict, list[dict]]:
    """The county, the country and the county's municipalities (by name)."""
    county_rows = _records(con, "SELECT area_code, area_name FROM marts.dim_area "
                                "WHERE area_code = ? AND area_level = 'county'", [county])
    if not county_rows:
        known = ", ".join(f"{r['area_code']} {r['area_name']}" for r in _records(
            con, "SELECT area_code, area_name FROM marts.dim_area WHERE area_level = 'county' ORDER BY 1"))
        raise ReportDataError(f"county {county!r} is not in marts.dim_area; choose one of: {known} "
                              "(JAMSTAT_REPORT_COUNTY or `make report COUNTY=..`)")
    country = _records(con, "SELECT area_code, area_name FROM marts.dim_area WHERE area_code = ?", [COUNTRY])
    municipalities = _records(con, "SELECT area_code, area_name FROM marts.dim_area WHERE county_code = ? "
                                   "AND area_level = 'municipality' ORDER BY area_name, area_code", [county])
    return county_rows[0], (country[0] if country else {"area_code": COUNTRY, "area_name": "Riket"}), municipalities


# The report follows the whole population: birth-region and age-group breakdowns are for analysts' queries.
WHOLE_POPULATION = "birth_region = 'total' AND age_group = 'total'"


def series(con, areas: list[str]) -> list[dict]:
    """mart_gender_gap for the given areas, every year (the charts, tables and rankings read it)."""
    return _records(con, f"SELECT * FROM marts.mart_gender_gap WHERE area_code IN (SELECT unnest(?)) "
                         f"AND {WHOLE_POPULATION} ORDER BY indicator_id, area_code, year", [areas])


def followup(con, areas: list[str]) -> list[dict]:
    return _records(con, f"SELECT * FROM marts.mart_goal_followup WHERE area_code IN (SELECT unnest(?)) "
                         f"AND {WHOLE_POPULATION} ORDER BY subgoal_key, area_code, year", [areas])


def subgoal_statuses(con) -> dict[str, set[str]]:
    """Which follow-up statuses each sub-goal has anywhere: `no_public_source` and (after #12)
    `public_source_not_ingested` are properties of the sub-goal, the same for every area."""
    out: dict[str, set[str]] = {}
    for key, status in con.execute("SELECT DISTINCT subgoal_key, followup_status FROM marts.mart_goal_followup "
                                   f"WHERE {WHOLE_POPULATION}").fetchall():
        out.setdefault(key, set()).add(status)
    return out


def missing_statuses(con, areas: list[str]) -> dict[tuple, str]:
    """Source statuses ('..', '.', …) of the null values, so a missing value is shown with its reason."""
    rows = con.execute(f"""
        SELECT indicator_id, area_code, year, sex, status FROM marts.fct_indicator_value
        WHERE value IS NULL AND status IS NOT NULL AND period_granularity = 'year' AND {WHOLE_POPULATION}
          AND area_code IN (SELECT unnest(?))""", [areas]).fetchall()
    return {(i, a, int(y), s): st for i, a, y, s, st in rows}


def provenance(con, areas: list[str]) -> dict[str, dict]:
    """Per indicator: the batches behind the values in scope, when they were fetched, how many values."""
    rows = _records(con, f"""
        SELECT indicator_id, count(*) AS n_values, count(value) AS n_non_null,
               list(DISTINCT batch_id ORDER BY batch_id) AS batches,
               min(fetched_at) AS fetched_from, max(fetched_at) AS fetched_to,
               min(period) AS first_period, max(period) AS last_period, bool_or(is_derived) AS any_derived
        FROM marts.fct_indicator_value WHERE area_code IN (SELECT unnest(?)) AND {WHOLE_POPULATION}
        GROUP BY indicator_id""", [areas])
    return {r["indicator_id"]: r for r in rows}


def latest_months(con, areas: list[str]) -> list[dict]:
    """Indicators published only by month (e.g. population): their latest month per area and sex."""
    return _records(con, f"""
        WITH monthly_only AS (
            SELECT indicator_id FROM marts.fct_indicator_value GROUP BY indicator_id
            HAVING bool_and(period_granularity = 'month'))
        SELECT indicator_id, area_code, period, sex, value, status FROM marts.fct_indicator_value
        WHERE indicator_id IN (SELECT indicator_id FROM monthly_only) AND area_code IN (SELECT unnest(?))
          AND {WHOLE_POPULATION}
        QUALIFY period = max(period) OVER (PARTITION BY indicator_id, area_code)
        ORDER BY indicator_id, area_code, sex""", [areas])


def load(published: Path, county: str) -> ReportData:
    """One read-only pass over the published warehouse for one county's report."""
    import duckdb

    if not published.exists():
        raise ReportDataError(f"no published warehouse at {published}: run `make run` first (it publishes, "
                              "then renders the report)")
    with duckdb.connect(str(published), read_only=True) as con:
        missing = {"dim_area", "dim_goal", "dim_indicator", "fct_indicator_value", "mart_gender_gap",
                   "mart_goal_followup"} - _tables(con)
        if missing:
            raise ReportDataError(f"{published} lacks marts {sorted(missing)}: it is not a jamstat publication")
        county_row, country, municipalities = county_areas(con, county)
        scope = [country["area_code"], county_row["area_code"], *(m["area_code"] for m in municipalities)]
        return ReportData(
            county=county_row, country=country, municipalities=municipalities,
            goals=_records(con, "SELECT * FROM marts.dim_goal ORDER BY goal_id, subgoal_key"),
            indicators=_records(con, "SELECT * FROM marts.dim_indicator ORDER BY subgoal_key, indicator_id"),
            series=series(con, scope), followup=followup(con, scope[1:]),
            subgoal_statuses=subgoal_statuses(con), missing_status=missing_statuses(con, scope),
            provenance=provenance(con, scope), latest_months=latest_months(con, scope),
            publication=latest_publication(con))
