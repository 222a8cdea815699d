-- Age-group vocabulary of all facts: total (all ages the indicator covers) where a source has no split, and the
-- named groups where one does.
select * from {{ ref('stg_reference__age_groups') }}
