-- Country, 21 counties, 290 municipalities and the RegSO / DeSO of both SCB versions, with SCB and Kolada codes,
-- code history and, for sub-municipal areas, their version, years in use and unchanged counterpart.
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
code_lists as (
    -- former codes (recoded) and codes of other code systems (alias), one list per area and kind
    select
        current_code,
        change_type,
        {{ jamstat_utils.ordered_listagg("old_code", "','", ["old_code"]) }} as codes
    from {{ ref('stg_reference__area_code_changes') }}
    where change_type in ('recoded', 'alias')
    group by current_code, change_type
)
select
    cast(a.area_code as {{ dbt.type_string() }})   as area_code,
    cast(a.area_name as {{ dbt.type_string() }})   as area_name,
    cast(a.area_level as {{ dbt.type_string() }})  as area_level,
    cast(a.level_order as {{ dbt.type_int() }})    as area_level_order,
    cast(a.county_code as {{ dbt.type_string() }}) as county_code,
    cast(a.county_name as {{ dbt.type_string() }}) as county_name,
    cast(a.municipality_code as {{ dbt.type_string() }}) as municipality_code,
    cast(a.regso_code as {{ dbt.type_string() }})  as regso_code,
    cast(a.area_version as {{ dbt.type_string() }}) as area_version,
    cast(a.first_year as {{ dbt.type_int() }})     as first_year,
    cast(a.last_year as {{ dbt.type_int() }})      as last_year,
    cast(a.same_area_code as {{ dbt.type_string() }}) as same_area_code,
    cast(a.kolada_id as {{ dbt.type_string() }})   as kolada_id,
    cast(a.scb_code as {{ dbt.type_string() }})    as scb_code,
    cast(f.codes as {{ dbt.type_string() }}) as former_codes,
    cast(h.code_history as {{ dbt.type_string() }}) as code_history,
    cast(al.codes as {{ dbt.type_string() }}) as alias_codes,
    cast(coalesce(a.county_code = '01', false) as {{ dbt.type_boolean() }}) as is_stockholm_county
from areas as a
left join code_lists as f on f.current_code = a.area_code and f.change_type = 'recoded'
left join history as h on h.current_code = a.area_code
left join code_lists as al on al.current_code = a.area_code and al.change_type = 'alias'
