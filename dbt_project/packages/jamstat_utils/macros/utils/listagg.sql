{#-
  listagg with a guaranteed order on every adapter. dbt.listagg ignores the order on Spark (collect_list
  keeps whatever order the shuffle delivers, with only a warning), so Spark sorts an array of
  (order keys..., value) structs instead. order_by: a list of SQL expressions.
-#}
{% macro ordered_listagg(measure, delimiter_text, order_by) %}
  {{ return(adapter.dispatch('ordered_listagg', 'jamstat_utils')(measure, delimiter_text, order_by)) }}
{% endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, order_by) -%}
  {{ dbt.listagg(measure, delimiter_text, "order by " ~ (order_by | join(", "))) }}
{%- endmacro %}

{% macro spark__ordered_listagg(measure, delimiter_text, order_by) -%}
  array_join(transform(array_sort(collect_list(named_struct(
    {%- for expr in order_by %}'k{{ loop.index }}', {{ expr }}, {% endfor -%}
    'v', {{ measure }}))), x -> x.v), {{ delimiter_text }})
{%- endmacro %}
