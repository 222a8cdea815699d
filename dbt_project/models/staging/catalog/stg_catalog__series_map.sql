-- Declared observation-series -> indicator mapping for series whose ref is not the catalog source_ref, or
-- whose rows are the parts of a ratio (role numerator / denominator), or one birth region / age group of an
-- indicator's breakdown.
select
    cast(source as {{ dbt.type_string() }})       as source,
    cast(source_ref as {{ dbt.type_string() }})   as source_ref,
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(dims_match as {{ dbt.type_string() }})   as dims_match,
    cast(month_rollup as {{ dbt.type_string() }}) as month_rollup,
    cast(coalesce(nullif(trim(role), ''), 'value') as {{ dbt.type_string() }}) as role,
    -- the breakdown the rule's rows are: blank = total (the source has no split, or the rule sums over it)
    cast(coalesce(nullif(trim(birth_region), ''), 'total') as {{ dbt.type_string() }}) as birth_region,
    cast(coalesce(nullif(trim(age_group), ''), 'total') as {{ dbt.type_string() }})    as age_group,
    cast(note as {{ dbt.type_string() }})         as mapping_note
from {{ ref('indicator_series_map') }}
