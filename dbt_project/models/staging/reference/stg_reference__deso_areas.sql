-- DeSO areas of both versions (SCB code lists): code as Statistikdatabasen writes it, its version, RegSO and
-- municipality.
select
    cast(deso_code as {{ dbt.type_string() }})         as deso_code,
    cast(deso_plain_code as {{ dbt.type_string() }})   as deso_plain_code,
    cast(deso_version as {{ dbt.type_string() }})      as deso_version,
    cast(regso_code as {{ dbt.type_string() }})        as regso_code,
    cast(municipality_code as {{ dbt.type_string() }}) as municipality_code,
    cast(first_year as {{ dbt.type_int() }})           as first_year,
    cast(last_year as {{ dbt.type_int() }})            as last_year
from {{ ref('scb_deso') }}
