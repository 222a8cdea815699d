{#- RegSO and DeSO, the SCB levels below the municipality (dim_area.area_level). -#}
{% macro is_sub_municipal(area_level) -%}
{{ area_level }} in ('regso', 'deso')
{%- endmacro %}
