{#-
  Does an observation's dims JSON (dims_key: keys sorted, no spaces) satisfy a series-map rule's dims_match?
    '*'              any combination (the rule sums or uses all of them)
    text with a '%'  a LIKE pattern over the JSON, e.g. '%"VeckoarbetstidO":"1-19"%' (one dimension fixed)
    anything else    exactly that JSON object, e.g. '{"Alder":"20-64","Fodelseregion":"tot"}'
  Portable: equality, LIKE and dbt.position only.
-#}
{% macro dims_match(rule_col, key_col) -%}
  ({{ rule_col }} = '*'
   or {{ rule_col }} = {{ key_col }}
   or ({{ dbt.position("'%'", rule_col) }} > 0 and {{ key_col }} like {{ rule_col }}))
{%- endmacro %}

{#-
  Does an observation's source_ref match a mapping's ref? Exact, or table-wide: '<table>/*' matches
  '<table>/<any ContentsCode>' (SCB codes resolved from their label at ingest, which the catalog cannot name).
-#}
{% macro source_ref_matches(rule_col, obs_col) -%}
  ({{ rule_col }} = {{ obs_col }}
   or ({{ rule_col }} like '%/*' and {{ obs_col }} like {{ dbt.replace(rule_col, "'/*'", "'/%'") }}))
{%- endmacro %}
