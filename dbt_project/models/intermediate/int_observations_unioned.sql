-- All staged observation sources in one relation (still every version of every key), each row with what its batch
-- says about it: the catalog spec that fetched an SCB row (raw.batches.unit 'scb:<spec_id>:<table>:<chunk>'; two
-- catalog rows may fetch the same table and ContentsCode, each its own sex, sector or field, and each maps only the
-- rows it fetched), the batch's state and when the source last sent its content.
{% set sources = ['stg_kolada__observations', 'stg_scb__observations', 'stg_file__observations'] %}
with unioned as (
{% for s in sources %}
    select * from {{ ref(s) }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
),
batches as (
    -- the spec is read once per batch, not once per row
    select batch_id, {{ dbt.split_part('ingest_unit', "':'", 2) }} as ingest_spec, batch_state, last_observed_at
    from {{ ref('stg_ingest__batches') }}
)
select
    u.*,
    case when u.source = 'scb' then b.ingest_spec end as series_spec,
    b.batch_state,
    b.last_observed_at
from unioned as u
-- an equi-join (batch_id is unique in the ingest log): a source condition in the join would make it a nested loop
left join batches as b
    on b.batch_id = u.batch_id
