-- Grain: indicator_id x area_code (municipality) x year x sex. Each municipality against its county and the
-- country. A missing county value is rebuilt only for additive (count) units and only as the sum of ALL the
-- county's municipalities (never an average of rates); otherwise it stays null.
{% set dbl = jamstat_utils.type_double() %}
with vals as (
    select indicator_id, area_code, year, sex, value
    from {{ ref('fct_indicator_value') }}
    where period_granularity = 'year'
),
areas as (
    select * from {{ ref('dim_area') }}
),
indicators as (
    select indicator_id, unit, is_additive from {{ ref('dim_indicator') }}
),
municipal as (
    select v.*, a.area_name, a.county_code
    from vals as v
    inner join areas as a on a.area_code = v.area_code and a.area_level = 'municipality'
),
county_size as (
    select county_code, count(*) as n_municipalities
    from areas where area_level = 'municipality'
    group by county_code
),
rebuilt as (
    select
        m.indicator_id, m.county_code, m.year, m.sex,
        count(m.value) as n_with_value,
        sum(m.value)   as sum_value
    from municipal as m
    group by m.indicator_id, m.county_code, m.year, m.sex
)
select
    cast(m.indicator_id as {{ dbt.type_string() }})   as indicator_id,
    cast(m.area_code as {{ dbt.type_string() }})      as area_code,
    cast(m.area_name as {{ dbt.type_string() }})      as area_name,
    cast(m.county_code as {{ dbt.type_string() }})    as county_code,
    cast(m.year as {{ dbt.type_int() }})              as year,
    cast(m.sex as {{ dbt.type_string() }})            as sex,
    cast(i.unit as {{ dbt.type_string() }})           as unit,
    cast(m.value as {{ dbl }})                        as value,
    cast(c.value as {{ dbl }})                        as county_value_published,
    cast(case when i.is_additive and r.n_with_value = cs.n_municipalities then r.sum_value end as {{ dbl }})
                                                      as county_value_rebuilt,
    cast(coalesce(c.value, case when i.is_additive and r.n_with_value = cs.n_municipalities then r.sum_value end)
         as {{ dbl }})                                as county_value,
    cast(case
        when c.value is not null then 'published'
        when i.is_additive and r.n_with_value = cs.n_municipalities and r.sum_value is not null
            then 'rebuilt_from_municipal_counts'
    end as {{ dbt.type_string() }})                   as county_value_basis,
    cast(n.value as {{ dbl }})                        as country_value,
    cast(m.value - coalesce(c.value, case when i.is_additive and r.n_with_value = cs.n_municipalities then r.sum_value end)
         as {{ dbl }})                                as diff_to_county,
    cast(m.value - n.value as {{ dbl }})              as diff_to_country,
    cast({{ jamstat_utils.safe_divide('m.value', 'coalesce(c.value, case when i.is_additive and r.n_with_value = cs.n_municipalities then r.sum_value end)') }}
         as {{ dbl }})                                as ratio_to_county,
    cast({{ jamstat_utils.safe_divide('m.value', 'n.value') }} as {{ dbl }}) as ratio_to_country,
    cast(cs.n_municipalities as {{ dbt.type_int() }}) as n_municipalities_in_county,
    cast(r.n_with_value as {{ dbt.type_int() }})      as n_municipalities_with_value,
    cast(case when m.value is not null then rank() over (
        partition by m.indicator_id, m.county_code, m.year, m.sex, (m.value is null) order by m.value desc
    ) end as {{ dbt.type_int() }})                    as rank_in_county_desc
from municipal as m
inner join indicators as i on i.indicator_id = m.indicator_id
inner join county_size as cs on cs.county_code = m.county_code
left join rebuilt as r
    on r.indicator_id = m.indicator_id and r.county_code = m.county_code and r.year = m.year and r.sex = m.sex
left join vals as c
    on c.indicator_id = m.indicator_id and c.area_code = m.county_code and c.year = m.year and c.sex = m.sex
left join vals as n
    on n.indicator_id = m.indicator_id and n.area_code = '00' and n.year = m.year and n.sex = m.sex
