-- 21 counties (län).
select
    cast(county_code as {{ dbt.type_string() }})       as county_code,
    cast(county_name as {{ dbt.type_string() }})       as county_name,
    cast(county_name_short as {{ dbt.type_string() }}) as county_name_short
from {{ ref('swedish-geodata_counties') }}
