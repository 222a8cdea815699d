-- dim_area holds all 290 municipalities of the reference list, each with its county and Kolada id.
select k.kommun_kod
from {{ ref('kommuner_290_crosschecked') }} as k
left join {{ ref('dim_area') }} as a on a.area_code = k.kommun_kod and a.area_level = 'municipality'
where a.area_code is null or a.county_code <> k.lan_kod
union all
select 'count=' || cast(count(*) as {{ dbt.type_string() }})
from {{ ref('dim_area') }}
having sum(case when area_level = 'municipality' then 1 else 0 end) <> 290
    or sum(case when area_level = 'county' then 1 else 0 end) <> 21
    or sum(case when area_level = 'country' then 1 else 0 end) <> 1
