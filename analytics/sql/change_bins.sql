-- Histogram of per-case improvement (positive = better) in one measure at one
-- timepoint, for cases with both a baseline and a follow-up value, per group.
-- <baseline> and <followup> are the measure's fact columns at those timepoints.
with cohort as not materialized (
    {{cohort}}
),

per_case as (
    select
        {{group_cols}}
        case
            when $higher_is_better then {{followup}}::double - {{baseline}}::double
            else {{baseline}}::double - {{followup}}::double
        end as improvement
    from cohort as c
    where {{baseline}} is not null and {{followup}} is not null
),

final as (
    select
        {{group_cols}}
        -- rounded first so that 0.1 / 0.05 lands in bin 2, not 1.9999...
        floor(round(improvement / $bin_width, 6))::bigint as bin_index,
        count(*) as n
    from per_case
    group by all
)

select * from final
order by {{group_cols}} bin_index
