{#-
  Portable double-precision type. NB: dbt.type_float() renders `float`, which DuckDB reads as
  FLOAT4 (single precision, 25.688929 -> 25.688928604...). `double precision` is DOUBLE in DuckDB
  and float8 in Postgres, so it is the default; Spark SQL has no `double precision` and spells it `double`.
-#}
{% macro type_double() %}
  {{ return(adapter.dispatch('type_double', 'jamstat_utils')()) }}
{% endmacro %}
{% macro default__type_double() %}double precision{% endmacro %}
{% macro spark__type_double() %}double{% endmacro %}

{#-
  Type names written in YAML (model contract `data_type`, seed `column_types`) are the ANSI/PostgreSQL
  spellings that DuckDB and Postgres both read: text, varchar, double precision, integer, bigint, boolean,
  date, timestamp. portable_type() turns one into the current adapter's spelling; only Spark SQL differs
  (no `text`, `varchar` needs a length, no `double precision`). Unknown names pass through unchanged.
-#}
{% macro portable_type(type_name) %}
  {{ return(adapter.dispatch('portable_type', 'jamstat_utils')(type_name)) }}
{% endmacro %}
{% macro default__portable_type(type_name) %}{{ return(type_name) }}{% endmacro %}
{% macro spark__portable_type(type_name) %}
  {%- set spark_names = {'text': 'string', 'varchar': 'string', 'character varying': 'string',
                         'double precision': 'double', 'float8': 'double'} -%}
  {{ return(spark_names.get(type_name | trim | lower, type_name)) }}
{% endmacro %}
