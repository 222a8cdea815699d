{#- Shared body of the stg_<source>__observations views: 1:1 with raw.observations rows of one source,
    typed with portable casts, no joins and no deduplication (that is int_observations_deduplicated). -#}
{% macro stage_observations(source_name) %}
select
    cast(source as {{ dbt.type_string() }})                      as source,
    cast(trim(source_ref) as {{ dbt.type_string() }})            as source_ref,
    cast(trim(area_code) as {{ dbt.type_string() }})             as source_area_code,
    cast(trim(period) as {{ dbt.type_string() }})                as period,
    cast(upper(trim(sex)) as {{ dbt.type_string() }})            as sex,
    cast(value as {{ jamstat_utils.type_double() }})             as value,
    cast(nullif(trim(status), '') as {{ dbt.type_string() }})    as status,
    cast(coalesce(nullif(trim(dims), ''), '{}') as {{ dbt.type_string() }}) as dims,
    coalesce(cast(is_deleted as {{ dbt.type_boolean() }}), false) as is_deleted,
    cast(batch_id as {{ dbt.type_string() }})                    as batch_id,
    cast(fetched_at as {{ dbt.type_timestamp() }})               as fetched_at
from {{ source(source_name, 'observations') }}
where source = '{{ source_name }}'
{% endmacro %}
