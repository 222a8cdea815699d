-- Canonical areas (SCB-style codes): '00' country, 2-digit counties, 4-digit municipalities,
-- with names, county of each municipality, the Kolada id and the SCB code of the same area.
with municipalities as (
    select * from {{ ref('stg_reference__municipalities') }}
),
counties as (
    select * from {{ ref('stg_reference__counties') }}
),
kolada as (
    select * from {{ ref('stg_reference__kolada_areas') }}
),
areas as (
    select
        cast('00' as {{ dbt.type_string() }}) as area_code,
        cast('Riket' as {{ dbt.type_string() }}) as area_name,
        cast('country' as {{ dbt.type_string() }}) as area_level,
        cast(null as {{ dbt.type_string() }}) as county_code,
        cast('0000' as {{ dbt.type_string() }}) as kolada_id,
        1 as level_order
    union all
    select county_code, county_name, 'county', county_code, {{ dbt.concat(["'00'", "county_code"]) }}, 2
    from counties
    union all
    select municipality_code, municipality_name, 'municipality', county_code, municipality_code, 3
    from municipalities
)
select
    a.area_code,
    a.area_name,
    a.area_level,
    a.level_order,
    a.county_code,
    c.county_name,
    a.kolada_id,
    k.kolada_title,
    a.area_code as scb_code
from areas as a
left join counties as c on c.county_code = a.county_code
left join kolada as k on k.kolada_id = a.kolada_id
