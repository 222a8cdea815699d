-- A sub-goal is followed up ('data') only on indicators that count: never on background (context) rows or on the
-- second row of a pair. Lists sub-goal/area/years whose status is 'data' without a counted indicator with a value.
select f.subgoal_key, f.area_code, f.year
from {{ ref('mart_goal_followup') }} as f
where f.followup_status = 'data'
  and not exists (
      select 1
      from {{ ref('mart_gender_gap') }} as g
      inner join {{ ref('dim_indicator') }} as i on i.indicator_id = g.indicator_id
      where i.subgoal_key = f.subgoal_key and g.area_code = f.area_code and g.year = f.year
        and i.counts_in_followup
        and (g.value_women is not null or g.value_men is not null or g.value_total is not null)
  )
