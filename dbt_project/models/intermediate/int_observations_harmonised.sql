-- Current observations with harmonised keys: canonical area_code (Kolada '0000' -> '00', '00xx' -> 'xx';
-- old municipal codes and aliases such as NUTS SE11 -> current code via the code-history seed), period parsed into year/month/granularity,
-- sex checked against K/M/T. Validity flags drive int_observations_unmapped. The one thing dropped here: an empty
-- cell of a sub-municipal area in a year outside its SCB version (a table crossing both DeSO versions with every
-- year answers '..' there; that area did not exist in that year). A value in such a cell is kept and reported.
with obs as (
    select
        *,
        case
            when source = 'kolada' and source_area_code = '0000' then '00'
            when source = 'kolada' and source_area_code like '00__' then substring(source_area_code, 3, 2)
            else source_area_code
        end as source_area_code_scb_style
    from {{ ref('int_observations_deduplicated') }}
),
changes as (
    select * from {{ ref('stg_reference__area_code_changes') }} where change_type in ('recoded', 'alias')
),
areas as (
    select area_code, first_year, last_year from {{ ref('int_areas_unified') }}
),
sexes as (
    select sex from {{ ref('stg_reference__sexes') }}
),
periods as (
    select * from {{ ref('int_observation_periods') }}
),
harmonised as (
    select
        obs.source,
        obs.source_ref,
        obs.series_spec,
        obs.source_area_code,
        coalesce(changes.current_code, obs.source_area_code_scb_style) as area_code,
        changes.current_code is not null                                 as is_recoded_area,
        obs.period,
        periods.period_granularity,
        periods.year,
        periods.month,
        obs.sex,
        obs.value,
        obs.status,
        obs.dims,
        obs.dims_key,
        obs.batch_id,
        obs.fetched_at,
        obs.n_versions,
        areas.area_code is not null                                      as is_known_area,
        coalesce(periods.year >= areas.first_year, true)
            and coalesce(periods.year <= areas.last_year, true)          as is_area_in_use,
        sexes.sex is not null                                            as is_known_sex
    from obs
    left join changes on changes.old_code = obs.source_area_code_scb_style
    left join areas on areas.area_code = coalesce(changes.current_code, obs.source_area_code_scb_style)
    left join sexes on sexes.sex = obs.sex
    left join periods on periods.period = obs.period
),
checked as (
    select
        *,
        period_granularity is not null and (month is null or month between 1 and 12) as is_parsed_period
    from harmonised
)
select
    *,
    -- every key check passed: such a row reaches the fact if a series rule matches it
    is_known_area and is_area_in_use and is_known_sex and is_parsed_period as is_mappable
from checked
where is_area_in_use or value is not null
