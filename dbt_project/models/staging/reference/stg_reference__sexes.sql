-- Sex vocabulary (seed sex).
select
    cast(sex as {{ dbt.type_string() }})          as sex,
    cast(sex_label_sv as {{ dbt.type_string() }}) as sex_label_sv,
    cast(sex_label_en as {{ dbt.type_string() }}) as sex_label_en,
    cast(sort_order as {{ dbt.type_int() }})      as sort_order,
    cast(is_total as {{ dbt.type_boolean() }})    as is_total
from {{ ref('sex') }}
