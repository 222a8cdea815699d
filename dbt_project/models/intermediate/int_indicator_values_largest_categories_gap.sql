-- Indicators defined over "the N largest categories of one dimension" (indicator_series_map roles rank_by /
-- gap_of), e.g. pay in the county's ten largest occupations: rank the occupations (Yrke2012) by their number of
-- employees (rank_by: both sexes), then average women's and men's monthly pay (gap_of) over the top N. The women's
-- mean minus the men's is the mean gap; the women's mean as % of the men's judges it without wage inflation.
--   * Aggregate categories (all occupations, other, unknown) are not occupations and are never ranked:
--     var largest_categories_exclude lists their codes.
--   * Both means are null unless all N largest categories have both a women's and a men's value (a suppressed
--     salary is never skipped, which would bias the means towards the published occupations).
--   * Stored as sex K and M (value_semantics by_sex); no total.
{% set n = var('largest_categories_n') %}
{% set dim = var('largest_categories_dimension') %}
-- parts is read three times, each with its own filters: inlined, each read scans only what it needs instead of
-- a materialised copy of every part row
with parts as {{ jamstat_utils.inline_cte() }} (
    select
        *,
        {{ dbt.split_part(dbt.split_part("dims_key", "'\"" ~ dim ~ "\":\"'", 2), "'\"'", 1) }} as category
    from {{ ref('int_observations_mapped') }}
    where role in ('rank_by', 'gap_of')
),
ranked as (
    select
        indicator_id, area_code, period, birth_region, age_group, category, value as size,
        row_number() over (
            partition by indicator_id, area_code, period, birth_region, age_group
            order by case when value is null then 1 else 0 end, value desc, category
        ) as size_rank
    from parts
    where role = 'rank_by'
      and sex = 'T'
      and category not in ({% for c in var('largest_categories_exclude') %}'{{ c }}'{% if not loop.last %}, {% endif %}{% endfor %})
),
largest as (
    select * from ranked where size_rank <= {{ n }} and size is not null
),
gaps as (
    select
        l.indicator_id, l.area_code, l.period, l.birth_region, l.age_group, l.category,
        max(case when p.sex = 'K' then p.value end) as women,
        max(case when p.sex = 'M' then p.value end) as men,
        max(case when p.sex = 'K' then p.value end) - max(case when p.sex = 'M' then p.value end) as gap
    from largest as l
    inner join parts as p
        on p.indicator_id = l.indicator_id and p.area_code = l.area_code and p.period = l.period
       and p.birth_region = l.birth_region and p.age_group = l.age_group
       and p.category = l.category and p.role = 'gap_of' and p.sex in ('K', 'M')
    group by l.indicator_id, l.area_code, l.period, l.birth_region, l.age_group, l.category
),
gap_means as (
    select
        indicator_id, area_code, period, birth_region, age_group,
        case when count(gap) = {{ n }} then avg(women) end as value_women,
        case when count(gap) = {{ n }} then avg(men) end as value_men,
        count(*)   as n_categories,
        count(gap) as n_categories_with_gap
    from gaps
    group by indicator_id, area_code, period, birth_region, age_group
),
lineage as (
    select
        indicator_id, area_code, period, birth_region, age_group,
        max(period_granularity) as period_granularity,
        max(year)               as year,
        max(month)              as month,
        max(source)             as source,
        max(case when role = 'gap_of' then source_ref end) as source_ref,
        max(source_area_code)   as source_area_code,
        max(month_rollup)       as month_rollup,
        max(status)             as status,
        max(batch_id)           as batch_id,
        count(distinct batch_id) as n_batches,
        max(fetched_at)         as fetched_at,
        count(*)                as n_source_rows
    from parts
    group by indicator_id, area_code, period, birth_region, age_group
)
select
    g.indicator_id,
    g.area_code,
    g.period,
    li.period_granularity,
    li.year,
    li.month,
    s.sex,
    g.birth_region,
    g.age_group,
    li.source_ref,
    li.source,
    li.source_area_code,
    li.month_rollup,
    'largest_categories_gap' as mapping_path,
    case s.sex when 'K' then g.value_women else g.value_men end as value,
    li.status,
    li.batch_id,
    li.n_batches,
    li.fetched_at,
    li.n_source_rows,
    g.n_categories,
    g.n_categories_with_gap
from gap_means as g
cross join (select 'K' as sex union all select 'M') as s
inner join lineage as li
    on li.indicator_id = g.indicator_id and li.area_code = g.area_code and li.period = g.period
   and li.birth_region = g.birth_region and li.age_group = g.age_group
