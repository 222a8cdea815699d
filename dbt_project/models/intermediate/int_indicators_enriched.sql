-- Catalog indicators with their sub-goal key (the two "4.3"s are told apart by subgoal_sv), series breaks,
-- additivity of the unit and whether the source has an ingest path (var ingested_sources).
with catalog as (
    select * from {{ ref('stg_catalog__indicators') }}
),
goals as (
    select * from {{ ref('stg_catalog__goals') }}
),
breaks as (
    select
        indicator_id,
        min(break_year) as first_break_year,
        max(break_year) as last_break_year,
        {{ jamstat_utils.ordered_listagg("cast(break_year as " ~ dbt.type_string() ~ ") || ': ' || break_note", "' | '", ["break_year"]) }} as series_breaks
    from {{ ref('stg_catalog__series_breaks') }}
    group by indicator_id
),
series_refs as (
    -- one entry per ref: a ratio names the same ref under several rules (roles, age bands)
    select indicator_id, {{ jamstat_utils.ordered_listagg("source || ':' || source_ref", "', '", ["source_ref"]) }} as observation_refs
    from (select distinct indicator_id, source, source_ref from {{ ref('stg_catalog__series_map') }}) as refs
    group by indicator_id
)
select
    c.*,
    g.subgoal_key,
    c.source in ({% for s in var('ingested_sources') %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %})
        or s.indicator_id is not null                                   as has_public_source,
    c.unit in ({% for u in var('additive_units') %}'{{ u }}'{% if not loop.last %}, {% endif %}{% endfor %}) as is_additive,
    b.first_break_year,
    b.last_break_year,
    b.series_breaks,
    coalesce(
        s.observation_refs,
        case when c.ingest_source_refs is not null
             then c.source || ':' || replace(replace(c.ingest_source_refs, ' ', ''), ';', {{ dbt.concat(["', '", "c.source", "':'"]) }}) end,
        case when c.source_ref is not null then c.source || ':' || c.source_ref end) as observation_refs
from catalog as c
left join goals as g
    on g.subgoal_id = c.subgoal_id and g.catalog_subgoal_sv = c.subgoal_sv
left join breaks as b on b.indicator_id = c.indicator_id
left join series_refs as s on s.indicator_id = c.indicator_id
