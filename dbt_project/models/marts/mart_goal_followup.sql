-- Grain: subgoal_key x area_code x year x birth_region x age_group (total/total is the whole population; a
-- breakdown counts the indicators split that way).
-- Which sub-goals an area-year lists: for the whole population of the country, a county or a municipality, every
-- sub-goal, every year with any annual value - the strategy follows every sub-goal up there, and followup_status
-- says why one has no value. Any other grain - a breakdown by birth region or age group, or a RegSO or DeSO - lists
-- only the sub-goals followed up at that grain, i.e. with a counted value for that breakdown at some area of that
-- level in some year; "no_data_yet" for any other sub-goal there would promise a figure no source publishes.
-- Only indicators that count in the follow-up (dim_indicator.counts_in_followup) are counted: context rows and
-- the second row of a pair carrying the same information never are, so no sub-goal's status or counts come from
-- them. One exception keeps each piece of information counted once: below the municipality, a row that repeats a
-- counted indicator (dim_indicator.complement_of) counts in its place where that indicator has no value at the
-- same area, year and breakdown (employment by RegSO/DeSO repeats the employment rate published for
-- municipalities and up). followup_status says why a sub-goal has no value: no_data_yet (an ingest path exists),
-- public_source_not_ingested (someone publishes it: publishers_not_ingested), no_public_source (nobody does);
-- context_only for the background convention 0.0.
with gaps as (
    select * from {{ ref('mart_gender_gap') }}
),
indicators as (
    select indicator_id, subgoal_key, counts_in_followup, complement_of from {{ ref('dim_indicator') }}
),
goals as (
    select * from {{ ref('dim_goal') }}
),
areas as (
    -- level_group: RegSO and DeSO each on their own; the country, counties and municipalities together
    select
        area_code,
        {{ is_sub_municipal('area_level') }} as is_sub_municipal,
        case when {{ is_sub_municipal('area_level') }} then area_level else 'municipality_and_up' end as level_group
    from {{ ref('dim_area') }}
),
area_years as (
    select
        x.area_code, x.year, x.birth_region, x.age_group, a.level_group,
        a.level_group = 'municipality_and_up' and x.birth_region = 'total' and x.age_group = 'total'
            as is_whole_population_followup
    from (select distinct area_code, year, birth_region, age_group from gaps) as x
    inner join areas as a on a.area_code = x.area_code
),
counted as (
    select x.*, i.subgoal_key
    from gaps as x
    inner join indicators as i on i.indicator_id = x.indicator_id
    where i.counts_in_followup
    union all
    -- a repeat in place of the counted indicator it repeats, below the municipality only
    select x.*, i.subgoal_key
    from gaps as x
    inner join indicators as i on i.indicator_id = x.indicator_id
    inner join areas as a on a.area_code = x.area_code
    where not i.counts_in_followup and i.complement_of is not null and a.is_sub_municipal
      and not exists (
          select 1 from gaps as c
          where c.indicator_id = i.complement_of and c.area_code = x.area_code and c.year = x.year
            and c.birth_region = x.birth_region and c.age_group = x.age_group
            and {{ gap_row_has_value('c') }}
      )
),
followed_grains as (
    -- the sub-goals followed up at each grain: a counted value for that breakdown at some area of that level group
    select distinct c.subgoal_key, a.level_group, c.birth_region, c.age_group
    from counted as c
    inner join areas as a on a.area_code = c.area_code
    where {{ gap_row_has_value('c') }}
),
spine as (
    select g.subgoal_key, ay.area_code, ay.year, ay.birth_region, ay.age_group
    from goals as g
    cross join area_years as ay
    where ay.is_whole_population_followup
    union all
    select f.subgoal_key, ay.area_code, ay.year, ay.birth_region, ay.age_group
    from area_years as ay
    inner join followed_grains as f
        on f.level_group = ay.level_group and f.birth_region = ay.birth_region and f.age_group = ay.age_group
    where not ay.is_whole_population_followup
),
per_indicator as (
    select
        x.subgoal_key,
        x.area_code,
        x.year,
        x.birth_region,
        x.age_group,
        x.indicator_id,
        case when {{ gap_row_has_value('x') }} then 1 else 0 end as has_data,
        case when x.parity_metric_value is not null then 1 else 0 end as has_parity_metric,
        case when x.is_at_parity then 1 else 0 end as at_parity,
        case when x.direction_of_change = 'toward_target' then 1 else 0 end as toward,
        case when x.direction_of_change = 'away_from_target' then 1 else 0 end as away,
        case when x.direction_of_change = 'unchanged' then 1 else 0 end as unchanged,
        case when x.direction_of_change = 'levelling_down' then 1 else 0 end as levelling_down,
        case when x.is_repeated_value then 1 else 0 end as repeated,
        x.distance_to_parity,
        x.parity_metric
    from counted as x
),
agg as (
    select
        subgoal_key, area_code, year, birth_region, age_group,
        sum(has_data)          as n_indicators_with_data,
        sum(has_parity_metric) as n_indicators_with_parity_metric,
        sum(at_parity)         as n_indicators_at_parity,
        sum(toward)            as n_indicators_toward_target,
        sum(away)              as n_indicators_away_from_target,
        sum(unchanged)         as n_indicators_unchanged,
        sum(levelling_down)    as n_indicators_levelling_down,
        sum(repeated)          as n_indicators_repeated_value,
        avg(case when parity_metric = 'women_share' then abs(distance_to_parity) end) as mean_abs_distance_women_share_pp
    from per_indicator
    group by subgoal_key, area_code, year, birth_region, age_group
)
select
    cast(s.subgoal_key as {{ dbt.type_string() }})        as subgoal_key,
    cast(s.area_code as {{ dbt.type_string() }})          as area_code,
    cast(s.year as {{ dbt.type_int() }})                  as year,
    cast(s.birth_region as {{ dbt.type_string() }})       as birth_region,
    cast(s.age_group as {{ dbt.type_string() }})          as age_group,
    cast(g.goal_id as {{ dbt.type_string() }})            as goal_id,
    cast(g.subgoal_id as {{ dbt.type_string() }})         as subgoal_id,
    cast(g.subgoal_sv as {{ dbt.type_string() }})         as subgoal_sv,
    cast(g.subgoal_en as {{ dbt.type_string() }})         as subgoal_en,
    cast(g.national_goal_2016_id as {{ dbt.type_string() }}) as national_goal_2016_id,
    cast(g.is_strategy_subgoal as {{ dbt.type_boolean() }}) as is_strategy_subgoal,
    cast(g.n_indicators as {{ dbt.type_int() }})          as n_indicators_in_catalog,
    cast(g.n_indicators_counted as {{ dbt.type_int() }})  as n_indicators_counted,
    cast(g.n_indicators_ingested as {{ dbt.type_int() }}) as n_indicators_ingested,
    cast(g.n_indicators_with_public_source as {{ dbt.type_int() }}) as n_indicators_with_public_source,
    cast(coalesce(a.n_indicators_with_data, 0) as {{ dbt.type_int() }})          as n_indicators_with_data,
    cast(coalesce(a.n_indicators_with_parity_metric, 0) as {{ dbt.type_int() }}) as n_indicators_with_parity_metric,
    cast(coalesce(a.n_indicators_at_parity, 0) as {{ dbt.type_int() }})          as n_indicators_at_parity,
    cast(coalesce(a.n_indicators_toward_target, 0) as {{ dbt.type_int() }})      as n_indicators_toward_target,
    cast(coalesce(a.n_indicators_away_from_target, 0) as {{ dbt.type_int() }})   as n_indicators_away_from_target,
    cast(coalesce(a.n_indicators_unchanged, 0) as {{ dbt.type_int() }})          as n_indicators_unchanged,
    cast(coalesce(a.n_indicators_levelling_down, 0) as {{ dbt.type_int() }})     as n_indicators_levelling_down,
    cast(coalesce(a.n_indicators_repeated_value, 0) as {{ dbt.type_int() }})     as n_indicators_repeated_value,
    cast({{ jamstat_utils.safe_divide('a.n_indicators_at_parity', 'a.n_indicators_with_parity_metric') }}
         as {{ jamstat_utils.type_double() }})            as share_at_parity,
    cast(a.mean_abs_distance_women_share_pp as {{ jamstat_utils.type_double() }}) as mean_abs_distance_women_share_pp,
    cast(case
        when coalesce(a.n_indicators_with_data, 0) > 0 then 'data'
        when g.source_status = 'context_only' then 'context_only'
        when g.source_status = 'ingested' then 'no_data_yet'
        when g.source_status = 'public_source_not_ingested' then 'public_source_not_ingested'
        else 'no_public_source'
    end as {{ dbt.type_string() }})                       as followup_status,
    cast(g.publishers_not_ingested as {{ dbt.type_string() }}) as publishers_not_ingested
from spine as s
inner join goals as g on g.subgoal_key = s.subgoal_key
left join agg as a
    on a.subgoal_key = s.subgoal_key and a.area_code = s.area_code and a.year = s.year
   and a.birth_region = s.birth_region and a.age_group = s.age_group
