-- Mean of one measure at each timepoint (baseline included) per group: every value
-- recorded at that timepoint for a case in view. {{measure}} is a vocabulary column.
with cohort as (
    {{cohort}}
),

timepoints as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_days::integer[]) as tp_days
),

final as (
    select
        {{group_cols}}
        t.timepoint,
        t.tp_days,
        count(a.{{measure}}) as n_values,
        avg(a.{{measure}}::double) as mean,
        stddev_samp(a.{{measure}}::double) as sd
    from cohort as c
    inner join assessments as a on a.case_id = c.case_id
    inner join timepoints as t on t.timepoint = a.timepoint
    where a.{{measure}} is not null
    group by all
)

select * from final
order by {{group_cols}} tp_days
