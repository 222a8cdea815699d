-- Catalog indicators with their sub-goal key (the two "4.3"s are told apart by subgoal_sv), series breaks,
-- additivity of the unit, where the statistic stands (ingested / published elsewhere / nobody publishes it) and
-- how the follow-up judges it: one parity yardstick chosen by the desired direction, the tolerance and the
-- minimum meaningful change (catalog values, else the documented defaults in dbt_project.yml).
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
),
sourced as (
    select
        c.*,
        -- an ingest path: an API source the ingest fetches, with a machine spec whose codes are all known
        c.source in ({% for s in var('ingested_sources') %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %})
            and c.ingest_source_refs is not null and not c.has_scb_lookups as has_ingest_path
    from catalog as c
),
judged as (
    select
        s.*,
        case
            when s.has_ingest_path then 'ingested'
            when s.publisher is not null then 'public_source_not_ingested'
            else 'no_public_source'
        end as source_status,
        -- the yardstick follows the meaning: sharing -> women's share; a gap -> women's value as % of men's
        case
            when s.desired_direction = 'parity' and s.value_semantics in ('women_share', 'men_share', 'by_sex')
                then 'women_share'
            when s.desired_direction = 'gap_to_zero' and s.value_semantics in ('by_sex', 'women_pct_of_men')
                then 'women_pct_of_men'
        end as parity_metric,
        case
            when s.desired_direction in ('higher_is_better', 'lower_is_better') then s.desired_direction
            when s.desired_direction = 'gap_to_zero' then s.level_direction
        end as level_direction_judged,
        coalesce(s.min_meaningful_change,
                 case when s.collection = 'survey' then {{ var('survey_min_meaningful_change') }} else 0 end)
            as min_meaningful_change_judged
    from sourced as s
)
select
    j.*,
    g.subgoal_key,
    j.source_status <> 'no_public_source' as has_public_source,
    j.unit in ({% for u in var('additive_units') %}'{{ u }}'{% if not loop.last %}, {% endif %}{% endfor %}) as is_additive,
    case j.parity_metric when 'women_share' then 50.0 when 'women_pct_of_men' then 100.0 end as parity_target,
    case j.parity_metric
        when 'women_share' then {{ var('parity_share_tolerance_pp') }}
        when 'women_pct_of_men' then coalesce(j.parity_tolerance_pct, {{ var('parity_ratio_tolerance_pct') }})
    end as parity_tolerance,
    case
        when j.parity_metric is not null then j.parity_metric
        when j.desired_direction in ('higher_is_better', 'lower_is_better')
            then case when j.value_semantics = 'by_sex' then 'value_women' else 'value_total' end
    end as judged_on,
    b.first_break_year,
    b.last_break_year,
    b.series_breaks,
    coalesce(
        s.observation_refs,
        case when j.ingest_source_refs is not null
             then j.source || ':' || replace(replace(j.ingest_source_refs, ' ', ''), ';', {{ dbt.concat(["', '", "j.source", "':'"]) }}) end,
        case when j.source_ref is not null then j.source || ':' || j.source_ref end) as observation_refs
from judged as j
left join goals as g
    on g.subgoal_id = j.subgoal_id and g.catalog_subgoal_sv = j.subgoal_sv
left join breaks as b on b.indicator_id = j.indicator_id
left join series_refs as s on s.indicator_id = j.indicator_id
