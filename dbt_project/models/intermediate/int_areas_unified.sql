-- Canonical areas (SCB-style codes): '00' country, 2-digit counties, 4-digit municipalities, and RegSO / DeSO of
-- both SCB versions (codes as Statistikdatabasen writes them), with names, county and municipality of each area,
-- the Kolada id and the SCB code of the same area. Sub-municipal areas carry their version and the years SCB
-- publishes on it: up to 2023 on DeSO 2018 / RegSO 2020, from 2024 on DeSO 2025 / RegSO 2025.
with municipalities as (
    select * from {{ ref('stg_reference__municipalities') }}
),
counties as (
    select * from {{ ref('stg_reference__counties') }}
),
kolada as (
    select * from {{ ref('stg_reference__kolada_areas') }}
),
subareas as (
    select * from {{ ref('int_subareas_versioned') }}
),
areas as (
    select
        cast('00' as {{ dbt.type_string() }}) as area_code,
        cast('Riket' as {{ dbt.type_string() }}) as area_name,
        cast('country' as {{ dbt.type_string() }}) as area_level,
        cast(null as {{ dbt.type_string() }}) as county_code,
        cast(null as {{ dbt.type_string() }}) as municipality_code,
        cast('0000' as {{ dbt.type_string() }}) as kolada_id,
        1 as level_order
    union all
    select county_code, county_name, 'county', county_code, null, {{ dbt.concat(["'00'", "county_code"]) }}, 2
    from counties
    union all
    select municipality_code, municipality_name, 'municipality', county_code, municipality_code, municipality_code, 3
    from municipalities
    union all
    select s.area_code, s.area_name, s.area_level, m.county_code, s.municipality_code, null, s.level_order
    from subareas as s
    left join municipalities as m on m.municipality_code = s.municipality_code
)
select
    a.area_code,
    a.area_name,
    a.area_level,
    a.level_order,
    a.county_code,
    c.county_name,
    a.municipality_code,
    s.regso_code,
    s.area_version,
    s.first_year,
    s.last_year,
    s.same_area_code,
    a.kolada_id,
    k.kolada_title,
    a.area_code as scb_code
from areas as a
left join counties as c on c.county_code = a.county_code
left join kolada as k on k.kolada_id = a.kolada_id
left join subareas as s on s.area_code = a.area_code
