-- Warn (not fail) when current observations do not reach fct_indicator_value; the rows, with the reason,
-- are in intermediate.int_observations_unmapped.
{{ config(severity='warn') }}
select unmapped_reason, source, source_ref, count(*) as n_rows
from {{ ref('int_observations_unmapped') }}
group by unmapped_reason, source, source_ref
