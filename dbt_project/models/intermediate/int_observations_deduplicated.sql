-- Latest wins per source key (source, source_ref, SCB spec, area, period, sex, dims): the newest fetched_at (then
-- the greatest batch_id, to be deterministic) is the current version; then deleted keys are dropped. The SCB spec
-- is part of the key, so two catalog rows fetching the same cells each keep theirs.
with ranked as (
    select
        *,
        row_number() over (
            partition by source, source_ref, coalesce(series_spec, ''), source_area_code, period, sex, dims
            order by fetched_at desc, batch_id desc
        ) as version_rank,
        count(*) over (
            partition by source, source_ref, coalesce(series_spec, ''), source_area_code, period, sex, dims
        ) as n_versions
    from {{ ref('int_observations_unioned') }}
)
select
    source, source_ref, series_spec, source_area_code, period, sex, value, status,
    dims,
    replace(dims, ' ', '') as dims_key,
    batch_id, fetched_at, n_versions
from ranked
where version_rank = 1
  and not is_deleted
