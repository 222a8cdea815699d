{#-
  `{{ jamstat_utils.key_hash(['a', 'b']) }}`: one 64-bit hash of a key's columns (nulls hash alike). Used to find the
  few keys that repeat in millions of rows: grouping by one integer is much cheaper than grouping by several strings,
  and a hash collision only sends a few more rows to the exact ranking, which partitions by the columns themselves.
-#}
{% macro key_hash(columns) %}
  {{ return(adapter.dispatch('key_hash', 'jamstat_utils')(columns)) }}
{% endmacro %}
{% macro default__key_hash(columns) %}hash({{ columns | join(', ') }}){% endmacro %}
{% macro spark__key_hash(columns) %}xxhash64({{ columns | join(', ') }}){% endmacro %}
{#- PostgreSQL has no many-argument hash: the columns are joined by a unit separator (concat_ws skips nulls, so a
    null and an empty string may hash alike: only a collision, never a wrong choice) and hashed to 64 bits. -#}
{% macro postgres__key_hash(columns) %}hashtextextended(concat_ws(chr(31), {{ columns | join(', ') }}), 0){% endmacro %}
