-- DeSO and RegSO areas of both SCB versions, each with its municipality, the years SCB publishes on the version
-- (from SCB's key files, seeds scb_deso / scb_regso),
-- and - where SCB's change log shows the area unchanged - the same area's code in the other version.
-- SCB publishes reference years up to 2023 on DeSO 2018 / RegSO 2020 and from 2024 on DeSO 2025 / RegSO 2025,
-- and does not recompute older years, so both versions are kept as they are and never merged.
-- A DeSO is unchanged between the versions when its code is in both lists and no change in SCB's log after
-- 2018-01-01 names it (as the former or the affected DeSO), except an extension to the territorial-water
-- boundary, which moves no residents. A RegSO is unchanged when it is in both lists with exactly the same DeSOs,
-- all of them unchanged.
{% set water_only = "Utvidgas till territorialvattengräns" %}
with deso as (
    select * from {{ ref('stg_reference__deso_areas') }}
),
regso as (
    select * from {{ ref('stg_reference__regso_areas') }}
),
moving_changes as (
    select from_code, to_code from {{ ref('stg_reference__deso_changes') }}
    where change_type <> '{{ water_only }}' and change_date > date '2018-01-01'
),
changed_deso as (
    select from_code as deso_plain_code from moving_changes
    union
    select to_code from moving_changes
),
deso_unchanged as (
    -- plain codes in both versions that no change touches
    select d.deso_plain_code
    from deso as d
    where d.deso_plain_code not in (select deso_plain_code from changed_deso)
    group by d.deso_plain_code
    having count(distinct d.deso_version) = 2
),
deso_with_counterpart as (
    select
        d.*,
        case when u.deso_plain_code is not null then o.deso_code end as same_area_code
    from deso as d
    left join deso_unchanged as u on u.deso_plain_code = d.deso_plain_code
    left join deso as o on o.deso_plain_code = d.deso_plain_code and o.deso_version <> d.deso_version
),
regso_members as (
    -- per RegSO: its DeSOs (plain codes, in order) and whether all of them are unchanged
    select
        d.regso_code,
        {{ jamstat_utils.ordered_listagg("d.deso_plain_code", "','", ["d.deso_plain_code"]) }} as deso_list,
        min(case when d.same_area_code is null then 0 else 1 end) = 1 as all_deso_unchanged
    from deso_with_counterpart as d
    group by d.regso_code
),
regso_with_counterpart as (
    select
        r.*,
        case when m.all_deso_unchanged and om.all_deso_unchanged and m.deso_list = om.deso_list
             then o.regso_code end as same_area_code
    from regso as r
    left join regso_members as m on m.regso_code = r.regso_code
    left join regso as o on o.regso_plain_code = r.regso_plain_code and o.regso_version <> r.regso_version
    left join regso_members as om on om.regso_code = o.regso_code
)
select
    r.regso_code      as area_code,
    r.regso_name      as area_name,
    'regso'           as area_level,
    4                 as level_order,
    r.municipality_code,
    cast(null as {{ dbt.type_string() }}) as regso_code,
    r.regso_version   as area_version,
    r.first_year,
    r.last_year,
    r.same_area_code
from regso_with_counterpart as r
union all
select
    d.deso_code,
    -- DeSO have no names, only codes (SCB); the name says where the area lies
    {{ dbt.concat(["d.deso_plain_code", "' ('", "r.regso_name", "')'"]) }},
    'deso',
    5,
    d.municipality_code,
    d.regso_code,
    d.deso_version,
    d.first_year,
    d.last_year,
    d.same_area_code
from deso_with_counterpart as d
left join regso as r on r.regso_code = d.regso_code
