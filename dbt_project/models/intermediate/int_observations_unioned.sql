-- All staged observation sources in one relation (still every version of every key).
{% set sources = ['stg_kolada__observations', 'stg_scb__observations', 'stg_file__observations'] %}
{% for s in sources %}
select * from {{ ref(s) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
