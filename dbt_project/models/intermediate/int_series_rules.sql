-- The series rules: which observation series (source, source_ref, and for SCB the spec that fetched them) feed
-- which catalog indicator, and how.
--   catalog:    the ref (or '<table>/*') is in the catalog's ingest_source_refs (';'-separated; Kolada falls back to the
--               KPI id in source_ref). Same source (a 'file' drop may carry fk/bra/other indicators). An SCB series
--               feeds only the row whose spec fetched it (obs_series_spec = indicator_id), whatever the row's own
--               source: a Kolada row may name an SCB table as an alternative source.
--               Extra dims: allowed only when the series has ONE dims combination (nothing to add up);
--               several combinations without a declared rule stay unmapped ('undeclared_dims').
--   series_map: seed indicator_series_map declares dims handling ('*' = sum over extra dims, flagged derived;
--               a LIKE pattern; or one exact dims JSON), the month -> year roll-up rule, the role: value,
--               or numerator / denominator of a ratio (int_indicator_values_ratios), and the birth region and
--               age group its rows are (total unless the rule says; e.g. Kolada's foreign-born KPI of a pair).
--               It overrides the catalog path for the same ref (for SCB: the same ref fetched by the rule's own
--               indicator).
with catalog as (
    -- ';ref1;ref2;' so that one LIKE finds a whole ref
    select indicator_id, source,
           {{ dbt.concat(["';'", "replace(ingest_source_refs, ' ', '')", "';'"]) }} as refs_list
    from {{ ref('stg_catalog__indicators') }}
),
series_map as (
    select * from {{ ref('stg_catalog__series_map') }}
),
observed as (
    select source, source_ref, series_spec,
           count(distinct dims_key) as n_dims_values, max(dims_key) as only_dims_key
    from {{ ref('int_observations_harmonised') }}
    group by source, source_ref, series_spec
)
select
    c.indicator_id,
    o.source as obs_source,
    o.source_ref as obs_source_ref,
    o.series_spec as obs_series_spec,
    case when o.n_dims_values = 1 then o.only_dims_key else '{}' end as dims_match,
    cast('none' as {{ dbt.type_string() }}) as month_rollup,  -- no roll-up unless declared in the series map
    cast('value' as {{ dbt.type_string() }}) as role,
    cast('catalog' as {{ dbt.type_string() }}) as mapping_path,
    cast('total' as {{ dbt.type_string() }}) as birth_region,  -- a catalog-path series is the indicator's total
    cast('total' as {{ dbt.type_string() }}) as age_group
from catalog as c
inner join observed as o
    on (c.refs_list like {{ dbt.concat(["'%;'", "o.source_ref", "';%'"]) }}
        -- a table-wide ref '<table>/*' (ContentsCode resolved from its label at ingest)
        or c.refs_list like {{ dbt.concat(["'%;'", dbt.split_part("o.source_ref", "'/'", 1), "'/*;%'"]) }})
   and (case when o.source = 'scb' then o.series_spec = c.indicator_id
             else o.source = c.source or (o.source = 'file' and c.source in ('fk', 'bra', 'other')) end)
    -- a dropped file names its catalog row: its rows carry source_ref = indicator_id, whatever the row's source
    or (o.source = 'file' and o.source_ref = c.indicator_id)
where not exists (
    select 1 from series_map as m
    where m.source = o.source and {{ jamstat_utils.source_ref_matches('m.source_ref', 'o.source_ref') }}
      and (o.source <> 'scb' or m.indicator_id = o.series_spec)
)
union all
select
    indicator_id,
    source,
    source_ref,
    case when source = 'scb' then indicator_id end,
    dims_match,
    month_rollup,
    role,
    'series_map',
    birth_region,
    age_group
from series_map
