-- Indicators the catalog defines as a ratio of source counts (declared in indicator_series_map with role
-- numerator / denominator), e.g. unemployment 15-24 = unemployed / (unemployed + employed) over two age
-- bands, or the AKU part-time share = employed 1-34 h / employed all hours bands.
--   value = 100 * sum(numerator rows) / sum(denominator rows), per indicator x area x native period x sex.
-- Computed from counts only (never by averaging rates). Null when any part is null (a missing part is never
-- read as 0), when a side has no rows, or when the denominator is 0. Always flagged derived.
with parts as (
    select * from {{ ref('int_observations_mapped') }} where role in ('numerator', 'denominator')
),
per_batch as (
    -- first per batch, then per key: the number of batches is then a plain count, which is much cheaper than a
    -- count(distinct) over millions of keys
    select
        {{ indicator_value_grain(",\n        ") }},
        batch_id,
        max(case when role = 'numerator' then source_ref end)      as source_ref,
        max(source)                                                as source,
        max(source_area_code)                                      as source_area_code,
        max(month_rollup)                                          as month_rollup,
        count(value)                                               as n_values,
        max(status)                                                as status,
        max(fetched_at)                                            as fetched_at,
        count(*)                                                   as n_source_rows,
        sum(case when role = 'numerator' then 1 else 0 end)        as n_numerator_rows,
        sum(case when role = 'denominator' then 1 else 0 end)      as n_denominator_rows,
        sum(case when role = 'numerator' then value end)           as numerator,
        sum(case when role = 'denominator' then value end)         as denominator
    from parts
    group by {{ indicator_value_grain(', ') }}, batch_id
)
select
    {{ indicator_value_grain() }},
    max(source_ref)                                                            as source_ref,
    max(source)                                                                as source,
    max(source_area_code)                                                      as source_area_code,
    max(month_rollup)                                                          as month_rollup,
    'ratio'                                                                    as mapping_path,
    case
        when sum(n_values) = sum(n_source_rows)
         and sum(n_numerator_rows) > 0
         and sum(n_denominator_rows) > 0
        then {{ jamstat_utils.safe_divide("100.0 * sum(numerator)", "sum(denominator)") }}
    end                                                                        as value,
    max(status)                                                                as status,
    max(batch_id)                                                              as batch_id,
    count(batch_id)                                                            as n_batches,
    max(fetched_at)                                                            as fetched_at,
    sum(n_source_rows)                                                         as n_source_rows,
    sum(n_numerator_rows)                                                      as n_numerator_rows,
    sum(n_denominator_rows)                                                    as n_denominator_rows
from per_batch
group by {{ indicator_value_grain(', ') }}
