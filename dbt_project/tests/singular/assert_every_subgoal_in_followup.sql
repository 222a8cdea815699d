-- mart_goal_followup has every sub-goal for every area-year it covers (none silently missing).
select ay.area_code, ay.year, g.subgoal_key
from (select distinct area_code, year from {{ ref('mart_goal_followup') }}) as ay
cross join {{ ref('dim_goal') }} as g
where not exists (
    select 1 from {{ ref('mart_goal_followup') }} as f
    where f.area_code = ay.area_code and f.year = ay.year and f.subgoal_key = g.subgoal_key
)
