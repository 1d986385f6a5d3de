-- Assessments dated outside their timepoint's visit window (still counted by their
-- label everywhere else), for the Data quality page. One row per case and timepoint.
-- <date_at_tp> picks the assessment date at t.timepoint.
with cohort as not materialized (
    {{cohort}}
),

windows as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_days::integer[]) as tp_days,
        unnest($w_opens::integer[]) as opens,
        unnest($w_closes::integer[]) as closes
),

dated as (
    select
        c.case_id,
        c.clinic,
        c.treatment_date,
        w.timepoint,
        w.tp_days,
        w.opens,
        w.closes,
        ({{date_at_tp}}) as assessment_date
    from cohort as c
    cross join windows as w
),

final as (
    select
        case_id,
        clinic::varchar as clinic,
        timepoint,
        treatment_date,
        assessment_date,
        datediff('day', treatment_date, assessment_date) as days_after_treatment,
        opens as window_opens,
        closes as window_closes,
        tp_days
    from dated
    where assessment_date is not null
        and datediff('day', treatment_date, assessment_date) not between opens and closes
)

select * exclude (tp_days) from final
order by clinic, case_id, tp_days
limit $limit
