-- 03  VAB: mäns andel av dagarna med tillfällig föräldrapenning över tid för en kommun, med förändring sedan 2014
--     VAB: men's share of temporary parental-benefit days over time for one municipality, with change since 2014
--
-- Goal:      3  Kvinnor och män tar lika stor del av det obetalda arbetet i Stockholms län
-- Sub-goal:  3.3 Kvinnor och män med barn fördelar sin tid lika mellan betalt och obetalt arbete
--            (strategy indicator: "statistik över tillfällig föräldrapenning (Försäkringskassan)")
-- Indicator: Kolada N00945 "Tillfälliga föräldrapenningdagar (VAB) som tas ut av män, andel av antal dagar (%)"
--            = indicator_id temporary_parental_benefit_share_men (single value, men's share)
--
-- PARAMETERS: edit the `params` CTE below — area_code (default 0180 Stockholm; any municipality, county or 00)
-- and baseline_year (default 2014, the first year of the strategy).
--
-- One row per year with a value for the area, oldest first.
--
-- Columns (in this order: the answer first, codes and technical columns after it; values rounded to 1 decimal,
-- ratios to 2, for presentation; the marts keep full precision)
--   area_code, area_name, year
--   men_share_pct                    men's share of the VAB days, percent, as Kolada publishes it
--   women_share_pct                  100 - men_share_pct
--   distance_to_parity_pp            women_share_pct - 50 (positive = women take more than half)
--   is_within_40_60                  both sexes take 40-60 % of the days
--   previous_year                    previous year with a value (years can be missing)
--   men_share_change_prev_year_pp    men_share_pct minus its value in previous_year, percentage points
--   direction_of_change              toward_target | away_from_target | unchanged vs previous_year (|distance to 50 %|)
--   baseline_year                    the parameter
--   men_share_baseline_pct           men_share_pct in baseline_year (null if that year is missing)
--   men_share_change_since_baseline_pp   men_share_pct - men_share_baseline_pct
--   county_men_share_pct, country_men_share_pct   the same year for the area's county and for Riket (00), if loaded
--   has_break_since_previous_year, has_break_since_baseline   a known series break (dim_indicator.series_breaks)
--                                    lies in between; then the change is not comparable (N00945 has none declared).
--                                    has_break_since_baseline is null when the baseline_year parameter differs from
--                                    the warehouse's baseline (dbt var baseline_year = 2014)
--   note                           null on an answer; when there is none, the only row, saying why
--
-- Caveats
--   * Register data (Försäkringskassan), no sampling error. The strategy notes the VAB gap is smaller than for
--     parental benefit but "står i princip still" — read small year-to-year moves against that.
--   * Replay data: 7 rows for 0180, 2014-2020, real values from rKolada (ingest/reference/rKolada_n00945_vab_mans_andel_0180_1280_1480.csv),
--     e.g. 2014 38.61051404, 2020 40.8 (+2.19 pp since 2014). The pipeline fetches Kolada years from 2014 by default;
--     the recordings go back to 2000 (set JAMSTAT_KOLADA_YEARS=2000-2026 before `make run` to load them).
--     Only 0180, 1280 and 1480 are recorded; county and country columns are null on replay data.
--
-- Portable SQL (DuckDB and PostgreSQL). Run: .venv/bin/duckdb -readonly warehouse/jamstat.duckdb < queries/03_vab_men_share_trend.sql
with params as (
    select
        '0180' as area_code,       -- <<< PARAMETER: area code (0180 Stockholm, 01 Stockholms län, 00 Riket)
        2014   as baseline_year,   -- <<< PARAMETER: baseline year for the change
        'N00945' as kolada_kpi     -- <<< PARAMETER: Kolada KPI id (a men's-share KPI)
),
kpi as (
    select i.indicator_id
    from marts.dim_indicator as i
    inner join params as p on i.source_ref = p.kolada_kpi
),
series as (
    select g.*
    from marts.mart_gender_gap as g
    inner join kpi as k on k.indicator_id = g.indicator_id
    inner join params as p on p.area_code = g.area_code
    where g.value_total is not null
),
answer as (
    select
        a.area_name,
        s.year,
        cast(s.value_total as numeric(18, 1))                      as men_share_pct,
        cast(s.women_share as numeric(18, 1))                      as women_share_pct,
        cast(s.distance_to_parity as numeric(18, 1))               as distance_to_parity_pp,
        s.is_at_parity                                             as is_within_40_60,
        s.direction_of_change,
        cast(s.value_total_change_prev_year as numeric(18, 1))     as men_share_change_prev_year_pp,
        cast(s.value_total - b.value_total as numeric(18, 1))      as men_share_change_since_baseline_pp,
        cast(cty.value_total as numeric(18, 1))                    as county_men_share_pct,
        cast(nat.value_total as numeric(18, 1))                    as country_men_share_pct,
        s.previous_year,
        p.baseline_year,
        cast(b.value_total as numeric(18, 1))                      as men_share_baseline_pct,
        s.has_break_since_previous_year,
        case when s.baseline_year = p.baseline_year then s.has_break_since_baseline end
                                                                   as has_break_since_baseline,
        s.area_code,
        cast(null as varchar)                                      as note
    from series as s
    cross join params as p
    inner join marts.dim_area as a on a.area_code = s.area_code
    left join series as b on b.year = p.baseline_year
    left join marts.mart_gender_gap as cty
        on cty.indicator_id = s.indicator_id and cty.area_code = a.county_code and cty.year = s.year
           and a.area_level = 'municipality'
    left join marts.mart_gender_gap as nat
        on nat.indicator_id = s.indicator_id and nat.area_code = '00' and nat.year = s.year
)
select * from answer
union all
select
    null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, p.area_code,
    case
        when not exists (select 1 from kpi) then
            p.kolada_kpi || ' is not a Kolada KPI of the catalog (marts.dim_indicator.source_ref): check the parameter'
        when not exists (select 1 from marts.dim_area as a where a.area_code = p.area_code) then
            'area ' || p.area_code || ' is not in marts.dim_area: check the parameter'
        else 'no value of ' || p.kolada_kpi || ' for area ' || p.area_code || ' in this warehouse: replay data hold '
             || 'it for 0180, 1280 and 1480 only; a live run (JAMSTAT_MODE=live make run) fetches every area'
    end
from params as p
where not exists (select 1 from answer)
order by year;
