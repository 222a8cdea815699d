{#-
  `with x as {{ jamstat_utils.not_materialized() }} (...)`: a CTE that several parts of one query read is inlined
  into each of them instead of being copied once (DuckDB copies such a CTE, and a copy of millions of wide rows costs
  more than reading them twice). DuckDB and PostgreSQL spell it NOT MATERIALIZED; Spark always inlines.
-#}
{% macro not_materialized() %}
  {{ return(adapter.dispatch('not_materialized', 'jamstat_utils')()) }}
{% endmacro %}
{% macro default__not_materialized() %}not materialized{% endmacro %}
{% macro spark__not_materialized() %}{% endmacro %}
