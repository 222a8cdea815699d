{#- What a matched series rule says about an observation key: its indicator, the rule (dims, month roll-up, role,
    path) and the breakdown it fills. int_series_keys_matched carries them per key; int_observations_mapped hands
    them to every observation row of the key. -#}
{% macro series_rule_columns(alias='', sep=",\n    ") -%}
{%- set prefix = alias ~ '.' if alias else '' -%}
{%- for c in ["indicator_id", "dims_match", "month_rollup", "role", "mapping_path", "birth_region", "age_group"] -%}
{{ prefix ~ c }}{% if not loop.last %}{{ sep }}{% endif %}
{%- endfor %}
{%- endmacro %}
