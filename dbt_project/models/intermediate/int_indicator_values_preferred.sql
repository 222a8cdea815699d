-- The preferred value per indicator x area x native period x sex x birth region x age group, where several source
-- series give one (int_indicator_values_aggregated holds every candidate; all are kept here, is_preferred marks one).
-- Precedence, in order: the catalog row's own source (Kolada for a Kolada row; a dropped file for an fk/bra/other
-- row), then another API (an alternative SCB table), then a dropped file, which therefore only fills keys the APIs
-- leave empty; then the series reported under the current area code (an old municipal code next to the current
-- one); then the most recently fetched.
with catalog as (
    select indicator_id, source as catalog_source from {{ ref('stg_catalog__indicators') }}
),
keyed as (
    select g.*, c.catalog_source
    from {{ ref('int_indicator_values_aggregated') }} as g
    left join catalog as c on c.indicator_id = g.indicator_id
),
key_hashed as {{ jamstat_utils.inline_cte() }} (
    select
        *,
        {{ jamstat_utils.key_hash(['indicator_id', 'area_code', 'period', 'sex', 'birth_region', 'age_group']) }}
            as key_hash
    from keyed
),
repeated_keys as (
    -- most keys have one candidate value, which is then the preferred one: only keys with several are ranked (found
    -- by hash: a collision only ranks a few more rows, and the ranking partitions by the key columns themselves)
    select key_hash
    from key_hashed
    group by key_hash
    having count(*) > 1
),
tagged as {{ jamstat_utils.inline_cte() }} (
    select k.*, r.key_hash is not null as is_repeated
    from key_hashed as k
    left join repeated_keys as r on r.key_hash = k.key_hash
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
    {{ indicator_value_grain(",\n    ") }},
    value, status, source, source_ref, source_area_code, batch_id, n_batches, fetched_at, n_source_rows,
    month_rollup, mapping_path, is_derived, derivation,
    key_rank = 1 as is_preferred
from ranked
