-- Known series breaks per indicator (seed indicator_series_breaks), typed.
select
    cast(indicator_id as {{ dbt.type_string() }}) as indicator_id,
    cast(break_year as {{ dbt.type_int() }})      as break_year,
    cast(break_note as {{ dbt.type_string() }})   as break_note
from {{ ref('indicator_series_breaks') }}
