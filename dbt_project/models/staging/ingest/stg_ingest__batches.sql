-- One row per committed batch (the ingest log), with its state from the batch log (ingest/batch_log.py): current,
-- superseded or retracted, and when the source last sent its content. JSON columns stay text (portable); lineage
-- target of fct.batch_id. Candidates loaded without the batch log (test fixtures, the benchmark) have null state
-- columns: such a batch is current and was last observed when it was fetched.
select
    cast(batch_id as {{ dbt.type_string() }})    as batch_id,
    cast(source as {{ dbt.type_string() }})      as source,
    cast(unit as {{ dbt.type_string() }})        as ingest_unit,
    cast(check_unit as {{ dbt.type_string() }})  as check_unit,
    cast(snapshot as {{ dbt.type_string() }})    as snapshot,
    cast(source_refs as {{ dbt.type_string() }}) as source_refs_json,
    cast(mode as {{ dbt.type_string() }})        as ingest_mode,
    cast(run_id as {{ dbt.type_string() }})      as run_id,
    cast(fetched_at as {{ dbt.type_timestamp() }}) as fetched_at,
    cast(coalesce(last_observed_at, fetched_at) as {{ dbt.type_timestamp() }}) as last_observed_at,
    cast(coalesce(state, 'current') as {{ dbt.type_string() }}) as batch_state,
    cast(state_reason as {{ dbt.type_string() }}) as batch_state_reason,
    cast(row_count as {{ dbt.type_bigint() }})   as row_count,
    cast(responses as {{ dbt.type_string() }})   as responses_json,
    cast(notes as {{ dbt.type_string() }})       as notes_json
from {{ source('ingest', 'batches') }}
