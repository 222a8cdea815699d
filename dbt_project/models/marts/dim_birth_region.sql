-- Birth-region vocabulary of all facts: total where a source has no split, born_in_sweden, foreign_born, and
-- SCB's finer foreign-born groups (birth_region_group says which of the three each belongs to).
select * from {{ ref('stg_reference__birth_regions') }}
