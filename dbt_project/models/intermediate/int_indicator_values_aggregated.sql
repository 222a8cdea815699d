-- One value per indicator x area x native period x sex x birth region x age group.
-- * dims_match '*': counts are summed over the extra dimensions (declared in indicator_series_map); the sum is
--   null if any part is null (a missing part is never read as 0) and, when it adds up more than one source
--   row, the row is flagged derived (a series with one dims combination passes through as published).
-- * Ratio indicators (roles numerator/denominator in indicator_series_map) come from int_indicator_values_ratios,
--   "gap in the N largest categories" indicators (roles rank_by/gap_of) from
--   int_indicator_values_largest_categories_gap.
-- * Several source series may land on one key. Precedence, in order: the catalog row's own source (Kolada for a
--   Kolada row; a dropped file for an fk/bra/other row), then another API (an alternative SCB table), then a
--   dropped file, which therefore only fills keys the APIs leave empty; then the series reported under the
--   current area code (an old municipal code next to the current one); then the most recently fetched.
with per_batch as (
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
    from {{ ref('int_observations_mapped') }}
    where role = 'value'
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
),
catalog as (
    select indicator_id, source as catalog_source from {{ ref('stg_catalog__indicators') }}
),
keyed as (
    select g.*, c.catalog_source
    from grouped as g
    left join catalog as c on c.indicator_id = g.indicator_id
),
repeated_keys as (
    -- most keys have one candidate value, which is then the preferred one: only keys with several are ranked
    select indicator_id, area_code, period, sex, birth_region, age_group
    from keyed
    group by indicator_id, area_code, period, sex, birth_region, age_group
    having count(*) > 1
),
tagged as {{ jamstat_utils.inline_cte() }} (
    select k.*, r.indicator_id is not null as is_repeated
    from keyed as k
    left join repeated_keys as r
        on r.indicator_id is not distinct from k.indicator_id and r.area_code is not distinct from k.area_code
       and r.period is not distinct from k.period and r.sex is not distinct from k.sex
       and r.birth_region is not distinct from k.birth_region and r.age_group is not distinct from k.age_group
),
ranked as (
    select *, 1 as key_rank
    from tagged
    where not is_repeated
    union all
    select
        *,
        row_number() over (
            partition by indicator_id, area_code, period, sex, birth_region, age_group
            order by case when source = catalog_source
                            or (source = 'file' and catalog_source in ('fk', 'bra', 'other')) then 0
                          when source in ('kolada', 'scb') then 1
                          else 2 end,
                     case when source_area_code = area_code
                            or (source = 'kolada' and source_area_code = {{ dbt.concat(["'00'", "area_code"]) }})
                            or (source = 'kolada' and area_code = '00' and source_area_code = '0000')
                          then 0 else 1 end,
                     fetched_at desc, source_ref, source_area_code
        ) as key_rank
    from tagged
    where is_repeated
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
    end as derivation,
    key_rank = 1 as is_preferred
from ranked
