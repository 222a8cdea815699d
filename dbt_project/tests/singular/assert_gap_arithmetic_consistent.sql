-- For by_sex rows the gap is exactly women - men and the ratio women / men (null on zero denominator).
select *
from {{ ref('mart_gender_gap') }}
where value_semantics = 'by_sex'
  and (
       abs(coalesce(gap_women_minus_men, 0) - coalesce(value_women - value_men, 0)) > 1e-9
    or (value_men = 0 and ratio_women_to_men is not null)
    or (value_men <> 0 and abs(ratio_women_to_men - value_women / value_men) > 1e-9)
  )
