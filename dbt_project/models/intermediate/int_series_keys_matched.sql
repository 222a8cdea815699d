-- The distinct observed series keys (source, source_ref, SCB spec, dims_key), each with the series rule(s) of
-- int_series_rules it satisfies (an SCB key only those of the spec that fetched it). The rule matching (table-wide
-- refs '<table>/*', LIKE patterns over the dims JSON) runs here on the few distinct keys, so
-- int_observations_mapped / _unmapped join the millions of observation rows by plain equality.
with keys as (
    select distinct source, source_ref, series_spec, dims_key
    from {{ ref('int_observations_harmonised') }}
)
select
    k.source,
    k.source_ref,
    k.series_spec,
    k.dims_key,
    m.indicator_id,
    m.dims_match,
    m.month_rollup,
    m.role,
    m.mapping_path,
    m.birth_region,
    m.age_group
from keys as k
inner join {{ ref('int_series_rules') }} as m
    on m.obs_source = k.source
   and {{ jamstat_utils.source_ref_matches('m.obs_source_ref', 'k.source_ref') }}
   and coalesce(m.obs_series_spec, '') = coalesce(k.series_spec, '')
   and {{ jamstat_utils.dims_match('m.dims_match', 'k.dims_key') }}
