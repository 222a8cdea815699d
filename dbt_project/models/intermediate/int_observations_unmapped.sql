-- Current observations that do NOT reach fct_indicator_value, with the reason. Never silently dropped:
-- a warn-severity test (assert_no_unmapped_observations) reports them on every build.
with h as (
    select * from {{ ref('int_observations_harmonised') }}
),
series as (
    select * from {{ ref('int_series_rules') }}
),
matched_keys as (
    -- the few observed series keys some rule matches; an observation reaches the fact iff it passes every key
    -- check and its key is one of these (int_observations_mapped)
    select distinct source, source_ref, coalesce(series_spec, '') as series_spec_key, dims_key
    from {{ ref('int_series_keys_matched') }}
),
unmapped as (
    -- an equi-join on the few matched keys: one pass over the observations, not a correlated lookup per row
    select h.*
    from h
    left join matched_keys as mk
        on mk.source = h.source and mk.source_ref = h.source_ref
       and mk.series_spec_key = coalesce(h.series_spec, '') and mk.dims_key = h.dims_key
    where not (h.is_mappable and mk.source is not null)
),
known_refs as (
    -- unmapped refs that some mapping names (exactly or table-wide '<table>/*'; for SCB, for the spec that
    -- fetched them); one row per ref
    select distinct o.source, o.source_ref, o.series_spec
    from (select distinct source, source_ref, series_spec from unmapped) as o
    inner join series as s
        on s.obs_source = o.source and {{ jamstat_utils.source_ref_matches('s.obs_source_ref', 'o.source_ref') }}
       and coalesce(s.obs_series_spec, '') = coalesce(o.series_spec, '')
)
select
    h.source,
    h.source_ref,
    h.series_spec,
    h.source_area_code,
    h.area_code,
    h.period,
    h.sex,
    h.dims,
    h.value,
    h.batch_id,
    h.fetched_at,
    case
        when not h.is_known_sex then 'invalid_sex'
        when not h.is_parsed_period then 'unparsed_period'
        when k.source_ref is null then 'no_catalog_indicator'
        when not h.is_known_area then 'unknown_area'
        when not h.is_area_in_use then 'area_not_in_use_that_year'
        else 'undeclared_dims'
    end as unmapped_reason
from unmapped as h
left join known_refs as k
    on k.source = h.source and k.source_ref = h.source_ref and coalesce(k.series_spec, '') = coalesce(h.series_spec, '')
