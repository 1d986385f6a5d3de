-- Mean of one measure at each timepoint (baseline included) per group: every value
-- recorded at that timepoint for a case in view. <value_at_tp> is a CASE expression
-- picking the measure's value at t.timepoint.
with cohort as not materialized (
    {{cohort}}
),

timepoints as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_days::integer[]) as tp_days
),

observed as (
    select
        {{group_cols}}
        t.timepoint,
        t.tp_days,
        ({{value_at_tp}})::double as value
    from cohort as c
    cross join timepoints as t
),

final as (
    select
        {{group_cols}}
        timepoint,
        tp_days,
        count(value) as n_values,
        avg(value) as mean,
        stddev_samp(value) as sd
    from observed
    group by all
    having count(value) > 0
)

select * from final
order by {{group_cols}} tp_days
