-- The indicator catalog seed, typed and normalised (blank -> null). Seeds are ref()'d, never source()'d.
select
    cast(indicator_id as {{ dbt.type_string() }})                 as indicator_id,
    cast(goal_id as {{ dbt.type_string() }})                      as goal_id,
    cast(subgoal_id as {{ dbt.type_string() }})                   as subgoal_id,
    cast(subgoal_sv as {{ dbt.type_string() }})                   as subgoal_sv,
    cast(indicator_name_sv as {{ dbt.type_string() }})            as indicator_name_sv,
    cast(indicator_name_en as {{ dbt.type_string() }})            as indicator_name_en,
    cast(unit as {{ dbt.type_string() }})                         as unit,
    cast(source as {{ dbt.type_string() }})                       as source,
    cast(nullif(trim(source_ref), '') as {{ dbt.type_string() }}) as source_ref,
    cast(geography_levels as {{ dbt.type_string() }})             as geography_levels,
    cast(lower(by_sex) = 'yes' as {{ dbt.type_boolean() }})       as by_sex,
    cast(case lower(kolada_is_divided_by_gender) when 'true' then true when 'false' then false end
         as {{ dbt.type_boolean() }})                             as kolada_is_divided_by_gender,
    cast(nullif(trim(kolada_title), '') as {{ dbt.type_string() }}) as kolada_title,
    cast(measure_type as {{ dbt.type_string() }})                 as measure_type,
    cast(desired_direction as {{ dbt.type_string() }})            as desired_direction,
    cast(coalesce(nullif(trim(value_semantics), ''),
                  case when measure_type = 'value_by_sex' then 'by_sex' else 'level' end)
         as {{ dbt.type_string() }})                              as value_semantics,
    cast(lower(verified) = 'yes' as {{ dbt.type_boolean() }})     as is_verified,
    -- ';'-separated observation source_refs the ingest emits for this indicator (Kolada id, SCB '<table>/<ContentsCode>')
    cast(coalesce(nullif(trim(ingest_source_refs), ''),
                  case when source in ('kolada') then nullif(trim(source_ref), '') end)
         as {{ dbt.type_string() }})                              as ingest_source_refs,
    cast(nullif(trim(period_granularity), '') as {{ dbt.type_string() }}) as period_granularity,
    cast(nullif(trim(scb_table), '') as {{ dbt.type_string() }})  as scb_table,
    cast(nullif(trim(scb_contents_code), '') as {{ dbt.type_string() }}) as scb_contents_code,
    -- an SCB code still to be looked up live ('lookup:...') leaves the row without an ingest path
    cast(coalesce(scb_contents_code, '') like '%lookup:%' or coalesce(scb_selection, '') like '%lookup:%'
         or coalesce(scb_successors, '') like '%lookup:%' as {{ dbt.type_boolean() }}) as has_scb_lookups,
    cast(evidence as {{ dbt.type_string() }})                     as evidence,
    cast(notes as {{ dbt.type_string() }})                        as notes,
    -- follow-up meaning: what the row is for the strategy and how it is judged
    cast(origin as {{ dbt.type_string() }})                       as origin,
    cast(nullif(trim(strategy_indicator_sv), '') as {{ dbt.type_string() }}) as strategy_indicator_sv,
    cast(nullif(trim(origin_note), '') as {{ dbt.type_string() }}) as origin_note,
    cast(lower(counts_in_followup) = 'true' as {{ dbt.type_boolean() }}) as counts_in_followup,
    cast(nullif(trim(complement_of), '') as {{ dbt.type_string() }}) as complement_of,
    cast(nullif(trim(level_direction), '') as {{ dbt.type_string() }}) as level_direction,
    cast(collection as {{ dbt.type_string() }})                   as collection,
    cast(nullif(trim(min_meaningful_change), '') as {{ jamstat_utils.type_double() }}) as min_meaningful_change,
    cast(nullif(trim(parity_tolerance_pct), '') as {{ jamstat_utils.type_double() }}) as parity_tolerance_pct,
    cast(lower(repeats_by_design) = 'yes' as {{ dbt.type_boolean() }}) as repeats_by_design,
    cast(nullif(trim(publisher), '') as {{ dbt.type_string() }})  as publisher
from {{ ref('indicator_catalog') }}
