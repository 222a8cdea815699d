-- Grain: indicator_id x area_code x year x birth_region x age_group (annual values; 'total' where a source has
-- no split, so women vs men within one birth region or age group compares like with like). Women vs men for every indicator, judged the way
-- dim_indicator says (judged_on, parity_metric, parity_tolerance, level_direction, min_meaningful_change):
--   parity rows (representation, sharing): women's share, target 50, at parity within the 40/60 rule;
--   gap rows: women's value as % of men's, target 100, at parity within the indicator's tolerance; a narrowing
--     gap is progress only if the worse-off sex moved the right way, and 'levelling_down' if it closed because
--     the better-off sex got worse;
--   higher/lower_is_better rows: women's own value where K/M exist (else the single value), plus the gap.
-- Changes within min_meaningful_change are 'unchanged'; a value a source repeats by design is not movement.
-- Totals come from the source (never K+M). Ratios are null on a null or zero denominator.
{% set dbl = jamstat_utils.type_double() %}
with values_annual as (
    select * from {{ ref('fct_indicator_value') }} where period_granularity = 'year'
),
pivoted as (
    select
        indicator_id,
        area_code,
        year,
        birth_region,
        age_group,
        max(case when sex = 'K' then value end) as value_women,
        max(case when sex = 'M' then value end) as value_men,
        max(case when sex = 'T' then value end) as value_total,
        max(case when is_derived then 1 else 0 end) as any_derived,
        max(batch_id) as batch_id
    from values_annual
    group by indicator_id, area_code, year, birth_region, age_group
),
lagged as (
    -- the previous year's values, windowed over these narrow rows: the measures derived from them below are the same
    -- functions of the previous values as of the current ones (one indicator per partition)
    select
        p.*,
        lag(p.year) over w        as previous_year,
        lag(p.value_women) over w as prev_women,
        lag(p.value_men) over w   as prev_men,
        lag(p.value_total) over w as prev_total
    from pivoted as p
    window w as (partition by p.indicator_id, p.area_code, p.birth_region, p.age_group order by p.year)
),
indicators as (
    select
        indicator_id, unit, measure_type, value_semantics, desired_direction, is_additive, counts_in_followup,
        judged_on, parity_metric, parity_target, parity_tolerance, level_direction, min_meaningful_change,
        repeats_by_design
    from {{ ref('dim_indicator') }}
),
{#- the same measures of this year's values (no prefix) and of the previous year's (prefix prev_) -#}
{%- set years = [('', 'p.value_women', 'p.value_men', 'p.value_total'),
                 ('prev_', 'p.prev_women', 'p.prev_men', 'p.prev_total')] %}
computed as (
    select
        p.*,
        i.unit, i.measure_type, i.value_semantics, i.desired_direction, i.counts_in_followup, i.judged_on,
        i.parity_metric, i.parity_target, i.parity_tolerance, i.level_direction, i.repeats_by_design,
        i.min_meaningful_change as threshold,
        {%- for pre, women, men, total in years %}
        case
            when i.value_semantics = 'by_sex' then {{ women }} - {{ men }}
            when i.value_semantics = 'gap_women_minus_men' then {{ total }}
        end as {{ pre }}gap_women_minus_men,
        case
            when i.value_semantics = 'by_sex' then {{ jamstat_utils.safe_divide(women, men) }}
            when i.value_semantics = 'women_pct_of_men' then {{ total }} / 100.0
            when i.value_semantics = 'women_share' then {{ jamstat_utils.safe_divide(total, '100.0 - ' ~ total) }}
            when i.value_semantics = 'men_share' then {{ jamstat_utils.safe_divide('100.0 - ' ~ total, total) }}
        end as {{ pre }}ratio_women_to_men,
        -- a women's share from K and M only where they are two parts of one whole: additive counts, or a parity
        -- row (the catalog's rule: its K and M are counts or shares of one total, never two rates)
        case
            when i.value_semantics = 'women_share' then {{ total }}
            when i.value_semantics = 'men_share' then 100.0 - {{ total }}
            when i.value_semantics = 'by_sex' and (i.is_additive or i.desired_direction = 'parity')
                then 100.0 * {{ jamstat_utils.safe_divide(women, women ~ ' + ' ~ men) }}
        end as {{ pre }}women_share,
        {%- endfor %}
        case
            when i.value_semantics = 'women_share' then 'reported_women_share'
            when i.value_semantics = 'men_share' then 'complement_of_reported_men_share'
            when i.value_semantics = 'by_sex' and i.is_additive then 'computed_from_counts'
            when i.value_semantics = 'by_sex' and i.desired_direction = 'parity' then 'computed_from_parts'
        end as women_share_basis
    from lagged as p
    inner join indicators as i on i.indicator_id = p.indicator_id
),
with_metric as (
    select
        c.*,
        {%- for pre, women, men, total in years %}
        case c.parity_metric
            when 'women_share' then c.{{ pre }}women_share
            when 'women_pct_of_men' then 100.0 * c.{{ pre }}ratio_women_to_men
        end as {{ pre }}parity_metric_value,
        -- the relative gap (women's value as % of men's) for the gap direction of rows without a parity metric
        abs(100.0 * c.{{ pre }}ratio_women_to_men - 100.0) as {{ pre }}relative_gap_distance{{ ',' if not loop.last }}
        {%- endfor %}
    from computed as c
),
moves as (
    select
        l.*,
        l.parity_metric_value - l.parity_target as distance_to_parity,
        abs(l.parity_metric_value - l.parity_target) as gap_now,
        abs(l.prev_parity_metric_value - l.parity_target) as gap_before,
        -- a value the source repeats by design (the same K, M and T as the previous year) is no new measurement
        coalesce(l.repeats_by_design and l.previous_year is not null
            and (l.value_women = l.prev_women or (l.value_women is null and l.prev_women is null))
            and (l.value_men = l.prev_men or (l.value_men is null and l.prev_men is null))
            and (l.value_total = l.prev_total or (l.value_total is null and l.prev_total is null))
            and coalesce(l.value_women, l.value_men, l.value_total) is not null, false) as is_repeated_value,
        {{ sex_move('l.value_women', 'l.prev_women', 'l.level_direction', 'l.threshold') }} as direction_women,
        {{ sex_move('l.value_men', 'l.prev_men', 'l.level_direction', 'l.threshold') }} as direction_men,
        {{ sex_move('l.value_total', 'l.prev_total', 'l.level_direction', 'l.threshold') }} as direction_total,
        case
            when l.level_direction = 'higher_is_better' and l.prev_women < l.prev_men then 'K'
            when l.level_direction = 'higher_is_better' and l.prev_men < l.prev_women then 'M'
            when l.level_direction = 'lower_is_better' and l.prev_women > l.prev_men then 'K'
            when l.level_direction = 'lower_is_better' and l.prev_men > l.prev_women then 'M'
        end as worse_off_sex
    from with_metric as l
),
gaps as (
    select
        v.*,
        case
            when v.is_repeated_value or v.desired_direction = 'context' then null
            when v.parity_metric is not null then {{ gap_move('v.gap_now', 'v.gap_before', 'v.threshold') }}
            else {{ gap_move('v.relative_gap_distance', 'v.prev_relative_gap_distance', 'v.threshold') }}
        end as gap_direction,
        case v.worse_off_sex when 'K' then v.direction_women when 'M' then v.direction_men end as worse_off_move,
        case v.worse_off_sex when 'K' then v.direction_men when 'M' then v.direction_women end as better_off_move
    from moves as v
),
judged as (
    select
        g.*,
        case
            when g.judged_on = 'women_share' then 'share'
            when g.judged_on = 'women_pct_of_men' and g.level_direction is not null
                 and g.value_semantics = 'by_sex' then 'relative_gap_and_levels'
            when g.judged_on = 'women_pct_of_men' then 'relative_gap'
            when g.judged_on = 'value_women' then 'women_value'
            when g.judged_on = 'value_total' then 'total_value'
        end as direction_basis
    from gaps as g
),
baseline as (
    select indicator_id, area_code, birth_region, age_group, value_total, gap_women_minus_men, parity_metric_value
    from with_metric
    where year = {{ var('baseline_year') }}
),
breaks as (
    select indicator_id, break_year from {{ ref('stg_catalog__series_breaks') }}
),
break_flags as (
    -- per indicator, year and previous year (a few thousand combinations), joined back to the rows by equality
    select
        y.indicator_id, y.year, y.previous_year,
        max(case when k.break_year > coalesce(y.previous_year, y.year) and k.break_year <= y.year
                 then 1 else 0 end) as since_previous_year,
        max(case when k.break_year > {{ var('baseline_year') }} and k.break_year <= y.year
                 then 1 else 0 end) as since_baseline
    from (select distinct indicator_id, year, previous_year from lagged) as y
    inner join breaks as k on k.indicator_id = y.indicator_id
    group by y.indicator_id, y.year, y.previous_year
)
select
    cast(l.indicator_id as {{ dbt.type_string() }})        as indicator_id,
    cast(l.area_code as {{ dbt.type_string() }})           as area_code,
    cast(l.year as {{ dbt.type_int() }})                   as year,
    cast(l.birth_region as {{ dbt.type_string() }})        as birth_region,
    cast(l.age_group as {{ dbt.type_string() }})           as age_group,
    cast(l.unit as {{ dbt.type_string() }})                as unit,
    cast(l.measure_type as {{ dbt.type_string() }})        as measure_type,
    cast(l.value_semantics as {{ dbt.type_string() }})     as value_semantics,
    cast(l.desired_direction as {{ dbt.type_string() }})   as desired_direction,
    cast(l.counts_in_followup as {{ dbt.type_boolean() }}) as counts_in_followup,
    cast(l.judged_on as {{ dbt.type_string() }})           as judged_on,
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
    cast(l.parity_tolerance as {{ dbl }})                  as parity_tolerance,
    cast(l.distance_to_parity as {{ dbl }})                as distance_to_parity,
    cast(case when l.distance_to_parity is not null then abs(l.distance_to_parity) <= l.parity_tolerance end
         as {{ dbt.type_boolean() }})                      as is_at_parity,
    cast(l.previous_year as {{ dbt.type_int() }})          as previous_year,
    cast(l.value_women - l.prev_women as {{ dbl }})        as value_women_change_prev_year,
    cast(l.value_men - l.prev_men as {{ dbl }})            as value_men_change_prev_year,
    cast(l.value_total - l.prev_total as {{ dbl }})        as value_total_change_prev_year,
    cast(l.gap_women_minus_men - l.prev_gap_women_minus_men as {{ dbl }}) as gap_change_prev_year,
    cast(l.parity_metric_value - l.prev_parity_metric_value as {{ dbl }}) as parity_metric_change_prev_year,
    cast(l.threshold as {{ dbl }})                         as min_meaningful_change,
    cast(l.is_repeated_value as {{ dbt.type_boolean() }})  as is_repeated_value,
    cast(case when not l.is_repeated_value then l.direction_women end as {{ dbt.type_string() }}) as direction_women,
    cast(case when not l.is_repeated_value then l.direction_men end as {{ dbt.type_string() }})   as direction_men,
    cast(case when not l.is_repeated_value then l.worse_off_sex end as {{ dbt.type_string() }})   as worse_off_sex,
    cast(l.gap_direction as {{ dbt.type_string() }})       as gap_direction,
    cast(l.direction_basis as {{ dbt.type_string() }})     as direction_basis,
    cast(case
        when l.is_repeated_value then null
        when l.direction_basis = 'relative_gap_and_levels' and l.gap_direction = 'narrowing' then
            case
                when l.worse_off_move is null then 'toward_target'
                when l.worse_off_move = 'improved' then 'toward_target'
                when l.better_off_move = 'worsened' then 'levelling_down'
                else 'unchanged'
            end
        when l.direction_basis in ('share', 'relative_gap', 'relative_gap_and_levels') then
            case l.gap_direction
                when 'narrowing' then 'toward_target'
                when 'widening' then 'away_from_target'
                when 'unchanged' then 'unchanged'
            end
        when l.direction_basis in ('women_value', 'total_value') then
            case case l.direction_basis when 'women_value' then l.direction_women else l.direction_total end
                when 'improved' then 'toward_target'
                when 'worsened' then 'away_from_target'
                when 'unchanged' then 'unchanged'
            end
    end as {{ dbt.type_string() }})                        as direction_of_change,
    cast({{ var('baseline_year') }} as {{ dbt.type_int() }}) as baseline_year,
    cast(l.value_total - b.value_total as {{ dbl }})       as value_total_change_since_baseline,
    cast(l.gap_women_minus_men - b.gap_women_minus_men as {{ dbl }}) as gap_change_since_baseline,
    cast(l.parity_metric_value - b.parity_metric_value as {{ dbl }}) as parity_metric_change_since_baseline,
    cast(coalesce(f.since_previous_year = 1, false) as {{ dbt.type_boolean() }}) as has_break_since_previous_year,
    cast(coalesce(f.since_baseline = 1, false) as {{ dbt.type_boolean() }})      as has_break_since_baseline,
    cast(l.any_derived = 1 as {{ dbt.type_boolean() }})    as is_derived,
    cast(l.batch_id as {{ dbt.type_string() }})            as batch_id
from judged as l
left join baseline as b
    on b.indicator_id = l.indicator_id and b.area_code = l.area_code
   and b.birth_region = l.birth_region and b.age_group = l.age_group
left join break_flags as f
    on f.indicator_id = l.indicator_id and f.year = l.year
   and coalesce(f.previous_year, -1) = coalesce(l.previous_year, -1)  -- -1: no previous year, an equi-join
