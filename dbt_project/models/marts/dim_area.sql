-- Country, 21 counties and 290 municipalities with SCB and Kolada codes and code history.
with areas as (
    select * from {{ ref('int_areas_unified') }}
),
history as (
    select
        current_code,
        {{ jamstat_utils.ordered_listagg("old_code || ' (' || change_type || ' ' || cast(change_year as " ~ dbt.type_string() ~ ") || ')'", "'; '", ["change_year", "old_code"]) }} as code_history
    from {{ ref('stg_reference__area_code_changes') }}
    where change_type <> 'alias'
    group by current_code
),
aliases as (
    select
        current_code,
        {{ jamstat_utils.ordered_listagg("old_code", "','", ["old_code"]) }} as alias_codes
    from {{ ref('stg_reference__area_code_changes') }}
    where change_type = 'alias'
    group by current_code
),
former as (
    select
        current_code,
        {{ jamstat_utils.ordered_listagg("old_code", "','", ["old_code"]) }} as former_codes
    from {{ ref('stg_reference__area_code_changes') }}
    where change_type = 'recoded'
    group by current_code
)
select
    cast(a.area_code as {{ dbt.type_string() }})   as area_code,
    cast(a.area_name as {{ dbt.type_string() }})   as area_name,
    cast(a.area_level as {{ dbt.type_string() }})  as area_level,
    cast(a.level_order as {{ dbt.type_int() }})    as area_level_order,
    cast(a.county_code as {{ dbt.type_string() }}) as county_code,
    cast(a.county_name as {{ dbt.type_string() }}) as county_name,
    cast(a.kolada_id as {{ dbt.type_string() }})   as kolada_id,
    cast(a.scb_code as {{ dbt.type_string() }})    as scb_code,
    cast(f.former_codes as {{ dbt.type_string() }}) as former_codes,
    cast(h.code_history as {{ dbt.type_string() }}) as code_history,
    cast(al.alias_codes as {{ dbt.type_string() }}) as alias_codes,
    cast(coalesce(a.county_code = '01', false) as {{ dbt.type_boolean() }}) as is_stockholm_county
from areas as a
left join former as f on f.current_code = a.area_code
left join history as h on h.current_code = a.area_code
left join aliases as al on al.current_code = a.area_code
