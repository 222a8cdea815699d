-- mart_goal_followup lists every sub-goal for every area-year it covers at the country, county and municipal
-- levels (none silently missing); at a RegSO or DeSO area-year it lists exactly the sub-goals that have a value
-- at some area of that level (none missing, and none that no source publishes at that level).
with followup as (
    select f.area_code, f.year, f.subgoal_key, f.followup_status, a.area_level,
           a.area_level in ('regso', 'deso') as is_sub_municipal
    from {{ ref('mart_goal_followup') }} as f
    inner join {{ ref('dim_area') }} as a on a.area_code = f.area_code
),
area_years as (
    select distinct area_code, area_level, is_sub_municipal, year from followup
),
followed_below_municipality as (
    select distinct area_level, subgoal_key from followup where is_sub_municipal and followup_status = 'data'
),
expected as (
    select ay.area_code, ay.year, g.subgoal_key
    from area_years as ay
    cross join {{ ref('dim_goal') }} as g
    where not ay.is_sub_municipal
    union all
    select ay.area_code, ay.year, s.subgoal_key
    from area_years as ay
    inner join followed_below_municipality as s on s.area_level = ay.area_level
)
select e.area_code, e.year, e.subgoal_key, 'missing' as problem
from expected as e
where not exists (
    select 1 from followup as f
    where f.area_code = e.area_code and f.year = e.year and f.subgoal_key = e.subgoal_key
)
union all
select f.area_code, f.year, f.subgoal_key, 'no value at this area level anywhere' as problem
from followup as f
where f.is_sub_municipal
  and not exists (
      select 1 from followed_below_municipality as s
      where s.area_level = f.area_level and s.subgoal_key = f.subgoal_key
  )
