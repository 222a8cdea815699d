-- Strategy goals and sub-goals (seed strategy_goals), typed.
select
    cast(subgoal_key as {{ dbt.type_string() }})         as subgoal_key,
    cast(goal_id as {{ dbt.type_string() }})             as goal_id,
    cast(goal_sv as {{ dbt.type_string() }})             as goal_sv,
    cast(goal_en as {{ dbt.type_string() }})             as goal_en,
    cast(subgoal_id as {{ dbt.type_string() }})          as subgoal_id,
    cast(subgoal_sv as {{ dbt.type_string() }})          as subgoal_sv,
    cast(subgoal_en as {{ dbt.type_string() }})          as subgoal_en,
    cast(catalog_subgoal_sv as {{ dbt.type_string() }})  as catalog_subgoal_sv,
    cast(subgoal_short_en as {{ dbt.type_string() }})    as subgoal_short_en,
    cast(is_strategy_subgoal as {{ dbt.type_boolean() }}) as is_strategy_subgoal,
    cast(nullif(trim(strategy_national_goal_sv), '') as {{ dbt.type_string() }}) as strategy_national_goal_sv,
    cast(nullif(trim(national_goal_2016_id), '') as {{ dbt.type_string() }}) as national_goal_2016_id,
    cast(nullif(trim(national_goal_2016_sv), '') as {{ dbt.type_string() }}) as national_goal_2016_sv,
    cast(nullif(trim(national_goal_2016_en), '') as {{ dbt.type_string() }}) as national_goal_2016_en,
    cast(national_mapping_2016 as {{ dbt.type_string() }}) as national_mapping_2016,
    cast(nullif(trim(note), '') as {{ dbt.type_string() }}) as note
from {{ ref('strategy_goals') }}
