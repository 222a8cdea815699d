-- Indicators the catalog defines as a ratio of source counts (declared in indicator_series_map with role
-- numerator / denominator), e.g. unemployment 15-24 = unemployed / (unemployed + employed) over two age
-- bands, or the AKU part-time share = employed 1-34 h / employed all hours bands.
--   value = 100 * sum(numerator rows) / sum(denominator rows), per indicator x area x native period x sex.
-- Computed from counts only (never by averaging rates). Null when any part is null (a missing part is never
-- read as 0), when a side has no rows, or when the denominator is 0. Always flagged derived.
{% set dbl = jamstat_utils.type_double() %}
with parts as (
    select * from {{ ref('int_observations_mapped') }} where role in ('numerator', 'denominator')
)
select
    {{ indicator_value_grain() }},
    max(case when role = 'numerator' then source_ref end)                      as source_ref,
    max(source)                                                                as source,
    max(source_area_code)                                                      as source_area_code,
    max(month_rollup)                                                          as month_rollup,
    'ratio'                                                                    as mapping_path,
    case
        when count(value) = count(*)
         and sum(case when role = 'numerator' then 1 else 0 end) > 0
         and sum(case when role = 'denominator' then 1 else 0 end) > 0
        then {{ jamstat_utils.safe_divide(
                "100.0 * sum(case when role = 'numerator' then value end)",
                "sum(case when role = 'denominator' then value end)") }}
    end                                                                        as value,
    max(status)                                                                as status,
    max(batch_id)                                                              as batch_id,
    count(distinct batch_id)                                                   as n_batches,
    max(fetched_at)                                                            as fetched_at,
    count(*)                                                                   as n_source_rows,
    sum(case when role = 'numerator' then 1 else 0 end)                        as n_numerator_rows,
    sum(case when role = 'denominator' then 1 else 0 end)                      as n_denominator_rows
from parts
group by {{ indicator_value_grain(', ') }}
