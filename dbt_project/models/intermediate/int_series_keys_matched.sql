-- The distinct observed series keys (source, source_ref, SCB spec, dims_key), each with the series rule(s) of
-- int_series_rules it satisfies (an SCB key only those of the spec that fetched it). The rule matching (table-wide
-- refs '<table>/*', LIKE patterns over the dims JSON) runs here on the few distinct keys, so
-- int_observations_mapped / _unmapped join the millions of observation rows by plain equality.
-- is_single_series: the rule is met by this one key only, written one way (one dims text), so each of its values is
-- one observation row and int_indicator_values_aggregated passes it through without summing.
with keys as (
    select source, source_ref, series_spec, dims_key, min(dims) = max(dims) as has_one_dims_text
    from {{ ref('int_observations_harmonised') }}
    group by source, source_ref, series_spec, dims_key
),
matched as (
    select
        k.source,
        k.source_ref,
        k.series_spec,
        k.dims_key,
        {{ series_rule_columns('m', ",\n        ") }},
        k.has_one_dims_text
    from keys as k
    inner join {{ ref('int_series_rules') }} as m
        on m.obs_source = k.source
       and {{ jamstat_utils.source_ref_matches('m.obs_source_ref', 'k.source_ref') }}
       and coalesce(m.obs_series_spec, '') = coalesce(k.series_spec, '')
       and {{ jamstat_utils.dims_match('m.dims_match', 'k.dims_key') }}
)
select
    source, source_ref, series_spec, dims_key, {{ series_rule_columns(sep=', ') }},
    coalesce(has_one_dims_text, false) and count(*) over (
        partition by indicator_id, source, source_ref, role, month_rollup, mapping_path, birth_region, age_group
    ) = 1 as is_single_series
from matched
