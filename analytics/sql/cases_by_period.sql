-- New cases (by treatment date) per calendar period and group.
with cohort as not materialized (
    {{cohort}}
),

final as (
    select
        {{group_cols}}
        date_trunc($period, treatment_date)::date as period_start,
        count(*) as n_cases
    from cohort
    group by all
)

select * from final
order by period_start, {{group_cols}} n_cases
