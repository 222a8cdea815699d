-- Fail (blocks publication) when a source delivers an area code that is neither a current area nor a known
-- historic code. Either a municipal reform is missing from seeds/reference/area_code_changes.csv (add the
-- old -> new code there) or the source sent bad data: then the failure names the batch to retract (jamstat batches
-- retract) until the source or the landing folder is fixed; silently dropping those rows would skew every mart.
-- The rows are listed in intermediate.int_observations_unmapped with unmapped_reason = 'unknown_area'.
{{ config(severity='error') }}
select source, source_ref, source_area_code, batch_id, count(*) as n_rows
from {{ ref('int_observations_unmapped') }}
where unmapped_reason = 'unknown_area'
group by source, source_ref, source_area_code, batch_id
