-- Fail (blocks publication) when a source delivers an area code that is neither a current area nor a known
-- historic code. Either a municipal reform is missing from seeds/reference/area_code_changes.csv (add the
-- old -> new code there) or the source sent bad data: then the failure names the batch to retract (jamstat batches
-- retract) until the source or the landing folder is fixed; silently dropping those rows would skew every mart.
-- A value for a DeSO/RegSO in a year outside its SCB version (a DeSO 2018 code in 2024, a DeSO 2025 code in 2023)
-- fails the same way: SCB publishes no such figure, so the code or the period is wrong.
-- The rows are listed in intermediate.int_observations_unmapped with unmapped_reason = 'unknown_area' or
-- 'area_not_in_use_that_year'.
{{ config(severity='error') }}
select source, source_ref, source_area_code, unmapped_reason, batch_id, count(*) as n_rows
from {{ ref('int_observations_unmapped') }}
where unmapped_reason in ('unknown_area', 'area_not_in_use_that_year')
group by source, source_ref, source_area_code, unmapped_reason, batch_id
