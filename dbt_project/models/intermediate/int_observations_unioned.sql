-- All staged observation sources in one relation (still every version of every key). An SCB row carries the
-- catalog spec that fetched it (raw.batches.unit 'scb:<spec_id>:<table>:<chunk>'): two catalog rows may fetch the
-- same table and ContentsCode (each its own sex, sector or field), and each maps only the rows it fetched.
{% set sources = ['stg_kolada__observations', 'stg_scb__observations', 'stg_file__observations'] %}
with unioned as (
{% for s in sources %}
    select * from {{ ref(s) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
)
select
    u.*,
    case when u.source = 'scb' then {{ dbt.split_part('b.ingest_unit', "':'", 2) }} end as series_spec
from unioned as u
-- an equi-join (batch_id is unique in the ingest log): a source condition in the join would make it a nested loop
left join {{ ref('stg_ingest__batches') }} as b
    on b.batch_id = u.batch_id
