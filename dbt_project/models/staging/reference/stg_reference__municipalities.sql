-- 290 municipalities: codes/names from swedish-geodata, Kolada region id cross-checked.
select
    cast(g.municipality_code as {{ dbt.type_string() }})       as municipality_code,
    cast(g.municipality_name_short as {{ dbt.type_string() }}) as municipality_name,
    cast(g.municipality_name as {{ dbt.type_string() }})       as municipality_name_long,
    cast(g.county_code as {{ dbt.type_string() }})             as county_code,
    cast(k.kolada_region_id as {{ dbt.type_string() }})        as kolada_county_id
from {{ ref('swedish-geodata_municipality_county') }} as g
left join {{ ref('kommuner_290_crosschecked') }} as k
    on k.kommun_kod = g.municipality_code
