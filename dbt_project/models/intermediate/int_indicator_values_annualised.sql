-- Native-period values (preferred series only) plus declared annual roll-ups of monthly series:
--   december: stock measures - the annual value is the December value (31 Dec); no December, no annual value.
--   sum12 / mean12: flows - only complete years (12 non-null months) give an annual value.
--   none: monthly only.
-- An annual row that the source itself publishes always wins over a roll-up.
with native as (
    select * from {{ ref('int_indicator_values_preferred') }} where is_preferred
),
monthly as (
    select * from native where period_granularity = 'month' and month_rollup in ('december', 'sum12', 'mean12')
),
year_stats as (
    select
        indicator_id, area_code, year, sex, birth_region, age_group, month_rollup,
        count(distinct month)                                    as n_months,
        count(value)                                             as n_values,
        sum(value)                                               as sum_value,
        avg(value)                                               as mean_value,
        max(case when month = 12 then 1 else 0 end)              as has_december,
        max(batch_id)                                            as batch_id,
        max(fetched_at)                                          as fetched_at,
        max(source)                                              as source,
        max(source_ref)                                          as source_ref,
        sum(n_source_rows)                                       as n_source_rows,
        count(distinct batch_id)                                 as n_batches
    from monthly
    group by indicator_id, area_code, year, sex, birth_region, age_group, month_rollup
),
december as (
    select indicator_id, area_code, year, sex, birth_region, age_group, value, status, batch_id, fetched_at
    from monthly where month = 12
),
rolled as (
    select
        y.indicator_id,
        y.area_code,
        cast(y.year as {{ dbt.type_string() }}) as period,
        'year' as period_granularity,
        y.year,
        cast(null as {{ dbt.type_int() }}) as month,
        y.sex,
        y.birth_region,
        y.age_group,
        case
            when y.month_rollup = 'december' then d.value
            when y.month_rollup = 'sum12' and y.n_months = 12 and y.n_values = 12 then y.sum_value
            when y.month_rollup = 'mean12' and y.n_months = 12 and y.n_values = 12 then y.mean_value
        end as value,
        case when y.month_rollup = 'december' then d.status end as status,
        y.source,
        y.source_ref,
        cast(null as {{ dbt.type_string() }}) as source_area_code,
        case when y.month_rollup = 'december' then d.batch_id else y.batch_id end as batch_id,
        y.n_batches,
        case when y.month_rollup = 'december' then d.fetched_at else y.fetched_at end as fetched_at,
        y.n_source_rows,
        y.month_rollup,
        'rollup' as mapping_path,
        true as is_derived,
        case y.month_rollup
            when 'december' then 'annual value = December (stock at 31 Dec)'
            when 'sum12' then 'annual value = sum of 12 months'
            when 'mean12' then 'annual value = mean of 12 months'
        end as derivation
    from year_stats as y
    left join december as d
        on d.indicator_id = y.indicator_id and d.area_code = y.area_code
       and d.year = y.year and d.sex = y.sex
       and d.birth_region = y.birth_region and d.age_group = y.age_group
    where (y.month_rollup = 'december' and y.has_december = 1)
       or (y.month_rollup in ('sum12', 'mean12') and y.n_months = 12 and y.n_values = 12)
)
select
    indicator_id, area_code, period, period_granularity, year, month, sex, birth_region, age_group, value, status,
    source, source_ref, source_area_code, batch_id, n_batches, fetched_at, n_source_rows,
    month_rollup, mapping_path, is_derived, derivation
from native
union all
select r.*
from rolled as r
where not exists (
    select 1 from native as n
    where n.indicator_id = r.indicator_id and n.area_code = r.area_code
      and n.period = r.period and n.sex = r.sex
      and n.birth_region = r.birth_region and n.age_group = r.age_group
)
