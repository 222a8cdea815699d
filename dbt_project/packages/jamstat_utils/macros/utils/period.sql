{#-
  Period parsing for '2023' (year) and '2026M01' (month). Returns SQL expressions; portable
  (substring/length/cast only). Anything else parses to null and is reported as unmapped.
-#}
{% macro period_granularity(col) -%}
  (case when {{ col }} like '____' then 'year'
        when {{ col }} like '____M__' then 'month'
        else null end)
{%- endmacro %}
{% macro period_year(col) -%}
  (case when {{ col }} like '____' or {{ col }} like '____M__'
        then cast(substring({{ col }}, 1, 4) as {{ dbt.type_int() }}) end)
{%- endmacro %}
{% macro period_month(col) -%}
  (case when {{ col }} like '____M__' then cast(substring({{ col }}, 6, 2) as {{ dbt.type_int() }}) end)
{%- endmacro %}
