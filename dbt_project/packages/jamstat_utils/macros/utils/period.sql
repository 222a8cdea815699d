{#-
  Period parsing for '2023' (year), '2026M01' (month) and '2019-2023' (years: a span SCB reports one value for,
  such as a five-year window or a mandate period; its year is the span's last year, as Kolada dates such
  windows). Returns SQL expressions; portable (substring/length/cast only). Anything else parses to null and is
  reported as unmapped.
-#}
{% macro period_granularity(col) -%}
  (case when {{ col }} like '____' then 'year'
        when {{ col }} like '____M__' then 'month'
        when {{ col }} like '____-____' then 'years'
        else null end)
{%- endmacro %}
{% macro period_year(col) -%}
  (case when {{ col }} like '____' or {{ col }} like '____M__'
        then cast(substring({{ col }}, 1, 4) as {{ dbt.type_int() }})
        when {{ col }} like '____-____' then cast(substring({{ col }}, 6, 4) as {{ dbt.type_int() }}) end)
{%- endmacro %}
{% macro period_month(col) -%}
  (case when {{ col }} like '____M__' then cast(substring({{ col }}, 6, 2) as {{ dbt.type_int() }}) end)
{%- endmacro %}
