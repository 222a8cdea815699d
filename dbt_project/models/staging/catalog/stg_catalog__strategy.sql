-- The strategy itself (seed strategy, one row): citation, period, the overall regional goal and the clause that
-- every goal applies whatever one's country of birth or municipality of residence.
select
    cast(strategy_key as {{ dbt.type_string() }})       as strategy_key,
    cast(title_sv as {{ dbt.type_string() }})           as title_sv,
    cast(title_en as {{ dbt.type_string() }})           as title_en,
    cast(citation as {{ dbt.type_string() }})           as citation,
    cast(period_start_year as {{ dbt.type_int() }})     as period_start_year,
    cast(period_end_year as {{ dbt.type_int() }})       as period_end_year,
    cast(overall_goal_sv as {{ dbt.type_string() }})    as overall_goal_sv,
    cast(overall_goal_en as {{ dbt.type_string() }})    as overall_goal_en,
    cast(cross_cutting_sv as {{ dbt.type_string() }})   as cross_cutting_sv,
    cast(cross_cutting_en as {{ dbt.type_string() }})   as cross_cutting_en,
    cast(national_frame_sv as {{ dbt.type_string() }})  as national_frame_sv,
    cast(national_frame_en as {{ dbt.type_string() }})  as national_frame_en
from {{ ref('strategy') }}
