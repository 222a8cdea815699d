-- 04  Vilka delmål saknar offentlig statistik, eller saknar data i lagret?
--     Which sub-goals have no public statistic, or no data in the warehouse?
--
-- Goal:      all goals 1-5 (and the catalog conventions 0.0 context and 4.0 goal-level outcome)
-- Source:    marts.mart_goal_followup.followup_status, marts.dim_goal
--
-- One row per sub-goal that has NO value for Stockholms län or any of its municipalities (followup_status never
-- 'data' for an area with dim_area.is_stockholm_county). Sub-goals with data are left out; drop the final
-- `where` to list all 24.
--
-- Columns
--   subgoal_key                 4.3a / 4.3b are the two sub-goals the strategy prints as "4.3"
--   goal_id, subgoal_id, subgoal_sv   numbering and wording from the strategy
--   is_strategy_subgoal         false for 0.0 (context) and 4.0 (goal-level outcome)
--   national_goal_id            national gender-equality sub-goal 1-6
--   n_indicators_in_catalog     catalog indicators under the sub-goal
--   n_indicators_with_public_source   of those, indicators with an ingest path (Kolada, SCB, declared series)
--   status_stockholm_county     no_public_source: no indicator of the sub-goal has any public, ingested source
--                                 (e.g. goal 4's process goals, structural-fund and business-support follow-up);
--                               no_data: sources exist, but the warehouse holds no annual value for Stockholms
--                                 län or its municipalities
--   status_any_area             the same judged over every area (the country and other counties included):
--                                 'data' means the sub-goal is measurable elsewhere (e.g. only for Riket)
--   n_area_years_with_data      area-years with a value anywhere (mart_goal_followup rows with status 'data')
--   latest_year_with_data       latest such year, anywhere
--
-- Caveats
--   * mart_goal_followup only holds area-years that have some annual value; monthly series (e.g. population
--     2026M01-M04) do not count. Status falls back to dim_goal when there are no rows at all.
--   * no_data depends on what was fetched: replay data is sparse. On replay data this returns 22 rows: 6
--     no_public_source (2.4, 2.6, 4.1, 4.2, 4.4, 4.5) and 16 no_data; only 3.2 (N21704, 0180 2023) and 3.3
--     (N00945, 0180 2014-2020) have Stockholm-county data, and 2.2 has data only for Riket (SCB HE0110 median income).
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/04_subgoals_without_statistics.sql
with followup as (
    select
        f.subgoal_key,
        max(case when f.followup_status = 'data' and a.is_stockholm_county then 1 else 0 end) as has_data_stockholm,
        max(case when f.followup_status = 'data' then 1 else 0 end)                            as has_data_any,
        sum(case when f.followup_status = 'data' then 1 else 0 end)                            as n_area_years_with_data,
        max(case when f.followup_status = 'data' then f.year end)                              as latest_year_with_data
    from marts.mart_goal_followup as f
    inner join marts.dim_area as a on a.area_code = f.area_code
    group by f.subgoal_key
),
judged as (
    select
        g.subgoal_key,
        g.goal_id,
        g.subgoal_id,
        g.subgoal_sv,
        g.is_strategy_subgoal,
        g.national_goal_id,
        g.n_indicators                     as n_indicators_in_catalog,
        g.n_indicators_with_public_source,
        case
            when coalesce(f.has_data_stockholm, 0) = 1 then 'data'
            when g.n_indicators_with_public_source = 0 then 'no_public_source'
            else 'no_data'
        end                                as status_stockholm_county,
        case
            when coalesce(f.has_data_any, 0) = 1 then 'data'
            when g.n_indicators_with_public_source = 0 then 'no_public_source'
            else 'no_data'
        end                                as status_any_area,
        coalesce(f.n_area_years_with_data, 0) as n_area_years_with_data,
        f.latest_year_with_data
    from marts.dim_goal as g
    left join followup as f on f.subgoal_key = g.subgoal_key
)
select *
from judged
where status_stockholm_county <> 'data'
order by
    case status_stockholm_county when 'no_public_source' then 1 else 2 end,
    subgoal_key;
