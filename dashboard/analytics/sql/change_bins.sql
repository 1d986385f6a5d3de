-- Histogram of per-case improvement (positive = better) in one measure at one
-- timepoint, for cases with both a baseline and a follow-up value, per group.
with cohort as (
    {{cohort}}
),

per_case as (
    select
        {{group_cols}}
        case
            when $higher_is_better then f.{{measure}}::double - b.{{measure}}::double
            else b.{{measure}}::double - f.{{measure}}::double
        end as improvement
    from cohort as c
    inner join assessments as b
        on b.case_id = c.case_id and b.timepoint = 'baseline'
    inner join assessments as f
        on f.case_id = c.case_id and f.timepoint = $timepoint
    where b.{{measure}} is not null and f.{{measure}} is not null
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
