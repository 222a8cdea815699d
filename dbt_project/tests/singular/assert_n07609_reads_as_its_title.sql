-- Kolada N07609's title counts those who feel unsafe ("Otrygghet ..."), its description those who feel safe
-- ("Mycket/Ganska trygg"). Brå publishes the unsafe share, about 15-20 % for the country, the safe share is the
-- rest; so the first real country value settles it: above 50 means the description holds, and the catalog row
-- perceived_unsafety_ntu_municipality (named after the title) must be renamed. Warns, naming the value.
{{ config(severity='warn') }}
select indicator_id, area_code, period, value,
       'a country value above 50 is the share feeling safe: rename perceived_unsafety_ntu_municipality' as problem
from {{ ref('fct_indicator_value') }}
where indicator_id = 'perceived_unsafety_ntu_municipality' and area_code = '00' and value > 50
