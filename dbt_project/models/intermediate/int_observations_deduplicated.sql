-- Latest wins per source key (source, source_ref, SCB spec, area, period, sex, dims): the version the source sent
-- *last* (its batch's last_observed_at, then fetched_at, then the greatest batch_id, to be deterministic) is
-- current, so content the source takes back (A -> B -> A) is current again; then deleted keys are dropped. Rows of
-- batches that are not current (superseded by a later full snapshot, or retracted) never take part. (A row whose
-- batch has no ingest-log row counts as observed when fetched; the raw_observations GX suite fails such a
-- candidate.) The SCB spec is part of the key, so two catalog rows fetching the same cells each keep theirs.
-- Most keys have one version: only the keys seen more than once are ranked (a window over millions of one-row
-- partitions costs more than finding the few repeated keys and ranking just those).
with batches as (
    select batch_id, last_observed_at, batch_state
    from {{ ref('stg_ingest__batches') }}
),
current_rows as {{ jamstat_utils.inline_cte() }} (
    select o.*, coalesce(b.last_observed_at, o.fetched_at) as observed_at
    from {{ ref('int_observations_unioned') }} as o
    left join batches as b on b.batch_id = o.batch_id
    where coalesce(b.batch_state, 'current') = 'current'
),
{%- set key_hash = jamstat_utils.key_hash(['source', 'source_ref', "coalesce(series_spec, '')", 'source_area_code',
                                              'period', 'sex', 'dims']) %}
repeated_keys as (
    -- by key_hash (a collision only ranks a few more rows).
    -- Each branch below reads the observations again rather than sharing a copy of millions of wide rows.
    select {{ key_hash }} as key_hash
    from current_rows
    group by {{ key_hash }}
    having count(*) > 1
),
ranked as (
    select *, 1 as version_rank, cast(1 as {{ dbt.type_bigint() }}) as n_versions
    from current_rows
    where {{ key_hash }} not in (select key_hash from repeated_keys)
    union all
    select
        *,
        row_number() over (
            partition by source, source_ref, coalesce(series_spec, ''), source_area_code, period, sex, dims
            order by observed_at desc, fetched_at desc, batch_id desc
        ) as version_rank,
        count(*) over (
            partition by source, source_ref, coalesce(series_spec, ''), source_area_code, period, sex, dims
        ) as n_versions
    from current_rows
    where {{ key_hash }} in (select key_hash from repeated_keys)
)
select
    source, source_ref, series_spec, source_area_code, period, sex, value, status,
    dims,
    replace(dims, ' ', '') as dims_key,
    batch_id, fetched_at, n_versions
from ranked
where version_rank = 1
  and not is_deleted
