-- Follow-up completion for one measure at every follow-up timepoint, per group, in one
-- scan: per timepoint the cases due and the cases with both a baseline and a follow-up
-- value. <timepoint_counts> holds, for each timepoint, the two generated aggregates
-- "n_due__<tp>" and "n_assessed__<tp>" (built in queries.py from the vocabulary).
with cohort as not materialized (
    {{cohort}}
),

final as (
    select
        {{group_cols}}
        count(*) as n_cases,
        {{timepoint_counts}}
    from cohort as c
    group by all
)

select * from final
order by {{group_cols}} n_cases
