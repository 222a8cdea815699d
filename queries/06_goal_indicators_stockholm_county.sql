-- 06  Alla indikatorer för ett mål i Stockholms län: kvinnor, män, totalt, skillnad och avstånd till
--     jämställdhet, senaste året
--     Every indicator of one goal for Stockholm county: women, men, total, gap and distance to parity, latest year
--
-- Goal:      parameter (default 3 "Kvinnor och män tar lika stor del av det obetalda arbetet i Stockholms län");
--            all its sub-goals
-- Source:    marts.dim_indicator (every catalog indicator of the goal), marts.mart_gender_gap (values)
--
-- PARAMETERS: edit `params` below — goal_id ('1'..'5', or '0' for context) and area_code (default '01'
-- Stockholms län; a municipality code or '00' Riket work too).
--
-- One row per catalog indicator of the goal — ALSO those without a value for the area (then year and all values
-- are null and note says why), so the gaps in the follow-up stay visible.
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal,
-- ratios to 2, for presentation; the marts keep full precision)
--   subgoal_key, indicator_id, source, source_ref, indicator_name_sv, unit
--   origin                    seed (the strategy names it) | seed_proxy (stands in for one) | added (not in the
--                             strategy) | context (background: shown here, never judged or counted)
--   counts_in_followup        false for background rows and for the second row of a pair carrying the same
--                             information (e.g. women's share of VAB days next to men's): they never count twice
--   geography_levels          levels the source publishes; an indicator published for municipality;country only
--                             can never have a county value (see note)
--   year                      latest year with a value for the area (per indicator; can differ between rows)
--   value_women, value_men    K / M values (null for single-value KPIs such as a men's share)
--   value_total               T as published; for single-value KPIs the measure itself (e.g. men's share in %)
--   gap_women_minus_men       women minus men in the unit (by_sex), or a reported gap
--   judged_on                 what the follow-up judges: women_share (representation, sharing) | women_pct_of_men
--                             (gaps: women's value as % of men's, so a pay gap in kronor does not grow with
--                             inflation) | value_women (violence, offensive treatment: women's own value) |
--                             value_total (a single value) | null (not judged)
--   parity_metric             women_share (target 50) | women_pct_of_men (target 100); null when not judged on parity
--   parity_metric_value, parity_target, distance_to_parity   metric, its target, and metric - target
--                             (positive = women above the target)
--   parity_tolerance          10 points for a share (the 40/60 rule); the indicator's tolerance in % for a gap
--   is_at_parity              |distance_to_parity| <= parity_tolerance, the same rule for every sub-goal
--   direction_of_change       toward_target | away_from_target | unchanged | levelling_down vs the indicator's
--                             previous year: a gap closing only because the better-off sex got worse is
--                             levelling_down; a change smaller than the indicator's minimum meaningful change
--                             (2 points for surveys) is unchanged; a value repeated by design has none
--   has_break_since_previous_year   a known series break in between (change not comparable)
--   series_breaks             the catalog's break notes (e.g. AKU redesign 2021, NTU method change 2017)
--   note                 why a row is empty: nobody publishes it / published by X, not fetched yet / not
--                             published at this level / not loaded
--
-- Caveats
--   * Survey indicators (SCB AKU, Brå NTU, SCB TUS time use) have sampling error; a county difference of a
--     few percentage points can be noise. Register indicators (Kolada/Försäkringskassan, SCB registers) do not.
--   * Read value_total for single-value share KPIs as the share the KPI names (men's share for N00943/N00945).
--   * Replay data: 15 rows for goal 3, all without values — no annual value for Stockholms län (01) is recorded
--     (the recorded county data are SCB TAB6471 population months 2026M01-M04, goal 0). With area_code '0180'
--     the same query shows N21704 2023 (K 25.688929, M 15.778849, T 21.88749, gap 9.91008) and N00945 2020 (40.8).
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/06_goal_indicators_stockholm_county.sql
with params as (
    select
        '3'  as goal_id,    -- <<< PARAMETER: strategy goal 1-5
        '01' as area_code   -- <<< PARAMETER: area (01 Stockholms län, 0180 Stockholm, 00 Riket)
),
indicators as (
    select i.*
    from marts.dim_indicator as i
    inner join params as p on p.goal_id = i.goal_id
),
area as (
    select a.area_code, a.area_name, a.area_level
    from marts.dim_area as a
    inner join params as p on p.area_code = a.area_code
),
latest as (
    select g.indicator_id, max(g.year) as year
    from marts.mart_gender_gap as g
    inner join indicators as i on i.indicator_id = g.indicator_id
    inner join area as a on a.area_code = g.area_code
    where (g.value_women is not null or g.value_men is not null or g.value_total is not null)
      and g.birth_region = 'total' and g.age_group = 'total'   -- the whole population, not a breakdown
    group by g.indicator_id
)
select
    i.subgoal_key,
    i.indicator_name_sv,
    a.area_name,
    l.year,
    cast(g.value_women as numeric(18, 1))           as value_women,
    cast(g.value_men as numeric(18, 1))             as value_men,
    cast(g.value_total as numeric(18, 1))           as value_total,
    cast(g.gap_women_minus_men as numeric(18, 1))   as gap_women_minus_men,
    cast(g.distance_to_parity as numeric(18, 1))    as distance_to_parity,
    g.is_at_parity,
    g.direction_of_change,
    case
        when l.year is not null then null
        when i.source_status = 'no_public_source' then 'no public source for this indicator'
        when i.source_status = 'public_source_not_ingested' then 'published by ' || i.publisher || ', not fetched yet'
        when i.geography_levels not like '%' || a.area_level || '%' then 'not published at ' || a.area_level || ' level'
        else 'no value loaded for this area'
    end as note,
    i.unit,
    i.origin,
    i.counts_in_followup,
    i.judged_on,
    g.parity_metric,
    cast(g.parity_metric_value as numeric(18, 1))   as parity_metric_value,
    cast(g.parity_target as numeric(18, 1))         as parity_target,
    cast(g.parity_tolerance as numeric(18, 1))      as parity_tolerance,
    g.has_break_since_previous_year,
    i.series_breaks,
    i.indicator_id,
    i.source,
    i.source_ref,
    i.geography_levels,
    a.area_code
from indicators as i
cross join area as a
left join latest as l on l.indicator_id = i.indicator_id
left join marts.mart_gender_gap as g
    on g.indicator_id = i.indicator_id and g.area_code = a.area_code and g.year = l.year
   and g.birth_region = 'total' and g.age_group = 'total'
order by i.subgoal_key, i.indicator_id;
