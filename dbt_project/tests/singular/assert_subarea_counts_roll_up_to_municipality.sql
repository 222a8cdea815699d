-- Fail (blocks publication) when the counts of a municipality's DeSO or RegSO, summed, differ from the count SCB
-- publishes for the municipality itself by more than var subarea_rollup_tolerance_pct percent (SCB adds small
-- noise to counts from reference year 2025, so the sum and the published total need not be equal to the person).
-- A larger difference means an area is missing or doubled, a code of the wrong version slipped in, or the batch
-- is broken: the row names the municipality, version, series, sex and period. Compared only where every area of
-- the version has a value and the municipality has one (intermediate.int_subarea_count_rollups lists them all).
{{ config(severity='error') }}
select rolled_up_from, area_version, municipality_code, indicator_id, source_ref, dims_key, period, sex,
       rolled_up_value, municipal_value, difference
from {{ ref('int_subarea_count_rollups') }}
where difference is not null
  and abs(difference) > {{ var('subarea_rollup_tolerance_pct') }} / 100.0 * abs(municipal_value)
