-- A sub-goal is followed up ('data') only on indicators that count: never on background (context) rows, and on the
-- second row of a pair only below the municipality where the counted row it repeats has no value (it is then the
-- only figure of the pair there). Lists sub-goal/area/years whose status is 'data' without such a value.
with with_value as (
    -- rows that can count: a counted indicator, or a repeat (background rows never count, so they are left out)
    select g.indicator_id, g.area_code, g.year, g.birth_region, g.age_group, i.subgoal_key, i.counts_in_followup,
           i.complement_of
    from {{ ref('mart_gender_gap') }} as g
    inner join {{ ref('dim_indicator') }} as i on i.indicator_id = g.indicator_id
    where (i.counts_in_followup or i.complement_of is not null)
      and {{ gap_row_has_value('g') }}
),
counting as (
    select subgoal_key, area_code, year from with_value where counts_in_followup
    union all
    select v.subgoal_key, v.area_code, v.year
    from with_value as v
    inner join {{ ref('dim_area') }} as a on a.area_code = v.area_code and {{ is_sub_municipal('a.area_level') }}
    where not v.counts_in_followup
      and not exists (
          select 1 from with_value as c
          where c.indicator_id = v.complement_of and c.area_code = v.area_code and c.year = v.year
            and c.birth_region = v.birth_region and c.age_group = v.age_group)
)
select f.subgoal_key, f.area_code, f.year
from {{ ref('mart_goal_followup') }} as f
where f.followup_status = 'data'
  and not exists (
      select 1 from counting as c
      where c.subgoal_key = f.subgoal_key and c.area_code = f.area_code and c.year = f.year
  )
