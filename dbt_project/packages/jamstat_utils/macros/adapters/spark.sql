{#-
  Spark overrides of two dbt-internal macros, so seeds and model contracts keep ONE set of type names in
  YAML (see portable_type in utils/types.sql). They are found because dbt_project.yml puts jamstat_utils in
  the `dbt` dispatch search order; both translate the type names and then call dbt's own implementation.
  DuckDB and Postgres never reach them (only spark__ variants are defined here).
-#}

{#- Seeds: column_types {code: varchar} -> {code: string} before dbt-spark writes `create table ...`. -#}
{% macro spark__create_csv_table(model, agate_table) %}
  {%- set column_types = {} -%}
  {%- for name, type_name in (model['config'].get('column_types') or {}).items() -%}
    {%- do column_types.update({name: jamstat_utils.portable_type(type_name)}) -%}
  {%- endfor -%}
  {%- do model['config'].update({'column_types': column_types}) -%}
  {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{% endmacro %}

{#- Contracts: the YAML side of the check is `select cast(null as <data_type>) ...`; use Spark's spelling. -#}
{% macro spark__get_empty_schema_sql(columns) %}
  {%- set translated = {} -%}
  {%- for key, col in columns.items() -%}
    {%- set c = col.copy() -%}
    {%- if c.get('data_type') is not none -%}
      {%- do c.update({'data_type': jamstat_utils.portable_type(c['data_type'])}) -%}
    {%- endif -%}
    {%- do translated.update({key: c}) -%}
  {%- endfor -%}
  {{ return(dbt.default__get_empty_schema_sql(translated)) }}
{% endmacro %}

{#- Seed rows: dbt-spark's session method pastes bindings into the SQL as '<value>' with no escaping, so an empty
    cell becomes the STRING 'None' (dbt-labs/dbt-adapters#487, open) and an apostrophe breaks the statement
    (the catalog has several). Here every cell is rendered as a proper Spark SQL literal instead: null, a number,
    true/false, or a quoted string with backslash and quote escaped. Same batching and casts as dbt-spark; literals
    need no bindings, so this is right for the thrift/http/odbc methods too. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set types = [] -%}
  {%- for col_name in agate_table.column_names -%}
    {%- set type_name = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
    {%- do types.append(jamstat_utils.portable_type(type_name)) -%}
  {%- endfor -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for value in row -%}
          cast({{ jamstat_utils.spark_literal(value) }} as {{ types[loop.index0] }}){%- if not loop.last -%},{%- endif -%}
        {%- endfor -%}){%- if not loop.last -%},{%- endif %}
      {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(statements[0]) }}
{% endmacro %}

{% macro spark_literal(value) -%}
  {%- if value is none -%}null
  {%- elif value is sameas true -%}true
  {%- elif value is sameas false -%}false
  {%- elif value is number -%}{{ value }}
  {%- else -%}'{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
  {%- endif -%}
{%- endmacro %}
