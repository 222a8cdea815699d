-- Birth-region vocabulary (seed birth_region): total, born_in_sweden, foreign_born and SCB's finer foreign-born
-- groups, each with the group of the three it belongs to.
select
    cast(birth_region as {{ dbt.type_string() }})          as birth_region,
    cast(birth_region_group as {{ dbt.type_string() }})    as birth_region_group,
    cast(birth_region_label_sv as {{ dbt.type_string() }}) as birth_region_label_sv,
    cast(birth_region_label_en as {{ dbt.type_string() }}) as birth_region_label_en,
    cast(sort_order as {{ dbt.type_int() }})               as sort_order,
    cast(is_total as {{ dbt.type_boolean() }})             as is_total
from {{ ref('birth_region') }}
