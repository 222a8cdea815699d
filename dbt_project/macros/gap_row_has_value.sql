{#- A mart_gender_gap row with a value for women, men or the total: what "has data" means in the follow-up. -#}
{% macro gap_row_has_value(alias) -%}
({{ alias }}.value_women is not null or {{ alias }}.value_men is not null or {{ alias }}.value_total is not null)
{%- endmacro %}
