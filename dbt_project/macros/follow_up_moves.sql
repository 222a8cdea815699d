{#- How the follow-up reads a change (mart_gender_gap). A change is movement only when it is at least the
    indicator's minimum meaningful change (and not zero); a smaller one is 'unchanged'. -#}

{% macro sex_move(value, previous, level_direction, threshold) -%}
case
    when {{ level_direction }} is null or {{ value }} is null or {{ previous }} is null then null
    when abs({{ value }} - {{ previous }}) = 0 or abs({{ value }} - {{ previous }}) < {{ threshold }} then 'unchanged'
    when ({{ value }} > {{ previous }}) = ({{ level_direction }} = 'higher_is_better') then 'improved'
    else 'worsened'
end
{%- endmacro %}

{% macro gap_move(now, before, threshold) -%}
case
    when {{ now }} is null or {{ before }} is null then null
    when {{ now }} = {{ before }} or abs({{ now }} - {{ before }}) < {{ threshold }} then 'unchanged'
    when {{ now }} < {{ before }} then 'narrowing'
    else 'widening'
end
{%- endmacro %}
