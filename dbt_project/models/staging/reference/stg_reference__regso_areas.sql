-- RegSO areas of both versions (SCB code lists) with SCB's names.
select
    cast(regso_code as {{ dbt.type_string() }})        as regso_code,
    cast(regso_plain_code as {{ dbt.type_string() }})  as regso_plain_code,
    cast(regso_version as {{ dbt.type_string() }})     as regso_version,
    cast(regso_name as {{ dbt.type_string() }})        as regso_name,
    cast(municipality_code as {{ dbt.type_string() }}) as municipality_code,
    cast(first_year as {{ dbt.type_int() }})           as first_year,
    cast(last_year as {{ dbt.type_int() }})            as last_year
from {{ ref('scb_regso') }}
