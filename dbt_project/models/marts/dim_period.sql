-- Every period key used by fct_indicator_value, plus every year from the baseline year to the latest year
-- (so gap/follow-up marts can join a complete calendar of years).
with used as (
    select distinct period, period_granularity, year, month
    from {{ ref('fct_indicator_value') }}
),
bounds as (
    select min(year) as min_year, max(year) as max_year from used
),
years as (
    select distinct year from used
    union
    select cast({{ var('baseline_year') }} as {{ dbt.type_int() }}) as year
),
periods as (
    select period, period_granularity, year, month from used
    union
    select cast(year as {{ dbt.type_string() }}), 'year', year, cast(null as {{ dbt.type_int() }}) from years
)
select
    cast(period as {{ dbt.type_string() }})              as period,
    cast(period_granularity as {{ dbt.type_string() }})  as period_granularity,
    cast(year as {{ dbt.type_int() }})                   as year,
    cast(month as {{ dbt.type_int() }})                  as month,
    cast(case when period_granularity = 'years'  -- a span starts with its first year
              then {{ dbt.concat(["substring(period, 1, 4)", "'-01-01'"]) }}
              when month is null
              then {{ dbt.concat(["cast(year as " ~ dbt.type_string() ~ ")", "'-01-01'"]) }}
              else {{ dbt.concat(["cast(year as " ~ dbt.type_string() ~ ")", "'-'", "substring(period, 6, 2)", "'-01'"]) }}
         end as date)                                    as period_start_date,
    cast(year >= {{ var('baseline_year') }} as {{ dbt.type_boolean() }}) as is_strategy_period_or_later
from periods
