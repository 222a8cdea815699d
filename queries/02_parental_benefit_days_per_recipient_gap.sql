-- 02  Skillnaden mellan kvinnor och män i uttagna föräldrapenningdagar per mottagare, per kommun i
--     Stockholms län, senaste året
--     The women-minus-men gap in parental-benefit days per recipient, every municipality of Stockholm county,
--     latest year
--
-- Goal:      3  Kvinnor och män tar lika stor del av det obetalda arbetet i Stockholms län
-- Sub-goal:  3.1 Kvinnor och män fördelar föräldraledigheten jämnt
-- Indicator: Kolada N00939 "Uttagna dagar med föräldrapenning, antal/mottagare"
--            = indicator_id parental_benefit_days_per_recipient (Försäkringskassan via Kolada; women/men/total)
--
-- PARAMETERS: edit `params` below — kolada_kpi (default N00939) and county_code (default '01' Stockholms län).
--
-- One row per municipality of Stockholms län (all 26 from dim_area) for the latest year in which any of them
-- has a value; a municipality without a value keeps its row with nulls.
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal,
-- ratios to 2, for presentation; the marts keep full precision)
--   area_code, area_name       municipality
--   year                       latest year with a value for any municipality of the county
--   days_women, days_men       net days per recipient, women / men (mart_gender_gap.value_women / value_men)
--   days_total                 as Kolada publishes it (never recomputed from women + men)
--   gap_days_women_minus_men   days_women - days_men (positive = each mother takes more days than each father)
--   women_pct_of_men           100 * days_women / days_men (parity metric women_pct_of_men, target 100)
--   distance_to_parity_pct     women_pct_of_men - 100
--   country_gap_days           the same gap for Riket (00); the KPI is published for municipalities and the
--                              country only (geography_levels municipality;country), so there is no county value
--   gap_diff_to_country_days   gap_days_women_minus_men - country_gap_days
--   rank_largest_gap           1 = largest women-minus-men gap among the municipalities with a value
--   note                           null on an answer; when there is none, the only row, saying why
--
-- Caveats
--   * Days PER RECIPIENT: the average number of days per parent who took any parental benefit, not how all
--     days are split between women and men (that is N00943, query 01). Read the two together.
--   * Register data (Försäkringskassan): no sampling error; small municipalities swing year to year.
--   * On the recorded (replay) data this returns ONE row whose note says why there is no answer:
--     ingest/replay/recordings holds only N00939's KPI metadata, no data response, so there is no latest year.
--     A live run fills it.
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/02_parental_benefit_days_per_recipient_gap.sql
with params as (
    select
        'N00939' as kolada_kpi,   -- <<< PARAMETER: Kolada KPI id
        '01'     as county_code   -- <<< PARAMETER: län code (01 = Stockholms län)
),
kpi as (
    select i.indicator_id
    from marts.dim_indicator as i
    inner join params as p on i.source_ref = p.kolada_kpi
),
municipalities as (
    select a.area_code, a.area_name
    from marts.dim_area as a
    inner join params as p on a.county_code = p.county_code
    where a.area_level = 'municipality'
),
latest as (
    select max(g.year) as year
    from marts.mart_gender_gap as g
    inner join kpi as k on k.indicator_id = g.indicator_id
    inner join municipalities as m on m.area_code = g.area_code
    where g.value_women is not null or g.value_men is not null or g.value_total is not null
),
spine as (
    select m.area_code, m.area_name, l.year, k.indicator_id
    from municipalities as m
    cross join latest as l
    cross join kpi as k
    where l.year is not null
),
answer as (
    select
        s.area_name,
        s.year,
        cast(g.value_women as numeric(18, 1))                            as days_women,
        cast(g.value_men as numeric(18, 1))                              as days_men,
        cast(g.value_total as numeric(18, 1))                            as days_total,
        cast(g.gap_women_minus_men as numeric(18, 1))                    as gap_days_women_minus_men,
        cast(g.parity_metric_value as numeric(18, 1))                    as women_pct_of_men,
        cast(g.distance_to_parity as numeric(18, 1))                     as distance_to_parity_pct,
        case when g.gap_women_minus_men is not null then
            rank() over (partition by case when g.gap_women_minus_men is null then 1 else 0 end
                         order by g.gap_women_minus_men desc)
        end                                                              as rank_largest_gap,
        cast(nat.gap_women_minus_men as numeric(18, 1))                  as country_gap_days,
        cast(g.gap_women_minus_men - nat.gap_women_minus_men as numeric(18, 1)) as gap_diff_to_country_days,
        s.area_code,
        cast(null as varchar)                                            as note
    from spine as s
    left join marts.mart_gender_gap as g
        on g.indicator_id = s.indicator_id and g.area_code = s.area_code and g.year = s.year
    left join marts.mart_gender_gap as nat
        on nat.indicator_id = s.indicator_id and nat.area_code = '00' and nat.year = s.year
)
select * from answer
union all
select
    null, null, null, null, null, null, null, null, null, null, null, null,
    case
        when not exists (select 1 from kpi) then
            p.kolada_kpi || ' is not a Kolada KPI of the catalog (marts.dim_indicator.source_ref): check the parameter'
        else 'no value of ' || p.kolada_kpi || ' for any municipality of county ' || p.county_code
             || ' in this warehouse: on replay data none is recorded; a live run (JAMSTAT_MODE=live make run) fetches it'
    end
from params as p
where not exists (select 1 from answer)
order by rank_largest_gap nulls last, area_code;
