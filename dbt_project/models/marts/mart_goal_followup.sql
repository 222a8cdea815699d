-- Grain: subgoal_key x area_code x year. Every sub-goal appears for every area-year that has any annual
-- value: sub-goals whose indicators all lack a public source (catalog source none/other/bra/fk with no ingest
-- path) are explicit 'no_public_source' rows, sub-goals with sources but no value are 'no_data'.
with gaps as (
    select * from {{ ref('mart_gender_gap') }}
),
indicators as (
    select indicator_id, subgoal_key from {{ ref('dim_indicator') }}
),
goals as (
    select * from {{ ref('dim_goal') }}
),
area_years as (
    select distinct area_code, year from gaps
),
spine as (
    select g.subgoal_key, ay.area_code, ay.year
    from goals as g
    cross join area_years as ay
),
per_indicator as (
    select
        i.subgoal_key,
        x.area_code,
        x.year,
        x.indicator_id,
        case when x.value_women is not null or x.value_men is not null or x.value_total is not null then 1 else 0 end as has_data,
        case when x.parity_metric is not null and x.parity_metric_value is not null then 1 else 0 end as has_parity_metric,
        case when x.is_at_parity then 1 else 0 end as at_parity,
        case when x.direction_of_change = 'toward_target' then 1 else 0 end as toward,
        case when x.direction_of_change = 'away_from_target' then 1 else 0 end as away,
        case when x.direction_of_change = 'unchanged' then 1 else 0 end as unchanged,
        x.distance_to_parity,
        x.parity_metric
    from gaps as x
    inner join indicators as i on i.indicator_id = x.indicator_id
),
agg as (
    select
        subgoal_key, area_code, year,
        sum(has_data)          as n_indicators_with_data,
        sum(has_parity_metric) as n_indicators_with_parity_metric,
        sum(at_parity)         as n_indicators_at_parity,
        sum(toward)            as n_indicators_toward_target,
        sum(away)              as n_indicators_away_from_target,
        sum(unchanged)         as n_indicators_unchanged,
        avg(case when parity_metric = 'women_share' then abs(distance_to_parity) end) as mean_abs_distance_women_share_pp
    from per_indicator
    group by subgoal_key, area_code, year
)
select
    cast(s.subgoal_key as {{ dbt.type_string() }})        as subgoal_key,
    cast(s.area_code as {{ dbt.type_string() }})          as area_code,
    cast(s.year as {{ dbt.type_int() }})                  as year,
    cast(g.goal_id as {{ dbt.type_string() }})            as goal_id,
    cast(g.subgoal_id as {{ dbt.type_string() }})         as subgoal_id,
    cast(g.subgoal_sv as {{ dbt.type_string() }})         as subgoal_sv,
    cast(g.national_goal_id as {{ dbt.type_string() }})   as national_goal_id,
    cast(g.is_strategy_subgoal as {{ dbt.type_boolean() }}) as is_strategy_subgoal,
    cast(g.n_indicators as {{ dbt.type_int() }})          as n_indicators_in_catalog,
    cast(g.n_indicators_with_public_source as {{ dbt.type_int() }}) as n_indicators_with_public_source,
    cast(coalesce(a.n_indicators_with_data, 0) as {{ dbt.type_int() }})          as n_indicators_with_data,
    cast(coalesce(a.n_indicators_with_parity_metric, 0) as {{ dbt.type_int() }}) as n_indicators_with_parity_metric,
    cast(coalesce(a.n_indicators_at_parity, 0) as {{ dbt.type_int() }})          as n_indicators_at_parity,
    cast(coalesce(a.n_indicators_toward_target, 0) as {{ dbt.type_int() }})      as n_indicators_toward_target,
    cast(coalesce(a.n_indicators_away_from_target, 0) as {{ dbt.type_int() }})   as n_indicators_away_from_target,
    cast(coalesce(a.n_indicators_unchanged, 0) as {{ dbt.type_int() }})          as n_indicators_unchanged,
    cast({{ jamstat_utils.safe_divide('a.n_indicators_at_parity', 'a.n_indicators_with_parity_metric') }}
         as {{ jamstat_utils.type_double() }})            as share_at_parity,
    cast(a.mean_abs_distance_women_share_pp as {{ jamstat_utils.type_double() }}) as mean_abs_distance_women_share_pp,
    cast(case
        when coalesce(a.n_indicators_with_data, 0) > 0 then 'data'
        when g.n_indicators_with_public_source = 0 then 'no_public_source'
        else 'no_data'
    end as {{ dbt.type_string() }})                       as followup_status
from spine as s
inner join goals as g on g.subgoal_key = s.subgoal_key
left join agg as a
    on a.subgoal_key = s.subgoal_key and a.area_code = s.area_code and a.year = s.year
