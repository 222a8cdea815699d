-- Grain: indicator_id x area_code x period x sex x birth_region x age_group (birth region and age group are
-- 'total' where a source has no split). Source values only (totals are never forced to equal
-- women + men); annual roll-ups of monthly series and sums over extra dimensions are flagged is_derived.
select
    cast(v.indicator_id as {{ dbt.type_string() }})      as indicator_id,
    cast(v.area_code as {{ dbt.type_string() }})         as area_code,
    cast(v.period as {{ dbt.type_string() }})            as period,
    cast(v.period_granularity as {{ dbt.type_string() }}) as period_granularity,
    cast(v.year as {{ dbt.type_int() }})                 as year,
    cast(v.month as {{ dbt.type_int() }})                as month,
    cast(v.sex as {{ dbt.type_string() }})               as sex,
    cast(v.birth_region as {{ dbt.type_string() }})      as birth_region,
    cast(v.age_group as {{ dbt.type_string() }})         as age_group,
    cast(v.value as {{ jamstat_utils.type_double() }})   as value,
    cast(v.status as {{ dbt.type_string() }})            as status,
    cast(i.unit as {{ dbt.type_string() }})              as unit,
    cast(v.source as {{ dbt.type_string() }})            as source,
    cast(v.source_ref as {{ dbt.type_string() }})        as source_ref,
    cast(v.source_area_code as {{ dbt.type_string() }})  as source_area_code,
    cast(v.is_derived as {{ dbt.type_boolean() }})       as is_derived,
    cast(v.derivation as {{ dbt.type_string() }})        as derivation,
    cast(v.n_source_rows as {{ dbt.type_int() }})        as n_source_rows,
    cast(v.batch_id as {{ dbt.type_string() }})          as batch_id,
    cast(v.fetched_at as {{ dbt.type_timestamp() }})     as fetched_at
from {{ ref('int_indicator_values_annualised') }} as v
inner join {{ ref('dim_indicator') }} as i on i.indicator_id = v.indicator_id
