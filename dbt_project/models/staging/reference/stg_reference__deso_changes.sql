-- SCB's DeSO change log (plain codes): a former DeSO, the DeSO it affects, SCB's change type and date.
select
    cast(from_code as {{ dbt.type_string() }})   as from_code,
    cast(to_code as {{ dbt.type_string() }})     as to_code,
    cast(change_type as {{ dbt.type_string() }}) as change_type,
    cast(change_date as date)                    as change_date
from {{ ref('scb_deso_changes') }}
