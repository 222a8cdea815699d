-- 08  Skillnaden mellan utrikes födda kvinnor och utrikes födda män i Botkyrka, senaste året
--     The gap between foreign-born women and foreign-born men in Botkyrka, latest year
--
-- Goal:      2  Kvinnor och män har samma möjligheter till ekonomisk självständighet (sub-goal 2.3: lika hög
--            sysselsättning, inrikes och utrikes födda)
-- Indicators: every indicator published by birth region, today employment_rate_20_64 (Kolada N02267 total,
--            N02268 foreign-born, N02269 Swedish-born) and unemployment_20_64_bas (N02280 total, N02281
--            Swedish-born, N02282 foreign-born); mart_gender_gap.birth_region says which group a row is.
--
-- PARAMETERS: edit `params` below — area_code (default 0127 Botkyrka; any municipality, county or 00) and
-- birth_region (default foreign_born; born_in_sweden or total).
--
-- One row per indicator with a value for that birth region in the area, at its latest such year. Women and men
-- are compared WITHIN the birth region (foreign-born women vs foreign-born men); the same gap for the Swedish-born
-- and for everyone in the area and year stands beside it.
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal,
-- ratios to 2, for presentation; the marts keep full precision)
--   area_name, indicator_name_sv  where, and what is measured
--   year                          latest year with a value for the birth region in the area
--   value_women, value_men        the birth region's women / men (mart_gender_gap.value_women / value_men), in unit
--   gap_women_minus_men           value_women - value_men
--   women_pct_of_men              100 * value_women / value_men
--   is_at_parity                  the indicator's own yardstick (mart_gender_gap.is_at_parity)
--   direction_of_change           since the previous year with a value, for this birth region
--   gap_born_in_sweden            the same gap for the Swedish-born, same area and year
--   gap_all                       the same gap for everyone (birth_region total), same area and year
--   unit                          percent for both indicators today
--   indicator_id, area_code, birth_region
--   note                          null on an answer; when there is none, the only row, saying why
--
-- Caveats
--   * Rates, not counts: a gap in percentage points says nothing about how many people it concerns.
--   * The total KPI N02280 ends with 2024 (Kolada marks it '(-2024)'); after that gap_all is null for
--     unemployment while the birth-region KPIs go on. Nothing is recomputed from the parts.
--   * On the recorded (replay) data this returns ONE row whose note says why there is no answer: no Kolada data
--     response for the birth-region KPIs is recorded. A live run (JAMSTAT_MODE=live make run) fetches them.
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/08_foreign_born_gap_botkyrka.sql
with params as (
    select
        '0127'         as area_code,     -- <<< PARAMETER: area code (0127 Botkyrka, 01 Stockholms län, 00 Riket)
        'foreign_born' as birth_region   -- <<< PARAMETER: foreign_born | born_in_sweden | total
),
rows_in_scope as (
    select g.*
    from marts.mart_gender_gap as g
    inner join params as p on p.area_code = g.area_code and p.birth_region = g.birth_region
    where g.age_group = 'total'
      and (g.value_women is not null or g.value_men is not null)
),
latest as (
    select indicator_id, max(year) as year
    from rows_in_scope
    group by indicator_id
),
answer as (
    select
        a.area_name,
        i.indicator_name_sv,
        g.year,
        cast(g.value_women as numeric(18, 1))                      as value_women,
        cast(g.value_men as numeric(18, 1))                        as value_men,
        cast(g.gap_women_minus_men as numeric(18, 1))              as gap_women_minus_men,
        cast(100.0 * g.ratio_women_to_men as numeric(18, 1))       as women_pct_of_men,
        g.is_at_parity,
        g.direction_of_change,
        cast(sw.gap_women_minus_men as numeric(18, 1))             as gap_born_in_sweden,
        cast(t.gap_women_minus_men as numeric(18, 1))              as gap_all,
        g.unit,
        g.indicator_id,
        g.area_code,
        g.birth_region,
        cast(null as varchar)                                      as note
    from rows_in_scope as g
    inner join latest as l on l.indicator_id = g.indicator_id and l.year = g.year
    inner join marts.dim_indicator as i on i.indicator_id = g.indicator_id
    inner join marts.dim_area as a on a.area_code = g.area_code
    left join marts.mart_gender_gap as sw
        on sw.indicator_id = g.indicator_id and sw.area_code = g.area_code and sw.year = g.year
       and sw.birth_region = 'born_in_sweden' and sw.age_group = 'total'
    left join marts.mart_gender_gap as t
        on t.indicator_id = g.indicator_id and t.area_code = g.area_code and t.year = g.year
       and t.birth_region = 'total' and t.age_group = 'total'
)
select * from answer
union all
select
    null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
    case
        when not exists (select 1 from marts.dim_area as a where a.area_code = p.area_code) then
            p.area_code || ' is not an area of marts.dim_area: check the parameter'
        when not exists (select 1 from marts.dim_birth_region as b where b.birth_region = p.birth_region) then
            p.birth_region || ' is not a birth region of marts.dim_birth_region: check the parameter'
        else 'no ' || p.birth_region || ' value for area ' || p.area_code
             || ' in this warehouse: on replay data no Kolada data response for the birth-region KPIs is recorded;'
             || ' a live run (JAMSTAT_MODE=live make run) fetches them'
    end
from params as p
where not exists (select 1 from answer)
order by indicator_id;
