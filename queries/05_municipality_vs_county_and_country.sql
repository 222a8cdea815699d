-- 05  Hur står sig en kommun mot sitt län och riket i alla sina indikatorer (senaste året för varje)?
--     How does a municipality compare with its county and the country across all its indicators (latest year each)?
--
-- Goal:      all goals; one row per indicator and sex, with the indicator's goal / sub-goal
-- Source:    marts.mart_area_benchmark (municipality vs county vs country), marts.dim_indicator
--
-- PARAMETER: edit `params` below — area_code (default 0180 Stockholm; must be a municipality).
--
-- For each indicator the municipality has a value for, its latest such year; one row per sex published
-- (K women, M men, T total; single-value KPIs such as a men's share only have T).
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal,
-- ratios to 2, for presentation; the marts keep full precision)
--   goal_id, subgoal_key           strategy goal / sub-goal of the indicator
--   indicator_id, source_ref       catalog key and the source series (Kolada KPI id or SCB table/ContentsCode)
--   indicator_name_sv              indicator name (Swedish)
--   value_semantics                by_sex (separate K/M/T values) | men_share / women_share (T is a share in percent) | ...
--   unit                           unit of value, county_value, country_value, diff_*
--   year, sex                      latest year with a value for this municipality and indicator; K | M | T
--   value                          the municipality's value
--   county_value                   the county's value: as published, or for count units only rebuilt as the sum
--                                  of ALL its municipalities (never an average of rates); see county_value_basis
--   county_value_basis             published | rebuilt_from_municipal_counts | null (no county value)
--   country_value                  Riket (00)
--   diff_to_county, diff_to_country   value minus county / country, in the unit
--   ratio_to_county, ratio_to_country value / county (country); null on a missing or zero denominator
--   rank_in_county_desc            1 = highest value among the county's municipalities with a value
--   n_municipalities_with_value, n_municipalities_in_county   how complete the county comparison is
--   desired_direction              parity | gap_to_zero | higher_is_better | lower_is_better | context: whether a
--                                  higher value is good depends on this (and on sex), so read diffs with it
--   note                           null on an answer; when there is none, the only row, saying why
--
-- Caveats
--   * "Latest year" is per indicator, so rows can be from different years; compare years before comparing values.
--   * Survey-based indicators (e.g. Brå NTU, SCB AKU; see dim_indicator.notes/series_breaks) carry sampling
--     error; small differences to the county are not significant. Register data (Kolada/FK, SCB registers)
--     do not, but small municipalities swing from year to year.
--   * Replay data, 0180: 4 rows — N21704 (home care 80+) 2023 K 25.688929 / M 15.778849 / T 21.88749 and
--     N00945 (VAB men's share) 2020 T 40.8. county_value and country_value are null: no county or country
--     value for these KPIs is recorded.
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/05_municipality_vs_county_and_country.sql
with params as (
    select '0180' as area_code   -- <<< PARAMETER: municipality code (0180 Stockholm, 0114 Upplands Väsby, ...)
),
bench as (
    select b.*
    from marts.mart_area_benchmark as b
    inner join params as p on p.area_code = b.area_code
    where b.birth_region = 'total' and b.age_group = 'total'   -- the whole population, not a breakdown
),
latest as (
    select indicator_id, max(year) as year
    from bench
    where value is not null
    group by indicator_id
),
answer as (
    select
        i.indicator_name_sv,
        b.area_name,
        b.year,
        b.sex,
        cast(b.value as numeric(18, 1))            as value,
        cast(b.county_value as numeric(18, 1))     as county_value,
        cast(b.country_value as numeric(18, 1))    as country_value,
        cast(b.diff_to_county as numeric(18, 1))   as diff_to_county,
        cast(b.diff_to_country as numeric(18, 1))  as diff_to_country,
        b.rank_in_county_desc,
        b.unit,
        i.desired_direction,
        i.goal_id,
        i.subgoal_key,
        b.indicator_id,
        i.source_ref,
        i.value_semantics,
        b.area_code,
        b.county_code,
        b.county_value_basis,
        cast(b.ratio_to_county as numeric(18, 2))  as ratio_to_county,
        cast(b.ratio_to_country as numeric(18, 2)) as ratio_to_country,
        b.n_municipalities_with_value,
        b.n_municipalities_in_county,
        cast(null as varchar)                      as note,
        s.sort_order
    from bench as b
    inner join latest as l on l.indicator_id = b.indicator_id and l.year = b.year
    inner join marts.dim_indicator as i on i.indicator_id = b.indicator_id
    inner join marts.dim_sex as s on s.sex = b.sex
)
select
    indicator_name_sv, area_name, year, sex, value, county_value, country_value, diff_to_county, diff_to_country,
    rank_in_county_desc, unit, desired_direction, goal_id, subgoal_key, indicator_id, source_ref, value_semantics,
    area_code, county_code, county_value_basis, ratio_to_county, ratio_to_country, n_municipalities_with_value,
    n_municipalities_in_county, note
from (
    select * from answer
    union all
    select
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        p.area_code, null, null, null, null, null, null,
        case
            when not exists (select 1 from marts.dim_area as a
                             where a.area_code = p.area_code and a.area_level = 'municipality') then
                p.area_code || ' is not a municipality code in marts.dim_area: check the parameter'
            else 'no indicator value for municipality ' || p.area_code || ' in this warehouse: replay data hold few '
                 || 'areas (0180 has some); a live run (JAMSTAT_MODE=live make run) fetches every municipality'
        end,
        null
    from params as p
    where not exists (select 1 from answer)
) as rows_out
order by goal_id, subgoal_key, indicator_id, sort_order;
