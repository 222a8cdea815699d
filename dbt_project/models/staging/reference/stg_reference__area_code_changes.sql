-- Municipal code history (seed area_code_changes).
select
    cast(old_code as {{ dbt.type_string() }})            as old_code,
    cast(current_code as {{ dbt.type_string() }})        as current_code,
    cast(change_year as {{ dbt.type_int() }})            as change_year,
    cast(change_type as {{ dbt.type_string() }})         as change_type,
    cast(old_county_code as {{ dbt.type_string() }})     as old_county_code,
    cast(current_county_code as {{ dbt.type_string() }}) as current_county_code,
    cast(note as {{ dbt.type_string() }})                as note
from {{ ref('area_code_changes') }}
