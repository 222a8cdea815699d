-- Every distinct observed period, parsed once (year / month / granularity): a few hundred rows that
-- int_observations_harmonised joins by equality instead of parsing each of millions of observation rows.
-- Read from the union below the deduplication, which holds every period the deduplicated rows have.
select
    p.period,
    {{ jamstat_utils.period_granularity('p.period') }} as period_granularity,
    {{ jamstat_utils.period_year('p.period') }}        as year,
    {{ jamstat_utils.period_month('p.period') }}       as month
from (select distinct period from {{ ref('int_observations_unioned') }}) as p
