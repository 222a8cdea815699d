-- Latest wins per source key (source, source_ref, SCB spec, area, period, sex, dims): the version the source sent
-- *last* (its batch's last_observed_at, then fetched_at, then the greatest batch_id, to be deterministic) is
-- current, so content the source takes back (A -> B -> A) is current again; then deleted keys are dropped. Rows of
-- batches that are not current (superseded by a later full snapshot, or retracted) never take part. (A row whose
-- batch has no ingest-log row counts as observed when fetched; the raw_observations GX suite fails such a
-- candidate.) The SCB spec is part of the key, so two catalog rows fetching the same cells each keep theirs.
with batches as (
    select batch_id, last_observed_at, batch_state
    from {{ ref('stg_ingest__batches') }}
),
ranked as (
    select
        o.*,
        row_number() over (
            partition by o.source, o.source_ref, coalesce(o.series_spec, ''), o.source_area_code, o.period, o.sex,
                         o.dims
            order by coalesce(b.last_observed_at, o.fetched_at) desc, o.fetched_at desc, o.batch_id desc
        ) as version_rank,
        count(*) over (
            partition by o.source, o.source_ref, coalesce(o.series_spec, ''), o.source_area_code, o.period, o.sex,
                         o.dims
        ) as n_versions
    from {{ ref('int_observations_unioned') }} as o
    left join batches as b on b.batch_id = o.batch_id
    where coalesce(b.batch_state, 'current') = 'current'
)
select
    source, source_ref, series_spec, source_area_code, period, sex, value, status,
    dims,
    replace(dims, ' ', '') as dims_key,
    batch_id, fetched_at, n_versions
from ranked
where version_rank = 1
  and not is_deleted
