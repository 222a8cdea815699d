{#-
  Portable double-precision type. NB: dbt.type_float() renders `float`, which DuckDB reads as
  FLOAT4 (single precision, 25.688929 -> 25.688928604...). `double precision` is DOUBLE in DuckDB
  and float8 in Postgres, so it is the default; adapters can override via dispatch.
-#}
{% macro type_double() %}
  {{ return(adapter.dispatch('type_double', 'jamstat_utils')()) }}
{% endmacro %}
{% macro default__type_double() %}double precision{% endmacro %}
