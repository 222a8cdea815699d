-- Warn (not fail) when current observations do not reach fct_indicator_value; the rows, with the reason,
-- are in intermediate.int_observations_unmapped. Unknown area codes and sub-municipal codes outside their
-- version's years fail separately
-- (assert_no_unknown_area_codes): they are bad data, not merely unmodelled series.
{{ config(severity='warn') }}
select unmapped_reason, source, source_ref, count(*) as n_rows
from {{ ref('int_observations_unmapped') }}
where unmapped_reason not in ('unknown_area', 'area_not_in_use_that_year')
group by unmapped_reason, source, source_ref
