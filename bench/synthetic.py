"""SYNTHETIC benchmark data — generated in code, never published, labelled everywhere.

Shape (issue "Star schema and marts", Performance): every ingestible catalog indicator × areas × years × sexes
(K, M, T for value-by-sex indicators; T for single-value KPIs). National scale: 290 municipalities + 21 counties
+ the country. DeSO scale (issue #14): SCB series also at every RegSO and DeSO of SCB's code lists, each year on
the version SCB publishes it on (Kolada has no sub-municipal areas). Values are random numbers in a plausible range for the unit, so the gates' range checks pass; they mean
nothing. Every batch id starts with 'SYNTHETIC-' and raw.batches says so in its unit and notes.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.contract import OBSERVATION_COLUMNS
from jamstat.settings import REPO_ROOT, Settings
from jamstat.transform.candidate import BATCH_COLUMNS, connect_new_candidate

FIRST_YEAR, YEARS = 1996, 30
SEEDS = REPO_ROOT / "dbt_project" / "seeds"
LARGEST_CATEGORIES_DIM = "Yrke2012"  # dbt var largest_categories_dimension: 12 synthetic categories, top 10 ranked
COUNT_UNITS = "('count', 'count_part', 'count_whole')"  # summable synthetic units (see UNIT_RANGES)

# (low, high) per unit: keeps synthetic values inside the gates' plausibility ranges.
UNIT_RANGES = {"percent": (0, 100), "count": (0, 1_000_000), "SEK": (100_000, 600_000), "days": (0, 150),
               "index": (0, 100), "per_10k": (0, 500), "per_100k": (0, 2_000), "years": (70, 90),
               "minutes_per_day": (0, 300), "none": (0, 100),
               "count_part": (0, 400_000), "count_whole": (500_000, 1_000_000)}  # ratio parts (see refs below)


def _series(con) -> None:
    """Temp table refs: one synthetic series per ingestible indicator - its first ingest ref with no extra
    dimensions - or, for indicators built by indicator_series_map rules (sums, ratios, largest-categories gaps),
    one series per rule with dims that satisfy it, so the bench exercises those models too. `spec` is the catalog
    row that fetches an SCB series (an SCB row maps only to the spec that fetched it)."""
    con.execute(f"""
        CREATE TEMP TABLE catalog AS
        SELECT * FROM read_csv('{SEEDS / 'indicator_catalog.csv'}', all_varchar = true)
        WHERE source IN ('kolada', 'scb') AND coalesce(ingest_source_refs, '') <> ''""")
    con.execute(f"""
        CREATE TEMP TABLE rules AS
        SELECT * FROM read_csv('{SEEDS / 'indicator_series_map.csv'}', all_varchar = true)""")
    con.execute(f"""
        CREATE TEMP TABLE refs AS
        SELECT c.source, c.indicator_id AS spec,
               replace(trim(string_split(c.ingest_source_refs, ';')[1]), '/*', '/SYNTHETIC') AS source_ref,
               '{{}}' AS dims,
               c.unit, c.measure_type
        FROM catalog c
        WHERE c.indicator_id NOT IN (SELECT indicator_id FROM rules)
        UNION ALL
        SELECT m.source, m.indicator_id, replace(m.source_ref, '/*', '/SYNTHETIC'),  -- table-wide refs need a code
               CASE WHEN m.role IN ('rank_by', 'gap_of')
                    THEN '{{"{LARGEST_CATEGORIES_DIM}":"' || lpad(k.k::varchar, 4, '0') || '"}}'
                    WHEN m.dims_match = '*' THEN '{{}}'
                    WHEN NOT contains(m.dims_match, '%') THEN m.dims_match
                    -- a LIKE pattern: a leading % opens the object, a trailing one closes it (and its quote), an
                    -- inner one matches the empty string, e.g. %"Alder":"15-19%" -> {{"Alder":"15-19"}}
                    ELSE replace(regexp_replace(regexp_replace(m.dims_match, '^%', '{{'), '"?%$', '"}}'), '%', '')
                    END
                   AS dims,
               -- ratio parts: a series that is a numerator draws from a lower range than one that is only a
               -- denominator, so 100 * part / whole stays a plausible percentage (the gates check it)
               CASE WHEN bool_or(m.role = 'numerator') THEN 'count_part'
                    WHEN bool_or(m.role = 'denominator') THEN 'count_whole'
                    WHEN bool_or(m.role = 'rank_by') THEN 'count'
                    ELSE any_value(c.unit) END AS unit,
               any_value(c.measure_type) AS measure_type
        FROM rules m
        JOIN catalog c ON c.indicator_id = m.indicator_id
        CROSS JOIN range(1000, 1000 + CASE WHEN m.role IN ('rank_by', 'gap_of') THEN 12 ELSE 1 END) k(k)
        GROUP BY ALL""")


def _areas(con, deso: bool) -> None:
    """Temp table areas (source, area_code, level, municipality_code, regso_code, first_year, last_year, n_deso):
    Kolada's municipalities and regions; SCB's country, counties and municipalities, and with `deso` every RegSO
    and DeSO of SCB's code lists (the seeds scb_regso / scb_deso; SCB-sourced only: Kolada has no sub-municipal
    areas), each in its version's years; n_deso is the number of DeSO of the DeSO's municipality and version."""
    ref = SEEDS / "reference"
    con.execute(f"""
        CREATE TEMP TABLE areas AS
        SELECT 'kolada' AS source, id AS area_code, 'kolada' AS level, NULL::varchar AS municipality_code,
               NULL::varchar AS regso_code,
               NULL::int AS first_year, NULL::int AS last_year, NULL::int AS n_deso
        FROM read_csv('{ref / 'kolada_v3_municipality_from_rKolada_sysdata.csv'}', all_varchar = true)
        UNION ALL SELECT 'scb', '00', 'country', NULL, NULL, NULL, NULL, NULL
        UNION ALL SELECT 'scb', county_code, 'county', NULL, NULL, NULL, NULL, NULL
          FROM read_csv('{ref / 'swedish-geodata_counties.csv'}', all_varchar = true)
        UNION ALL SELECT 'scb', kommun_kod, 'municipality', kommun_kod, NULL, NULL, NULL, NULL
          FROM read_csv('{ref / 'kommuner_290_crosschecked.csv'}', all_varchar = true)""")
    if deso:
        # each area in the years SCB publishes on its version (the seeds' first_year / last_year)
        con.execute(f"""
            INSERT INTO areas
            SELECT 'scb', s.code, s.level, s.municipality_code, s.regso_code,
                   nullif(s.first_year, '')::int, nullif(s.last_year, '')::int,
                   count(*) FILTER (WHERE s.level = 'deso') OVER (PARTITION BY s.municipality_code, s.version)
            FROM (SELECT deso_code AS code, 'deso' AS level, municipality_code, regso_code, deso_version AS version,
                         first_year, last_year
                  FROM read_csv('{ref / 'scb_deso.csv'}', all_varchar = true)
                  UNION ALL
                  SELECT regso_code, 'regso', municipality_code, NULL, regso_version, first_year, last_year
                  FROM read_csv('{ref / 'scb_regso.csv'}', all_varchar = true)) s""")


def generate(candidate: Path, seed: float = 0.42, years: int = YEARS, *, deso: bool = False) -> dict:
    """Write raw.observations + raw.batches of a fresh candidate file with SYNTHETIC data (national scale, or
    with `deso` also every SCB series at RegSO and DeSO level)."""
    candidate.parent.mkdir(parents=True, exist_ok=True)
    candidate.unlink(missing_ok=True)
    ranges = ", ".join(f"('{u}', {lo}, {hi})" for u, (lo, hi) in UNIT_RANGES.items())
    obs_ddl = ", ".join(f"{c} {t}" for c, t in OBSERVATION_COLUMNS.items())
    batch_id = f"SYNTHETIC-{'deso' if deso else 'national'}-benchmark"
    now = datetime.now(UTC).replace(tzinfo=None)
    with connect_new_candidate(candidate) as con:   # the pipeline's candidate format, as prepare_candidate makes it
        con.execute(f"SELECT setseed({seed})")
        con.execute("CREATE SCHEMA raw")
        con.execute(f"CREATE TABLE raw.observations ({obs_ddl})")
        con.execute(f"CREATE TABLE raw.batches ({', '.join(f'{c} {t}' for c, t in BATCH_COLUMNS.items())})")
        _series(con)
        _areas(con, deso)
        # one batch per Kolada load and per SCB spec: an SCB row maps only to the catalog row that fetched it
        con.execute(f"""
            INSERT INTO raw.observations
            SELECT r.source, r.source_ref, a.area_code, (y.year)::varchar AS period, s.sex,
                   round(u.lo + random() * (u.hi - u.lo), 2) AS value, NULL AS status, r.dims,
                   false AS is_deleted,
                   '{batch_id}-' || r.source || CASE WHEN r.source = 'scb' THEN '-' || r.spec ELSE '' END AS batch_id,
                   TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}' AS fetched_at
            FROM refs r
            CROSS JOIN range({FIRST_YEAR + YEARS - years}, {FIRST_YEAR + YEARS}) y(year)
            JOIN areas a ON a.source = r.source AND y.year BETWEEN coalesce(a.first_year, y.year)
                                                              AND coalesce(a.last_year, y.year)
            JOIN (VALUES ('K'), ('M'), ('T')) s(sex) ON r.measure_type = 'value_by_sex' OR s.sex = 'T'
            JOIN (VALUES {ranges}) u(unit, lo, hi) ON u.unit = r.unit
            WHERE NOT ({deso} AND r.unit IN {COUNT_UNITS} AND a.level IN ('municipality', 'regso', 'deso'))""")
        if deso:
            _sub_municipal_counts(con, batch_id, now, ranges, range(FIRST_YEAR + YEARS - years, FIRST_YEAR + YEARS))
        _batches(con, now)
        n = con.execute("SELECT count(*) FROM raw.observations").fetchone()[0]
        n_refs = con.execute("SELECT count(*) FROM catalog").fetchone()[0]
        n_areas = dict(con.execute("SELECT CASE WHEN level IN ('deso', 'regso') THEN level ELSE source END || "
                                   "CASE WHEN last_year IS NOT NULL THEN ' to ' || last_year WHEN first_year IS NOT NULL "
                                   "THEN ' from ' || first_year ELSE '' END, count(*) FROM areas GROUP BY 1").fetchall())
    return {"rows": n, "indicators": n_refs, "years": years, "areas": n_areas, "candidate": str(candidate)}


def _sub_municipal_counts(con, batch_id: str, now: datetime, ranges: str, years: range) -> None:
    """Count series at DeSO, RegSO and municipality level that add up as SCB's do (the dbt test
    assert_subarea_counts_roll_up_to_municipality checks it): random whole DeSO counts, scaled by the number of DeSO
    in the municipality so sums stay in the unit's range, and each RegSO and municipality the sum of its DeSO."""
    con.execute(f"""
        INSERT INTO raw.observations
        WITH deso AS MATERIALIZED (
            SELECT r.source, r.source_ref, r.dims, r.spec, a.area_code, a.regso_code, a.municipality_code, y.year,
                   s.sex, round((u.lo + random() * (u.hi - u.lo)) / a.n_deso, 0) AS value
            FROM refs r
            CROSS JOIN range({years.start}, {years.stop}) y(year)
            JOIN areas a ON a.source = r.source AND a.level = 'deso'
                        AND y.year BETWEEN coalesce(a.first_year, y.year) AND coalesce(a.last_year, y.year)
            JOIN (VALUES ('K'), ('M'), ('T')) s(sex) ON r.measure_type = 'value_by_sex' OR s.sex = 'T'
            JOIN (VALUES {ranges}) u(unit, lo, hi) ON u.unit = r.unit
            WHERE r.unit IN {COUNT_UNITS}
        ),
        all_levels AS (
            SELECT source, source_ref, dims, spec, area_code, year, sex, value FROM deso
            UNION ALL
            SELECT source, source_ref, dims, spec, regso_code, year, sex, sum(value) FROM deso GROUP BY ALL
            UNION ALL
            SELECT source, source_ref, dims, spec, municipality_code, year, sex, sum(value) FROM deso GROUP BY ALL
        )
        SELECT source, source_ref, area_code, year::varchar, sex, value, NULL, dims, false,
               '{batch_id}-' || source || '-' || spec, TIMESTAMP '{now:%Y-%m-%d %H:%M:%S}'
        FROM all_levels""")


def _batches(con, now: datetime) -> None:
    """One raw.batches row per synthetic batch; an SCB batch's unit names its spec as ingest does
    ('scb:<spec>:<table>:<chunk>'), so dbt maps its rows to that catalog row."""
    for batch_id, source, rows in con.execute(
            "SELECT batch_id, any_value(source), count(*) FROM raw.observations GROUP BY 1 ORDER BY 1").fetchall():
        spec = batch_id.rsplit(f"-{source}-", 1)[1] if source == "scb" else ""
        unit = f"scb:{spec}:SYNTHETIC:bench" if source == "scb" else "SYNTHETIC benchmark data (bench/synthetic.py)"
        con.execute("INSERT INTO raw.batches (batch_id, source, unit, source_refs, mode, run_id, fetched_at, "
                    "row_count, responses, notes) VALUES (?, ?, ?, '[]', 'synthetic', 'bench', ?, ?, '[]', ?)", [
            batch_id, source, unit, now, rows,
            json.dumps(["SYNTHETIC: random values for benchmarking only (bench/synthetic.py); never published"])])


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().warehouse_dir / "bench" / "national.duckdb"
    print(generate(target, deso="--deso" in sys.argv))
