{#- The grain of an indicator value before the series choice: indicator x area x native period x sex (with the
    parsed period parts). Aggregating models select and group by it: int_indicator_values_aggregated and
    int_indicator_values_ratios. -#}
{% macro indicator_value_grain(sep=",\n    ") -%}
{{ ["indicator_id", "area_code", "period", "period_granularity", "year", "month", "sex"] | join(sep) }}
{%- endmacro %}
