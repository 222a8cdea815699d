-- Counts of the RegSO and DeSO of one SCB version summed to their municipality, next to the municipality's own
-- published count of the same series, sex and period. Only counts are summed - the parts of ratio indicators
-- (role numerator / denominator) and indicators in an additive unit - never rates: a municipal rate is rebuilt
-- from summed counts, not from averaged area rates. A sum is only formed when every area of the version has a
-- value (n_values = n_areas_in_version); otherwise rolled_up_value is null and the row says how many are missing.
-- Checked by assert_subarea_counts_roll_up_to_municipality.
with areas as (
    select area_code, area_level, municipality_code, area_version from {{ ref('int_areas_unified') }}
),
version_sizes as (
    select area_level, area_version, municipality_code, count(*) as n_areas_in_version
    from areas
    where {{ is_sub_municipal('area_level') }}
    group by area_level, area_version, municipality_code
),
counts as (
    select o.indicator_id, o.source, o.source_ref, o.series_spec, o.dims_key, o.period, o.sex, o.area_code, o.value,
           a.area_level, a.area_version, a.municipality_code
    from {{ ref('int_observations_mapped') }} as o
    inner join areas as a on a.area_code = o.area_code
    inner join {{ ref('int_indicators_enriched') }} as i on i.indicator_id = o.indicator_id
    where o.role in ('numerator', 'denominator')
       or i.is_additive
),
rolled as (
    select
        area_level as rolled_up_from, area_version, municipality_code, indicator_id, source, source_ref,
        series_spec, dims_key, period, sex,
        count(value)              as n_values,
        sum(value)                as value_sum
    from counts
    where {{ is_sub_municipal('area_level') }}
    group by area_level, area_version, municipality_code, indicator_id, source, source_ref, series_spec, dims_key,
             period, sex
)
select
    r.rolled_up_from,
    r.area_version,
    r.municipality_code,
    r.indicator_id,
    r.source,
    r.source_ref,
    r.series_spec,
    r.dims_key,
    r.period,
    r.sex,
    v.n_areas_in_version,
    r.n_values,
    case when r.n_values = v.n_areas_in_version then r.value_sum end as rolled_up_value,
    m.value                                                           as municipal_value,
    case when r.n_values = v.n_areas_in_version then r.value_sum - m.value end as difference
from rolled as r
inner join version_sizes as v
    on v.area_level = r.rolled_up_from and v.area_version = r.area_version and v.municipality_code = r.municipality_code
left join counts as m
    on m.area_code = r.municipality_code and m.area_level = 'municipality'
   and m.indicator_id = r.indicator_id and m.source = r.source and m.source_ref = r.source_ref
   and coalesce(m.series_spec, '') = coalesce(r.series_spec, '') and m.dims_key = r.dims_key
   and m.period = r.period and m.sex = r.sex
