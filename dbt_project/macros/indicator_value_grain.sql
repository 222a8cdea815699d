{#- The grain of an indicator value before the series choice: indicator x area x native period x sex x birth region
    x age group (with the parsed period parts). Aggregating models select and group by it:
    int_indicator_values_aggregated and int_indicator_values_ratios. -#}
{% macro indicator_value_grain(sep=",\n    ") -%}
{{ ["indicator_id", "area_code", "period", "period_granularity", "year", "month", "sex",
    "birth_region", "age_group"] | join(sep) }}
{%- endmacro %}
