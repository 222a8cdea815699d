-- mart_goal_followup lists every sub-goal for the whole population (total/total) of every area-year of the country,
-- a county or a municipality that it covers (none silently missing). Any other grain - a birth-region or age-group
-- breakdown, a RegSO or DeSO - lists exactly the sub-goals with a value at that grain (same level, same breakdown)
-- somewhere: none missing, none that no source publishes there. Rows are unique per sub-goal and area-year-breakdown
-- (the key test), so "as many as expected, and only expected ones" means exactly the expected ones.
with followup as (
    select
        f.area_code, f.year, f.birth_region, f.age_group, f.subgoal_key, f.followup_status,
        case when {{ is_sub_municipal('a.area_level') }} then a.area_level else 'municipality_and_up' end as level_group
    from {{ ref('mart_goal_followup') }} as f
    inner join {{ ref('dim_area') }} as a on a.area_code = f.area_code
),
followed as (
    select distinct level_group, birth_region, age_group, subgoal_key from followup where followup_status = 'data'
),
n_followed as (
    select level_group, birth_region, age_group, count(*) as n_expected
    from followed
    group by level_group, birth_region, age_group
),
listed as (
    select
        area_code, year, birth_region, age_group, level_group, count(*) as n_listed,
        level_group = 'municipality_and_up' and birth_region = 'total' and age_group = 'total' as is_whole_population
    from followup
    group by area_code, year, birth_region, age_group, level_group
)
select l.area_code, l.year, l.birth_region, l.age_group, cast(null as {{ dbt.type_string() }}) as subgoal_key,
       'lists ' || cast(l.n_listed as {{ dbt.type_string() }}) || ' sub-goals, expected '
           || cast(coalesce(n.n_expected, 0) as {{ dbt.type_string() }}) as problem
from listed as l
left join n_followed as n
    on n.level_group = l.level_group and n.birth_region = l.birth_region and n.age_group = l.age_group
where not l.is_whole_population and l.n_listed <> coalesce(n.n_expected, 0)
union all
select l.area_code, l.year, l.birth_region, l.age_group, null,
       'lists ' || cast(l.n_listed as {{ dbt.type_string() }}) || ' sub-goals, expected every one ('
           || cast(g.n_goals as {{ dbt.type_string() }}) || ')'
from listed as l
cross join (select count(*) as n_goals from {{ ref('dim_goal') }}) as g
where l.is_whole_population and l.n_listed <> g.n_goals
union all
select f.area_code, f.year, f.birth_region, f.age_group, f.subgoal_key, 'no value at this grain anywhere'
from followup as f
where not (f.level_group = 'municipality_and_up' and f.birth_region = 'total' and f.age_group = 'total')
  and not exists (
      select 1 from followed as s
      where s.level_group = f.level_group and s.birth_region = f.birth_region and s.age_group = f.age_group
        and s.subgoal_key = f.subgoal_key
  )
