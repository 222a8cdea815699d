-- Age-group vocabulary (seed age_group): total (all ages the indicator itself covers) and the named groups a
-- source splits an indicator by.
select
    cast(age_group as {{ dbt.type_string() }})          as age_group,
    cast(age_from as {{ dbt.type_int() }})              as age_from,
    cast(age_to as {{ dbt.type_int() }})                as age_to,
    cast(age_group_label_sv as {{ dbt.type_string() }}) as age_group_label_sv,
    cast(age_group_label_en as {{ dbt.type_string() }}) as age_group_label_en,
    cast(sort_order as {{ dbt.type_int() }})            as sort_order,
    cast(is_total as {{ dbt.type_boolean() }})          as is_total
from {{ ref('age_group') }}
