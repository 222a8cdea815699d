-- Fail (blocks publication) on a period no series can have: after next year (2099 is a typo or a placeholder, not
-- a statistic) or before var('plausible_first_year'). Names the indicator, the period and the batch to retract.
{{ config(severity='error') }}
select indicator_id, source, source_ref, period, batch_id, count(*) as n_rows
from {{ ref('int_observations_mapped') }}
where year > cast(extract(year from current_date) as {{ dbt.type_int() }}) + 1
   or year < {{ var('plausible_first_year') }}
group by indicator_id, source, source_ref, period, batch_id
