-- One row per committed batch (the ingest log). JSON columns stay text (portable); lineage target of fct.batch_id.
select
    cast(batch_id as {{ dbt.type_string() }})    as batch_id,
    cast(source as {{ dbt.type_string() }})      as source,
    cast(unit as {{ dbt.type_string() }})        as ingest_unit,
    cast(source_refs as {{ dbt.type_string() }}) as source_refs_json,
    cast(mode as {{ dbt.type_string() }})        as ingest_mode,
    cast(run_id as {{ dbt.type_string() }})      as run_id,
    cast(fetched_at as {{ dbt.type_timestamp() }}) as fetched_at,
    cast(row_count as {{ dbt.type_bigint() }})   as row_count,
    cast(responses as {{ dbt.type_string() }})   as responses_json,
    cast(notes as {{ dbt.type_string() }})       as notes_json
from {{ source('ingest', 'batches') }}
