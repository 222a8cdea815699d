-- Grain: indicator_id x area_code (municipality) x year x sex x birth_region x age_group. Each municipality against its county and the
-- country. A missing county value is rebuilt only for additive (count) units and only as the sum of ALL the
-- county's municipalities (never an average of rates); otherwise it stays null.
{% set dbl = jamstat_utils.type_double() %}
with vals as (
    select indicator_id, area_code, year, sex, birth_region, age_group, value
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
    -- ranked here, on the narrow rows, rather than after the joins that widen them
    select
        v.*, a.area_name, a.county_code,
        case when v.value is not null then rank() over (
            partition by v.indicator_id, a.county_code, v.year, v.sex, v.birth_region, v.age_group
            order by v.value desc nulls last
        ) end as rank_in_county_desc
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
        m.indicator_id, m.county_code, m.year, m.sex, m.birth_region, m.age_group,
        count(m.value) as n_with_value,
        sum(m.value)   as sum_value
    from municipal as m
    group by m.indicator_id, m.county_code, m.year, m.sex, m.birth_region, m.age_group
),
county_rebuilt as (
    -- the rebuild rule, once: additive units only, and only when every municipality of the county has a value
    select
        r.indicator_id, r.county_code, r.year, r.sex, r.birth_region, r.age_group, r.n_with_value,
        case when i.is_additive and r.n_with_value = cs.n_municipalities then r.sum_value end as value
    from rebuilt as r
    inner join indicators as i on i.indicator_id = r.indicator_id
    inner join county_size as cs on cs.county_code = r.county_code
),
compared as (
    select
        m.*,
        i.unit,
        c.value                      as county_value_published,
        r.value                      as county_value_rebuilt,
        coalesce(c.value, r.value)   as county_value,
        n.value                      as country_value,
        cs.n_municipalities,
        r.n_with_value
    from municipal as m
    inner join indicators as i on i.indicator_id = m.indicator_id
    inner join county_size as cs on cs.county_code = m.county_code
    left join county_rebuilt as r
        on r.indicator_id = m.indicator_id and r.county_code = m.county_code and r.year = m.year and r.sex = m.sex
       and r.birth_region = m.birth_region and r.age_group = m.age_group
    left join vals as c
        on c.indicator_id = m.indicator_id and c.area_code = m.county_code and c.year = m.year and c.sex = m.sex
       and c.birth_region = m.birth_region and c.age_group = m.age_group
    left join vals as n
        on n.indicator_id = m.indicator_id and n.area_code = '00' and n.year = m.year and n.sex = m.sex
       and n.birth_region = m.birth_region and n.age_group = m.age_group
)
select
    cast(indicator_id as {{ dbt.type_string() }})          as indicator_id,
    cast(area_code as {{ dbt.type_string() }})             as area_code,
    cast(area_name as {{ dbt.type_string() }})             as area_name,
    cast(county_code as {{ dbt.type_string() }})           as county_code,
    cast(year as {{ dbt.type_int() }})                     as year,
    cast(sex as {{ dbt.type_string() }})                   as sex,
    cast(birth_region as {{ dbt.type_string() }})          as birth_region,
    cast(age_group as {{ dbt.type_string() }})             as age_group,
    cast(unit as {{ dbt.type_string() }})                  as unit,
    cast(value as {{ dbl }})                               as value,
    cast(county_value_published as {{ dbl }})              as county_value_published,
    cast(county_value_rebuilt as {{ dbl }})                as county_value_rebuilt,
    cast(county_value as {{ dbl }})                        as county_value,
    cast(case
        when county_value_published is not null then 'published'
        when county_value_rebuilt is not null then 'rebuilt_from_municipal_counts'
    end as {{ dbt.type_string() }})                        as county_value_basis,
    cast(country_value as {{ dbl }})                       as country_value,
    cast(value - county_value as {{ dbl }})                as diff_to_county,
    cast(value - country_value as {{ dbl }})               as diff_to_country,
    cast({{ jamstat_utils.safe_divide('value', 'county_value') }} as {{ dbl }})  as ratio_to_county,
    cast({{ jamstat_utils.safe_divide('value', 'country_value') }} as {{ dbl }}) as ratio_to_country,
    cast(n_municipalities as {{ dbt.type_int() }})         as n_municipalities_in_county,
    cast(n_with_value as {{ dbt.type_int() }})             as n_municipalities_with_value,
    cast(rank_in_county_desc as {{ dbt.type_int() }})      as rank_in_county_desc
from compared
