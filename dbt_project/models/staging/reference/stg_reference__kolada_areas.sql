-- Kolada v3 /municipality ids: '0000' Riket, '00'+län code = region (type L), 4-digit kommun (type K).
select
    cast(id as {{ dbt.type_string() }})    as kolada_id,
    cast(title as {{ dbt.type_string() }}) as kolada_title,
    cast(type as {{ dbt.type_string() }})  as kolada_type
from {{ ref('kolada_v3_municipality_from_rKolada_sysdata') }}
