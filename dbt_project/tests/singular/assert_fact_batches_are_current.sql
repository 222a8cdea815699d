-- Every fact row comes from a current batch: a retracted batch or one superseded by a later full snapshot of its
-- unit never reaches the marts (ingest/batch_log.py).
select f.batch_id, b.batch_state, count(*) as n_rows
from {{ ref('fct_indicator_value') }} as f
inner join {{ ref('stg_ingest__batches') }} as b on b.batch_id = f.batch_id
where b.batch_state <> 'current'
group by f.batch_id, b.batch_state
