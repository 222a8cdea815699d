-- Harmonised observations that belong to a catalog indicator and pass every key check
-- (known area, K/M/T sex, parsed period, declared dims). Everything else is int_observations_unmapped.
-- role 'value' rows become values themselves; numerator/denominator rows feed int_indicator_values_ratios.
select
    {{ series_rule_columns('m') }},
    m.is_single_series,
    h.*
from {{ ref('int_observations_harmonised') }} as h
inner join {{ ref('int_series_keys_matched') }} as m
    on m.source = h.source
   and m.source_ref = h.source_ref
   and coalesce(m.series_spec, '') = coalesce(h.series_spec, '')
   and m.dims_key = h.dims_key
where h.is_mappable
