{#- Generic test: the combination of `combination_of_columns` is unique (no dbt_utils offline). The rows whose key
    hash repeats are found first (grouping by one integer), then only those are grouped by the columns themselves, so
    a hash collision never fails the test and a duplicate never escapes it. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{%- set cols = combination_of_columns | join(', ') -%}
with hashed as (
    select {{ cols }}, {{ jamstat_utils.key_hash(combination_of_columns) }} as key_hash
    from {{ model }}
),
repeated_hashes as (
    select key_hash from hashed group by key_hash having count(*) > 1
)
select {{ cols }}, count(*) as n_rows
from hashed
where key_hash in (select key_hash from repeated_hashes)
group by {{ cols }}
having count(*) > 1
{% endtest %}
