-- Fail (blocks publication) when rows of a dropped file reach no indicator for a reason of the file itself: its
-- source_ref names no catalog row or series-map rule, or a period or sex that does not parse. The file drop refuses
-- such files at ingest; this catches batches the catalog stopped mapping later. (Rows a declared series-map rule
-- leaves out, 'undeclared_dims', are a choice, reported by the warn test assert_no_unmapped_observations.)
{{ config(severity='error') }}
select source_ref, unmapped_reason, batch_id, count(*) as n_rows
from {{ ref('int_observations_unmapped') }}
where source = 'file' and unmapped_reason in ('no_catalog_indicator', 'unparsed_period', 'invalid_sex')
group by source_ref, unmapped_reason, batch_id
