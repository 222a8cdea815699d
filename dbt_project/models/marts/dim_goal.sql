-- Goals 1-5 and sub-goals of the 2014-2018 strategy (+ 0.0 context and 4.0 outcome), the two "4.3"s as
-- 4.3a / 4.3b, each mapped to the six national gender-equality sub-goals; with catalog indicator counts.
with goals as (
    select * from {{ ref('stg_catalog__goals') }}
),
indicators as (
    select * from {{ ref('int_indicators_enriched') }}
),
counts as (
    select
        subgoal_key,
        count(*) as n_indicators,
        sum(case when has_public_source then 1 else 0 end) as n_indicators_with_public_source
    from indicators
    group by subgoal_key
)
select
    cast(g.subgoal_key as {{ dbt.type_string() }})          as subgoal_key,
    cast(g.goal_id as {{ dbt.type_string() }})              as goal_id,
    cast(g.goal_sv as {{ dbt.type_string() }})              as goal_sv,
    cast(g.subgoal_id as {{ dbt.type_string() }})           as subgoal_id,
    cast(g.subgoal_sv as {{ dbt.type_string() }})           as subgoal_sv,
    cast(g.catalog_subgoal_sv as {{ dbt.type_string() }})   as subgoal_short_sv,
    cast(g.is_strategy_subgoal as {{ dbt.type_boolean() }}) as is_strategy_subgoal,
    cast(g.national_goal_id as {{ dbt.type_string() }})     as national_goal_id,
    cast(g.national_goal_sv as {{ dbt.type_string() }})     as national_goal_sv,
    cast(g.national_mapping as {{ dbt.type_string() }})     as national_mapping,
    cast(coalesce(c.n_indicators, 0) as {{ dbt.type_int() }}) as n_indicators,
    cast(coalesce(c.n_indicators_with_public_source, 0) as {{ dbt.type_int() }}) as n_indicators_with_public_source,
    cast(g.note as {{ dbt.type_string() }})                 as note
from goals as g
left join counts as c on c.subgoal_key = g.subgoal_key
