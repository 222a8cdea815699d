{#-
  `with x as {{ jamstat_utils.inline_cte() }} (...)`: a CTE that several parts of one query read is inlined
  into each of them instead of being copied once (DuckDB copies such a CTE, and a copy of millions of wide rows costs
  more than reading them twice). DuckDB and PostgreSQL spell it NOT MATERIALIZED; Spark always inlines.
-#}
{% macro inline_cte() %}
  {{ return(adapter.dispatch('inline_cte', 'jamstat_utils')()) }}
{% endmacro %}
{% macro default__inline_cte() %}not materialized{% endmacro %}
{% macro spark__inline_cte() %}{% endmacro %}
