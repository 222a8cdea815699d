-- Strategy goals and sub-goals (seed strategy_goals), typed.
select
    cast(subgoal_key as {{ dbt.type_string() }})         as subgoal_key,
    cast(goal_id as {{ dbt.type_string() }})             as goal_id,
    cast(goal_sv as {{ dbt.type_string() }})             as goal_sv,
    cast(subgoal_id as {{ dbt.type_string() }})          as subgoal_id,
    cast(subgoal_sv as {{ dbt.type_string() }})          as subgoal_sv,
    cast(catalog_subgoal_sv as {{ dbt.type_string() }})  as catalog_subgoal_sv,
    cast(is_strategy_subgoal as {{ dbt.type_boolean() }}) as is_strategy_subgoal,
    cast(nullif(trim(national_goal_id), '') as {{ dbt.type_string() }}) as national_goal_id,
    cast(nullif(trim(national_goal_sv), '') as {{ dbt.type_string() }}) as national_goal_sv,
    cast(national_mapping as {{ dbt.type_string() }})    as national_mapping,
    cast(nullif(trim(note), '') as {{ dbt.type_string() }}) as note
from {{ ref('strategy_goals') }}
