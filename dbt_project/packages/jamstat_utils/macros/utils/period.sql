{#-
  Period parsing for '2023' (year), '2026M01' (month) and '2019-2023' (years: a span SCB reports one value for,
  such as a five-year window or a mandate period; its year is the span's last year, as Kolada dates such
  windows). Returns SQL expressions; portable (substring/cast and character comparisons only). Anything else -
  '20x3' included: the digits are checked before any cast, so a malformed period can never fail the build -
  parses to null and is reported as unmapped.
-#}
{% macro period_digits_at(col, positions) -%}
  ({% for i in positions %}substring({{ col }}, {{ i }}, 1) between '0' and '9'{% if not loop.last %} and {% endif %}{% endfor %})
{%- endmacro %}
{% macro period_is_year(col) -%}
  ({{ col }} like '____' and {{ jamstat_utils.period_digits_at(col, [1, 2, 3, 4]) }})
{%- endmacro %}
{% macro period_is_month(col) -%}
  ({{ col }} like '____M__' and {{ jamstat_utils.period_digits_at(col, [1, 2, 3, 4, 6, 7]) }})
{%- endmacro %}
{% macro period_is_span(col) -%}
  ({{ col }} like '____-____' and {{ jamstat_utils.period_digits_at(col, [1, 2, 3, 4, 6, 7, 8, 9]) }})
{%- endmacro %}
{% macro period_granularity(col) -%}
  (case when {{ jamstat_utils.period_is_year(col) }} then 'year'
        when {{ jamstat_utils.period_is_month(col) }} then 'month'
        when {{ jamstat_utils.period_is_span(col) }} then 'years'
        else null end)
{%- endmacro %}
{% macro period_year(col) -%}
  (case when {{ jamstat_utils.period_is_year(col) }} or {{ jamstat_utils.period_is_month(col) }}
        then cast(substring({{ col }}, 1, 4) as {{ dbt.type_int() }})
        when {{ jamstat_utils.period_is_span(col) }} then cast(substring({{ col }}, 6, 4) as {{ dbt.type_int() }}) end)
{%- endmacro %}
{% macro period_month(col) -%}
  (case when {{ jamstat_utils.period_is_month(col) }} then cast(substring({{ col }}, 6, 2) as {{ dbt.type_int() }}) end)
{%- endmacro %}
