-- 04  Vilka delmål saknar statistik i lagret för Stockholms län - och varför?
--     Which sub-goals have no statistic in the warehouse for Stockholm county - and why?
--
-- Goal:      all goals 1-5 (and the catalog conventions 0.0 background, 2.0 and 4.0 goal-level outcomes)
-- Source:    marts.mart_goal_followup.followup_status, marts.dim_goal
--
-- One row per sub-goal that has NO value for Stockholms län or any of its municipalities from an indicator that
-- counts in the follow-up (dim_indicator.counts_in_followup). Background rows (origin context) and the second row
-- of a pair carrying the same information never count, so a sub-goal is never "followed up" on them alone: 3.2 has
-- values for home care of people 80+ (by the sex of those who RECEIVE care), which says nothing about who cares
-- for older relatives, so 3.2 is listed here. Sub-goals with data are left out; drop the final `where` to list all.
--
-- Columns
--   subgoal_key                 4.3a / 4.3b are the two sub-goals the strategy prints as "4.3"
--   goal_id, subgoal_id         numbering from the strategy
--   subgoal_sv, subgoal_en      the strategy's wording and its English translation
--   is_strategy_subgoal         false for 0.0 (background), 2.0 and 4.0 (goal-level outcomes)
--   national_goal_2016_id       the sub-goal in the six-goal national scheme of 2016 - a later lens, not the
--                               strategy's own (the strategy builds on the government's four sub-goals)
--   n_indicators_in_catalog     every catalog row under the sub-goal, counted or not
--   n_indicators_counted        rows that count in the follow-up
--   n_indicators_ingested       counted rows the pipeline fetches (Kolada, SCB with every code known)
--   n_indicators_with_public_source   counted rows someone publishes, fetched or not
--   status_stockholm_county     why there is no value for Stockholms län and its municipalities:
--                                 no_data_yet - an ingest path exists, but no value was fetched for these areas
--                                   (in replay: nothing recorded for them);
--                                 public_source_not_ingested - someone publishes it (publishers_not_ingested), the
--                                   pipeline does not fetch it yet (a dropped file can fill it);
--                                 no_public_source - nobody publishes a counted indicator (e.g. goal 4's process
--                                   goals; 4.3b, whose only public figures are background case counts);
--                                 context_only - 0.0, background only, never followed up
--   status_any_area             the same judged over every area (the country and other counties included):
--                                 'data' means the sub-goal is measurable elsewhere (e.g. only for Riket)
--   publishers_not_ingested     who publishes the counted indicators that are not fetched yet
--   n_area_years_with_data      area-years with a counted value anywhere (mart_goal_followup rows with 'data')
--   latest_year_with_data       latest such year, anywhere
--
-- Caveats
--   * mart_goal_followup only holds area-years that have some annual value; monthly series (e.g. population
--     2026M01-M04) do not count. The status falls back to dim_goal when there are no rows at all.
--   * no_data_yet depends on what was fetched: replay data is sparse. On replay data this returns 24 rows, every
--     sub-goal but 3.3 (N00945, 0180 2014-2020): 3.2 is public_source_not_ingested (Försäkringskassan, SCB) although
--     its background row N21704 has values for 0180 2023; 2.4 (Svenska ESF-rådet), 2.6 (Almi Företagspartner,
--     Tillväxtverket) and 2.8 are published elsewhere; 4.1, 4.2, 4.3b, 4.4, 4.5 have no public source; 0.0 is
--     background. 2.0 is no_data_yet here and 'data' nowhere: the SCB median income for Riket is background.
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
    where f.birth_region = 'total' and f.age_group = 'total'   -- the whole population, not a breakdown
    group by f.subgoal_key
),
judged as (
    select
        g.subgoal_key,
        g.goal_id,
        g.subgoal_id,
        g.subgoal_sv,
        g.subgoal_en,
        g.is_strategy_subgoal,
        g.national_goal_2016_id,
        g.n_indicators                     as n_indicators_in_catalog,
        g.n_indicators_counted,
        g.n_indicators_ingested,
        g.n_indicators_with_public_source,
        -- without a counted value the reason is the sub-goal's, whatever the area (dim_goal.source_status)
        case g.source_status when 'ingested' then 'no_data_yet' else g.source_status end as status_without_data,
        g.publishers_not_ingested,
        f.has_data_stockholm,
        f.has_data_any,
        coalesce(f.n_area_years_with_data, 0) as n_area_years_with_data,
        f.latest_year_with_data
    from marts.dim_goal as g
    left join followup as f on f.subgoal_key = g.subgoal_key
)
select
    subgoal_key,
    goal_id,
    subgoal_id,
    subgoal_sv,
    subgoal_en,
    is_strategy_subgoal,
    national_goal_2016_id,
    n_indicators_in_catalog,
    n_indicators_counted,
    n_indicators_ingested,
    n_indicators_with_public_source,
    case when coalesce(has_data_stockholm, 0) = 1 then 'data' else status_without_data end as status_stockholm_county,
    case when coalesce(has_data_any, 0) = 1 then 'data' else status_without_data end       as status_any_area,
    publishers_not_ingested,
    n_area_years_with_data,
    latest_year_with_data
from judged
where coalesce(has_data_stockholm, 0) = 0
order by
    case status_without_data
        when 'no_public_source' then 1
        when 'public_source_not_ingested' then 2
        when 'no_data_yet' then 3
        else 4
    end,
    subgoal_key;
