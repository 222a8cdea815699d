-- The preferred value per indicator x area x native period x sex x birth region x age group, where several source
-- series give one (int_indicator_values_aggregated holds every candidate; all are kept here, is_preferred marks one).
-- Precedence, in order: the catalog row's own source (Kolada for a Kolada row; a dropped file for an fk/bra/other
-- row), then another API (an alternative SCB table), then a dropped file, which therefore only fills keys the APIs
-- leave empty; then the series reported under the current area code (an old municipal code next to the current
-- one); then the most recently fetched.
{%- set key_hash = jamstat_utils.key_hash(['a.indicator_id', 'a.area_code', 'a.period', 'a.sex', 'a.birth_region',
                                              'a.age_group']) %}
with catalog as (
    select indicator_id, source as catalog_source from {{ ref('stg_catalog__indicators') }}
),
repeated_keys as (
    -- most keys have one candidate value, which is then the preferred one: only keys with several are ranked (found
    -- by key_hash: a collision only ranks a few more rows).
    -- The candidates are a table, so each branch below reads it again rather than sharing a copy of the wide rows.
    select {{ key_hash }} as key_hash
    from {{ ref('int_indicator_values_aggregated') }} as a
    group by {{ key_hash }}
    having count(*) > 1
),
ranked as (
    select a.*, 1 as key_rank
    from {{ ref('int_indicator_values_aggregated') }} as a
    where {{ key_hash }} not in (select key_hash from repeated_keys)
    union all
    select
        a.*,
        row_number() over (
            partition by a.indicator_id, a.area_code, a.period, a.sex, a.birth_region, a.age_group
            order by case when a.source = c.catalog_source
                            or (a.source = 'file' and c.catalog_source in ('fk', 'bra', 'other')) then 0
                          when a.source in ('kolada', 'scb') then 1
                          else 2 end,
                     case when a.source_area_code = a.area_code
                            or (a.source = 'kolada' and a.source_area_code = {{ dbt.concat(["'00'", "a.area_code"]) }})
                            or (a.source = 'kolada' and a.area_code = '00' and a.source_area_code = '0000')
                          then 0 else 1 end,
                     a.fetched_at desc, a.source_ref, a.source_area_code
        ) as key_rank
    from {{ ref('int_indicator_values_aggregated') }} as a
    left join catalog as c on c.indicator_id = a.indicator_id
    where {{ key_hash }} in (select key_hash from repeated_keys)
)
select
    {{ indicator_value_grain(",\n    ") }},
    value, status, source, source_ref, source_area_code, batch_id, n_batches, fetched_at, n_source_rows,
    month_rollup, mapping_path, is_derived, derivation,
    key_rank = 1 as is_preferred
from ranked
