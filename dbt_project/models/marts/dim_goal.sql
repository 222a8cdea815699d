-- Goals 1-5 and sub-goals of the 2014-2018 strategy (+ 0.0 context, 2.0 and 4.0 goal-level outcomes), the two
-- "4.3"s as 4.3a / 4.3b, in Swedish and English, with the strategy's overall goal and cross-cutting clause on every
-- row, the government sub-goal the strategy builds on, the later 2016 six-goal scheme as an extra lens, and where
-- the sub-goal's counted indicators stand (ingested, published elsewhere - by whom - or published by nobody).
with goals as (
    select * from {{ ref('stg_catalog__goals') }}
),
strategy as (
    select * from {{ ref('stg_catalog__strategy') }}
),
indicators as (
    select * from {{ ref('int_indicators_enriched') }}
),
counts as (
    select
        subgoal_key,
        count(*) as n_indicators,
        sum(case when counts_in_followup then 1 else 0 end) as n_indicators_counted,
        sum(case when origin = 'context' then 1 else 0 end) as n_indicators_context,
        sum(case when counts_in_followup and source_status = 'ingested' then 1 else 0 end) as n_counted_ingested,
        sum(case when counts_in_followup and source_status = 'public_source_not_ingested' then 1 else 0 end)
            as n_counted_public_not_ingested,
        sum(case when counts_in_followup and source_status = 'no_public_source' then 1 else 0 end)
            as n_counted_no_public_source
    from indicators
    group by subgoal_key
),
publishers as (
    select
        subgoal_key,
        {{ jamstat_utils.ordered_listagg("publisher", "'; '", ["publisher"]) }} as publishers_not_ingested
    from (
        select distinct subgoal_key, publisher from indicators
        where counts_in_followup and source_status = 'public_source_not_ingested'
    ) as p
    group by subgoal_key
)
select
    cast(g.subgoal_key as {{ dbt.type_string() }})          as subgoal_key,
    cast(g.goal_id as {{ dbt.type_string() }})              as goal_id,
    cast(g.goal_sv as {{ dbt.type_string() }})              as goal_sv,
    cast(g.goal_en as {{ dbt.type_string() }})              as goal_en,
    cast(g.subgoal_id as {{ dbt.type_string() }})           as subgoal_id,
    cast(g.subgoal_sv as {{ dbt.type_string() }})           as subgoal_sv,
    cast(g.subgoal_en as {{ dbt.type_string() }})           as subgoal_en,
    cast(g.catalog_subgoal_sv as {{ dbt.type_string() }})   as subgoal_short_sv,
    cast(g.subgoal_short_en as {{ dbt.type_string() }})     as subgoal_short_en,
    cast(g.is_strategy_subgoal as {{ dbt.type_boolean() }}) as is_strategy_subgoal,
    cast(g.strategy_national_goal_sv as {{ dbt.type_string() }}) as strategy_national_goal_sv,
    cast(g.national_goal_2016_id as {{ dbt.type_string() }}) as national_goal_2016_id,
    cast(g.national_goal_2016_sv as {{ dbt.type_string() }}) as national_goal_2016_sv,
    cast(g.national_goal_2016_en as {{ dbt.type_string() }}) as national_goal_2016_en,
    cast(g.national_mapping_2016 as {{ dbt.type_string() }}) as national_mapping_2016,
    cast(coalesce(c.n_indicators, 0) as {{ dbt.type_int() }}) as n_indicators,
    cast(coalesce(c.n_indicators_counted, 0) as {{ dbt.type_int() }}) as n_indicators_counted,
    cast(coalesce(c.n_indicators_context, 0) as {{ dbt.type_int() }}) as n_indicators_context,
    cast(coalesce(c.n_counted_ingested, 0) as {{ dbt.type_int() }}) as n_indicators_ingested,
    cast(coalesce(c.n_counted_ingested, 0) + coalesce(c.n_counted_public_not_ingested, 0)
         as {{ dbt.type_int() }})                           as n_indicators_with_public_source,
    cast(coalesce(c.n_counted_no_public_source, 0) as {{ dbt.type_int() }}) as n_indicators_without_public_source,
    -- where the sub-goal's counted indicators stand, whatever the area: the best status any of them reaches
    cast(case
        when coalesce(c.n_indicators_counted, 0) = 0 and coalesce(c.n_indicators_context, 0) > 0
             and not g.is_strategy_subgoal then 'context_only'
        when coalesce(c.n_counted_ingested, 0) > 0 then 'ingested'
        when coalesce(c.n_counted_public_not_ingested, 0) > 0 then 'public_source_not_ingested'
        else 'no_public_source'
    end as {{ dbt.type_string() }})                         as source_status,
    cast(p.publishers_not_ingested as {{ dbt.type_string() }}) as publishers_not_ingested,
    cast(s.overall_goal_sv as {{ dbt.type_string() }})      as overall_goal_sv,
    cast(s.overall_goal_en as {{ dbt.type_string() }})      as overall_goal_en,
    cast(s.cross_cutting_sv as {{ dbt.type_string() }})     as cross_cutting_sv,
    cast(s.cross_cutting_en as {{ dbt.type_string() }})     as cross_cutting_en,
    cast(s.citation as {{ dbt.type_string() }})             as strategy_citation,
    cast(g.note as {{ dbt.type_string() }})                 as note
from goals as g
cross join strategy as s
left join counts as c on c.subgoal_key = g.subgoal_key
left join publishers as p on p.subgoal_key = g.subgoal_key
