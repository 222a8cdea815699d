-- One value per indicator x area x native period x sex x birth region x age group and source series: the candidate
-- values that int_indicator_values_preferred chooses among (a table, so the choice reads it twice without rebuilding
-- the sums).
-- * dims_match '*': counts are summed over the extra dimensions (declared in indicator_series_map); the sum is
--   null if any part is null (a missing part is never read as 0) and, when it adds up more than one source
--   row, the row is flagged derived (a series with one dims combination passes through as published).
-- * Ratio indicators (roles numerator/denominator in indicator_series_map) come from int_indicator_values_ratios,
--   "gap in the N largest categories" indicators (roles rank_by/gap_of) from
--   int_indicator_values_largest_categories_gap.
with mapped_values as {{ jamstat_utils.inline_cte() }} (
    select * from {{ ref('int_observations_mapped') }} where role = 'value'
),
per_batch as (
    -- first per batch, then per key: the number of batches is then a plain count, which is much cheaper than a
    -- count(distinct) over millions of keys
    select
        {{ indicator_value_grain(",\n        ") }},
        source,
        source_ref,
        source_area_code,
        month_rollup,
        mapping_path,
        batch_id,
        count(value)    as n_values,
        sum(value)      as sum_value,
        max(status)     as status,
        max(fetched_at) as fetched_at,
        count(*)        as n_source_rows
    from mapped_values
    where not coalesce(is_single_series, false)  -- unknown: the safe path, summing
    group by
        {{ indicator_value_grain(', ') }},
        source, source_ref, source_area_code, month_rollup, mapping_path, batch_id
),
grouped as (
    select
        {{ indicator_value_grain(",\n        ") }},
        source,
        source_ref,
        source_area_code,
        month_rollup,
        mapping_path,
        case when sum(n_values) = sum(n_source_rows) then sum(sum_value) end as value,
        max(status)                                           as status,
        max(batch_id)                                         as batch_id,
        count(batch_id)                                       as n_batches,
        max(fetched_at)                                       as fetched_at,
        sum(n_source_rows)                                    as n_source_rows,
        cast(null as {{ dbt.type_string() }})                 as derivation_detail
    from per_batch
    group by
        {{ indicator_value_grain(', ') }},
        source, source_ref, source_area_code, month_rollup, mapping_path
    union all
    -- a single-series rule: each key is one observation row, so the sums above would return the row itself
    select
        {{ indicator_value_grain(', ') }},
        source, source_ref, source_area_code, month_rollup, mapping_path,
        value, status, batch_id,
        case when batch_id is null then 0 else 1 end                        as n_batches,
        fetched_at,
        1                                                                   as n_source_rows,
        cast(null as {{ dbt.type_string() }})                               as derivation_detail
    from mapped_values
    where is_single_series
    union all
    select
        {{ indicator_value_grain(', ') }},
        source, source_ref, source_area_code, month_rollup, mapping_path,
        value, status, batch_id, n_batches, fetched_at, n_source_rows,
        {{ dbt.concat(["cast(n_numerator_rows as " ~ dbt.type_string() ~ ")", "' / '",
                       "cast(n_denominator_rows as " ~ dbt.type_string() ~ ")"]) }} as derivation_detail
    from {{ ref('int_indicator_values_ratios') }}
    union all
    select
        {{ indicator_value_grain(', ') }},
        source, source_ref, source_area_code, month_rollup, mapping_path,
        value, status, batch_id, n_batches, fetched_at, n_source_rows,
        {{ dbt.concat(["cast(n_categories_with_gap as " ~ dbt.type_string() ~ ")", "' of '",
                       "cast(n_categories as " ~ dbt.type_string() ~ ")",
                       "' largest " ~ var('largest_categories_dimension') ~ " categories with both values'"]) }}
            as derivation_detail
    from {{ ref('int_indicator_values_largest_categories_gap') }}
)
select
    indicator_id,
    area_code,
    period,
    period_granularity,
    year,
    month,
    sex,
    birth_region,
    age_group,
    value,
    status,
    source,
    source_ref,
    source_area_code,
    batch_id,
    n_batches,
    fetched_at,
    n_source_rows,
    month_rollup,
    mapping_path,
    (mapping_path in ('ratio', 'largest_categories_gap') or n_source_rows > 1) as is_derived,
    case when mapping_path = 'largest_categories_gap'
         then {{ dbt.concat(["'mean over the largest categories ('", "derivation_detail", "')'"]) }}
         when mapping_path = 'ratio'
         then {{ dbt.concat(["'100 * sum of numerator / sum of denominator source rows ('", "derivation_detail", "')'"]) }}
         when n_source_rows > 1
         then {{ dbt.concat(["'sum over extra dimensions of '", "cast(n_source_rows as " ~ dbt.type_string() ~ ")", "' source rows'"]) }}
    end as derivation
from grouped
