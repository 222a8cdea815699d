-- Grain: indicator_id x area_code x year (annual values). Women vs men for every indicator, with the
-- parity metric chosen by measure_type / value_semantics / desired_direction:
--   women_share (target 50): reported women's share, 100 - reported men's share, or 100*K/(K+M) for additive units
--   ratio_women_to_men_pct (target 100): 100*K/M, or a reported "women's X as % of men's"
--   gap_women_minus_men (target 0): a reported women-minus-men gap (no scale-free tolerance -> at_parity null)
-- Totals come from the source (never K+M). Ratios are null on a null or zero denominator.
{% set share_tol = var('parity_share_tolerance_pp') %}
{% set ratio_tol = var('parity_ratio_tolerance_pct') %}
{% set thr = var('movement_threshold') %}
{% set dbl = jamstat_utils.type_double() %}
with values_annual as (
    select * from {{ ref('fct_indicator_value') }} where period_granularity = 'year'
),
pivoted as (
    select
        indicator_id,
        area_code,
        year,
        max(case when sex = 'K' then value end) as value_women,
        max(case when sex = 'M' then value end) as value_men,
        max(case when sex = 'T' then value end) as value_total,
        max(case when is_derived then 1 else 0 end) as any_derived,
        max(batch_id) as batch_id
    from values_annual
    group by indicator_id, area_code, year
),
indicators as (
    select
        indicator_id, unit, measure_type, value_semantics, desired_direction, is_additive,
        case
            when desired_direction not in ('parity', 'gap_to_zero') then null
            when value_semantics in ('women_share', 'men_share') then 'women_share'
            when value_semantics = 'by_sex' and is_additive then 'women_share'
            when value_semantics = 'gap_women_minus_men' then 'gap_women_minus_men'
            when value_semantics in ('by_sex', 'women_pct_of_men') then 'ratio_women_to_men_pct'
        end as parity_metric
    from {{ ref('dim_indicator') }}
),
computed as (
    select
        p.indicator_id,
        p.area_code,
        p.year,
        i.unit,
        i.measure_type,
        i.value_semantics,
        i.desired_direction,
        i.parity_metric,
        p.value_women,
        p.value_men,
        p.value_total,
        case
            when i.value_semantics = 'by_sex' then p.value_women - p.value_men
            when i.value_semantics = 'gap_women_minus_men' then p.value_total
        end as gap_women_minus_men,
        case
            when i.value_semantics = 'by_sex' then {{ jamstat_utils.safe_divide('p.value_women', 'p.value_men') }}
            when i.value_semantics = 'women_pct_of_men' then p.value_total / 100.0
            when i.value_semantics = 'women_share' then {{ jamstat_utils.safe_divide('p.value_total', '100.0 - p.value_total') }}
            when i.value_semantics = 'men_share' then {{ jamstat_utils.safe_divide('100.0 - p.value_total', 'p.value_total') }}
        end as ratio_women_to_men,
        case
            when i.value_semantics = 'women_share' then p.value_total
            when i.value_semantics = 'men_share' then 100.0 - p.value_total
            when i.value_semantics = 'by_sex' and i.is_additive
                then 100.0 * {{ jamstat_utils.safe_divide('p.value_women', 'p.value_women + p.value_men') }}
        end as women_share,
        case
            when i.value_semantics = 'women_share' then 'reported_women_share'
            when i.value_semantics = 'men_share' then 'complement_of_reported_men_share'
            when i.value_semantics = 'by_sex' and i.is_additive then 'computed_from_counts'
        end as women_share_basis,
        p.any_derived = 1 as is_derived,
        p.batch_id
    from pivoted as p
    inner join indicators as i on i.indicator_id = p.indicator_id
),
with_metric as (
    select
        c.*,
        case c.parity_metric
            when 'women_share' then 50.0
            when 'ratio_women_to_men_pct' then 100.0
            when 'gap_women_minus_men' then 0.0
        end as parity_target,
        case c.parity_metric
            when 'women_share' then c.women_share
            when 'ratio_women_to_men_pct' then 100.0 * c.ratio_women_to_men
            when 'gap_women_minus_men' then c.gap_women_minus_men
        end as parity_metric_value,
        -- the level judged by higher_is_better / lower_is_better (the total, or the single value)
        case when c.desired_direction in ('higher_is_better', 'lower_is_better') then c.value_total end as level_value
    from computed as c
),
with_distance as (
    select
        m.*,
        m.parity_metric_value - m.parity_target as distance_to_parity,
        lag(m.year) over (partition by m.indicator_id, m.area_code order by m.year) as previous_year
    from with_metric as m
),
with_lags as (
    select
        d.*,
        lag(d.value_total) over w          as prev_value_total,
        lag(d.gap_women_minus_men) over w  as prev_gap,
        lag(d.parity_metric_value) over w  as prev_metric,
        lag(d.distance_to_parity) over w   as prev_distance,
        lag(d.level_value) over w          as prev_level
    from with_distance as d
    window w as (partition by d.indicator_id, d.area_code order by d.year)
),
baseline as (
    select indicator_id, area_code, value_total, gap_women_minus_men, parity_metric_value
    from with_distance
    where year = {{ var('baseline_year') }}
),
breaks as (
    select indicator_id, break_year from {{ ref('stg_catalog__series_breaks') }}
)
select
    cast(l.indicator_id as {{ dbt.type_string() }})        as indicator_id,
    cast(l.area_code as {{ dbt.type_string() }})           as area_code,
    cast(l.year as {{ dbt.type_int() }})                   as year,
    cast(l.unit as {{ dbt.type_string() }})                as unit,
    cast(l.measure_type as {{ dbt.type_string() }})        as measure_type,
    cast(l.value_semantics as {{ dbt.type_string() }})     as value_semantics,
    cast(l.desired_direction as {{ dbt.type_string() }})   as desired_direction,
    cast(l.value_women as {{ dbl }})                       as value_women,
    cast(l.value_men as {{ dbl }})                         as value_men,
    cast(l.value_total as {{ dbl }})                       as value_total,
    cast(l.gap_women_minus_men as {{ dbl }})               as gap_women_minus_men,
    cast(l.ratio_women_to_men as {{ dbl }})                as ratio_women_to_men,
    cast(l.women_share as {{ dbl }})                       as women_share,
    cast(l.women_share_basis as {{ dbt.type_string() }})   as women_share_basis,
    cast(l.parity_metric as {{ dbt.type_string() }})       as parity_metric,
    cast(l.parity_metric_value as {{ dbl }})               as parity_metric_value,
    cast(l.parity_target as {{ dbl }})                     as parity_target,
    cast(l.distance_to_parity as {{ dbl }})                as distance_to_parity,
    cast(case
        when l.distance_to_parity is null then null
        when l.parity_metric = 'women_share' then abs(l.distance_to_parity) <= {{ share_tol }}
        when l.parity_metric = 'ratio_women_to_men_pct' then abs(l.distance_to_parity) <= {{ ratio_tol }}
        when l.parity_metric = 'gap_women_minus_men' then l.distance_to_parity = 0
    end as {{ dbt.type_boolean() }})                       as is_at_parity,
    cast(l.previous_year as {{ dbt.type_int() }})          as previous_year,
    cast(l.value_total - l.prev_value_total as {{ dbl }})  as value_total_change_prev_year,
    cast(l.gap_women_minus_men - l.prev_gap as {{ dbl }})  as gap_change_prev_year,
    cast(l.parity_metric_value - l.prev_metric as {{ dbl }}) as parity_metric_change_prev_year,
    cast(case
        when l.parity_metric is not null then
            case
                when l.distance_to_parity is null or l.prev_distance is null then null
                when abs(l.distance_to_parity) < abs(l.prev_distance) - {{ thr }} then 'toward_target'
                when abs(l.distance_to_parity) > abs(l.prev_distance) + {{ thr }} then 'away_from_target'
                else 'unchanged'
            end
        when l.desired_direction in ('higher_is_better', 'lower_is_better') then
            case
                when l.level_value is null or l.prev_level is null then null
                when abs(l.level_value - l.prev_level) <= {{ thr }} then 'unchanged'
                when (l.level_value > l.prev_level) = (l.desired_direction = 'higher_is_better') then 'toward_target'
                else 'away_from_target'
            end
    end as {{ dbt.type_string() }})                        as direction_of_change,
    cast({{ var('baseline_year') }} as {{ dbt.type_int() }}) as baseline_year,
    cast(l.value_total - b.value_total as {{ dbl }})       as value_total_change_since_baseline,
    cast(l.gap_women_minus_men - b.gap_women_minus_men as {{ dbl }}) as gap_change_since_baseline,
    cast(l.parity_metric_value - b.parity_metric_value as {{ dbl }}) as parity_metric_change_since_baseline,
    cast(exists (
        select 1 from breaks as k
        where k.indicator_id = l.indicator_id
          and k.break_year > coalesce(l.previous_year, l.year) and k.break_year <= l.year
    ) as {{ dbt.type_boolean() }})                         as has_break_since_previous_year,
    cast(exists (
        select 1 from breaks as k
        where k.indicator_id = l.indicator_id
          and k.break_year > {{ var('baseline_year') }} and k.break_year <= l.year
    ) as {{ dbt.type_boolean() }})                         as has_break_since_baseline,
    cast(l.is_derived as {{ dbt.type_boolean() }})         as is_derived,
    cast(l.batch_id as {{ dbt.type_string() }})            as batch_id
from with_lags as l
left join baseline as b
    on b.indicator_id = l.indicator_id and b.area_code = l.area_code
