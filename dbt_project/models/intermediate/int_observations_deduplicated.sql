-- Latest wins per source key (source, source_ref, SCB spec, area, period, sex, dims): the version the source sent
-- *last* (its batch's last_observed_at, then fetched_at, then the greatest batch_id, to be deterministic) is
-- current, so content the source takes back (A -> B -> A) is current again; then deleted keys are dropped. Rows of
-- batches that are not current (superseded by a later full snapshot, or retracted) never take part. (A row whose
-- batch has no ingest-log row counts as observed when fetched; the raw_observations GX suite fails such a
-- candidate.) The SCB spec is part of the key, so two catalog rows fetching the same cells each keep theirs.
-- Most keys have one version: only the keys seen more than once are ranked (a window over millions of one-row
-- partitions costs more than finding the few repeated keys and ranking just those).
-- The current rows are written out in each branch rather than shared as a CTE: a CTE read three times is
-- materialised, i.e. every wide row is copied once more (and a view does not keep a NOT MATERIALIZED hint).
{%- set current_rows -%}
    (
        select *, coalesce(last_observed_at, fetched_at) as observed_at
        from {{ ref('int_observations_unioned') }}
        where coalesce(batch_state, 'current') = 'current'
    )
{%- endset %}
{%- set key_hash = jamstat_utils.key_hash(['source', 'source_ref', "coalesce(series_spec, '')", 'source_area_code',
                                              'period', 'sex', 'dims']) %}
with repeated_keys as (
    -- by key_hash (a collision only ranks a few more rows)
    select {{ key_hash }} as key_hash
    from {{ current_rows }} as o
    group by {{ key_hash }}
    having count(*) > 1
),
ranked as (
    select *, 1 as version_rank, cast(1 as {{ dbt.type_bigint() }}) as n_versions
    from {{ current_rows }} as o
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
    from {{ current_rows }} as o
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
