-- 01  Mäns andel av föräldrapenningdagarna per kommun i Stockholms län, senaste året, mot länet och riket
--     Men's share of parental-benefit days per municipality of Stockholm county, latest year, vs county and country
--
-- Goal:      3  Kvinnor och män tar lika stor del av det obetalda arbetet i Stockholms län
-- Sub-goal:  3.1 Kvinnor och män fördelar föräldraledigheten jämnt
--            (strategy indicator: "statistik över kvinnors och mäns uttag av föräldrapenning nedbrutet på kommun")
-- Indicator: Kolada N00943 "Föräldrapenningdagar som tas ut av män, andel av antal dagar (%)"
--            = indicator_id parental_benefit_days_share_men (Försäkringskassan via Kolada; single value, men's share)
--
-- PARAMETERS: edit `params` below — kolada_kpi (default N00943) and county_code (default '01' Stockholms län).
--
-- One row per municipality of Stockholms län (län 01, all 26 from dim_area), for the latest year in which ANY
-- of them has a value. A municipality without a value that year keeps its row with null values.
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal
-- for presentation; the marts keep full precision)
--   area_name                     municipality
--   year                          latest year with a value for any municipality of the county
--   men_share_pct                 men's share of the days, percent, as Kolada publishes it (mart_area_benchmark.value)
--   women_share_pct               100 - men_share_pct (mart_gender_gap.women_share, basis complement_of_reported_men_share)
--   distance_to_parity_pp         women_share_pct - 50, percentage points (positive = women take more than half)
--   is_within_40_60               true when both sexes take 40-60 % of the days (var parity_share_tolerance_pp = 10)
--   county_men_share_pct          the same KPI for Stockholms län as published (Kolada Region Stockholm 0001 -> 01);
--                                 never averaged from municipalities (a rate is not additive)
--   country_men_share_pct         the same KPI for Riket (00)
--   diff_to_county_pp, diff_to_country_pp   men_share_pct minus county / country, percentage points
--   rank_in_county                1 = highest men's share among the county's municipalities with a value
--   n_municipalities_with_value   how many of the 26 have a value that year (same on every row)
--   area_code                     SCB kommun code, e.g. 0180 Stockholm
--   note                          null on an answer; when there is none, the only row, saying why
--
-- Caveats
--   * Register data (Försäkringskassan), not a survey: no sampling error, but small municipalities swing
--     from year to year. The share is of net days (nettodagar).
--   * The strategy's starting point: men took 26 % of the days in the county vs 24 % in the whole country.
--   * On the recorded (replay) data this returns ONE row whose note says why there is no answer:
--     ingest/replay/recordings holds only N00943's KPI metadata, no data response, so there is no latest year.
--     A live run (JAMSTAT_MODE=live) fills it.
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/01_parental_benefit_men_share_stockholm_county.sql
with params as (
    select
        'N00943' as kolada_kpi,   -- <<< PARAMETER: Kolada KPI id
        '01'     as county_code   -- <<< PARAMETER: län code (01 = Stockholms län)
),
kpi as (
    select i.indicator_id
    from marts.dim_indicator as i
    inner join params as p on i.source_ref = p.kolada_kpi
),
municipalities as (
    select a.area_code, a.area_name, a.county_code
    from marts.dim_area as a
    inner join params as p on a.county_code = p.county_code
    where a.area_level = 'municipality'
),
latest as (
    select max(b.year) as year
    from marts.mart_area_benchmark as b
    inner join kpi as k on k.indicator_id = b.indicator_id
    inner join municipalities as m on m.area_code = b.area_code
    where b.sex = 'T' and b.value is not null
),
spine as (
    select m.area_code, m.area_name, m.county_code, l.year, k.indicator_id
    from municipalities as m
    cross join latest as l
    cross join kpi as k
    where l.year is not null
),
answer as (
    select
        s.area_name,
        s.year,
        cast(b.value as numeric(18, 1))                   as men_share_pct,
        cast(g.women_share as numeric(18, 1))             as women_share_pct,
        cast(g.distance_to_parity as numeric(18, 1))      as distance_to_parity_pp,
        g.is_at_parity                                    as is_within_40_60,
        b.rank_in_county_desc                             as rank_in_county,
        cast(cty.value_total as numeric(18, 1))           as county_men_share_pct,
        cast(nat.value_total as numeric(18, 1))           as country_men_share_pct,
        cast(b.value - cty.value_total as numeric(18, 1)) as diff_to_county_pp,
        cast(b.value - nat.value_total as numeric(18, 1)) as diff_to_country_pp,
        count(b.value) over ()                            as n_municipalities_with_value,
        s.area_code,
        cast(null as varchar)                             as note
    from spine as s
    left join marts.mart_area_benchmark as b
        on b.indicator_id = s.indicator_id and b.area_code = s.area_code and b.year = s.year and b.sex = 'T'
    left join marts.mart_gender_gap as g
        on g.indicator_id = s.indicator_id and g.area_code = s.area_code and g.year = s.year
    left join marts.mart_gender_gap as cty
        on cty.indicator_id = s.indicator_id and cty.area_code = s.county_code and cty.year = s.year
    left join marts.mart_gender_gap as nat
        on nat.indicator_id = s.indicator_id and nat.area_code = '00' and nat.year = s.year
)
select * from answer
union all
select
    null, null, null, null, null, null, null, null, null, null, null, null, null,
    case
        when not exists (select 1 from kpi) then
            p.kolada_kpi || ' is not a Kolada KPI of the catalog (marts.dim_indicator.source_ref): check the parameter'
        else 'no value of ' || p.kolada_kpi || ' for any municipality of county ' || p.county_code
             || ' in this warehouse: on replay data none is recorded; a live run (JAMSTAT_MODE=live make run) fetches it'
    end
from params as p
where not exists (select 1 from answer)
order by rank_in_county nulls last, area_code;
