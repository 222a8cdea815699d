-- 09  Sysselsättningsgapet per RegSO i Stockholms stad, senaste året
--     The employment gap per RegSO (regional statistical area) in Stockholm city, latest year
--
-- Goal:      2  Kvinnor och män har samma möjligheter till ekonomisk självständighet (sub-goal 2.3: lika hög
--            sysselsättning ... riket, länet, kommuner, stadsdelar)
-- Indicator: employment_rate_deso_regso - SCB ArRegDesoStatusN (BAS): 100 * employed / population 20-64, by sex,
--            from counts, per RegSO and DeSO as SCB publishes them.
--
-- PARAMETERS: edit `params` below - municipality_code (default 0180 Stockholm; any municipality) and area_level
-- (regso, or deso for the finer areas).
--
-- One row per area of the municipality at the latest year with a value there, largest gap first. RegSO and DeSO
-- come in two SCB versions (RegSO 2020 / DeSO 2018 up to 2023, RegSO 2025 / DeSO 2025 from 2024); the latest
-- year's version is the one shown, and area_version says which.
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal
-- for presentation; the marts keep full precision)
--   area_name                      SCB's RegSO name (a DeSO: its code and its RegSO's name)
--   year                           latest year with a value in the municipality at that level
--   value_women, value_men         employment rate of women / men 20-64 in the area, percent
--   gap_women_minus_men            value_women - value_men, percentage points
--   women_pct_of_men               100 * value_women / value_men
--   is_at_parity                   women's rate within the indicator's tolerance of men's (mart_gender_gap)
--   rank_largest_gap               1 = the largest gap in either direction
--   municipality_gap               the same gap for the whole municipality, same year
--   gap_diff_to_municipality       gap_women_minus_men - municipality_gap
--   area_version                   RegSO 2025, DeSO 2025, ...
--   area_code                      SCB's code (0180R001_RegSO2025, ...)
--   note                           null on an answer; when there is none, the only row, saying why
--
-- Caveats
--   * Small areas: a RegSO has 650 - 23,000 residents, a DeSO 700 - 2,700; a few persons move a rate by points.
--   * Versions are never compared silently: dim_area.same_area_code names the same area in the other version
--     only where SCB's change log shows it unchanged.
--   * On the recorded (replay) data this returns ONE row whose note says why there is no answer: no SCB response
--     at RegSO or DeSO level is recorded. A live run (JAMSTAT_MODE=live make run) fetches them.
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/09_employment_gap_per_regso_stockholm.sql
with params as (
    select
        '0180'                       as municipality_code,  -- <<< PARAMETER: municipality (0180 Stockholm)
        'regso'                      as area_level,         -- <<< PARAMETER: regso | deso
        'employment_rate_deso_regso' as indicator_id
),
rows_in_scope as (
    select g.*, a.area_name, a.area_version
    from marts.mart_gender_gap as g
    inner join marts.dim_area as a on a.area_code = g.area_code
    inner join params as p
        on p.municipality_code = a.municipality_code and p.area_level = a.area_level
       and p.indicator_id = g.indicator_id
    where g.birth_region = 'total' and g.age_group = 'total'
      and (g.value_women is not null or g.value_men is not null)
),
latest as (
    select max(year) as year from rows_in_scope
),
answer as (
    select
        g.area_name,
        g.year,
        cast(g.value_women as numeric(18, 1))                             as value_women,
        cast(g.value_men as numeric(18, 1))                               as value_men,
        cast(g.gap_women_minus_men as numeric(18, 1))                     as gap_women_minus_men,
        cast(100.0 * g.ratio_women_to_men as numeric(18, 1))              as women_pct_of_men,
        g.is_at_parity,
        rank() over (order by abs(g.gap_women_minus_men) desc nulls last) as rank_largest_gap,
        cast(m.gap_women_minus_men as numeric(18, 1))                     as municipality_gap,
        cast(g.gap_women_minus_men - m.gap_women_minus_men as numeric(18, 1)) as gap_diff_to_municipality,
        g.area_version,
        g.area_code,
        cast(null as varchar)                                             as note
    from rows_in_scope as g
    inner join latest as l on l.year = g.year
    cross join params as p
    left join marts.mart_gender_gap as m
        on m.indicator_id = g.indicator_id and m.area_code = p.municipality_code and m.year = g.year
       and m.birth_region = 'total' and m.age_group = 'total'
)
select * from answer
union all
select
    null, null, null, null, null, null, null, null, null, null, null, null,
    case
        when not exists (select 1 from marts.dim_area as a
                         where a.area_code = p.municipality_code and a.area_level = 'municipality') then
            p.municipality_code || ' is not a municipality of marts.dim_area: check the parameter'
        when p.area_level not in ('regso', 'deso') then
            p.area_level || ' is not a sub-municipal level: use regso or deso'
        else 'no ' || p.area_level || ' value for municipality ' || p.municipality_code
             || ' in this warehouse: on replay data no SCB response at RegSO or DeSO level is recorded;'
             || ' a live run (JAMSTAT_MODE=live make run) fetches them'
    end
from params as p
where not exists (select 1 from answer)
order by rank_largest_gap, area_code;
