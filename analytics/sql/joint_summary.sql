-- Responders to a joint definition (`A+B`: one patient must meet every criterion), per
-- group and follow-up timepoint. Each criterion is a row of `parts` (bound lists); every
-- case is judged on each part exactly as in summary.sql, then the parts are combined per
-- case: assessed = assessed on every measure, excluded = excluded on any, responder =
-- responder on all. Means are not defined across measures and come back null.
-- Fragments: <group_cols>; <has_at_tp>; <baseline_of_part> / <value_of_part> CASE
-- expressions picking, for part p.measure (and timepoint t.timepoint), the value.
with cohort as not materialized (
    {{cohort}}
),

timepoints as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_days::integer[]) as tp_days,
        unnest($tp_due_days::integer[]) as due_days
),

parts as (
    select
        unnest($p_measure::varchar[]) as measure,
        unnest($p_higher_is_better::boolean[]) as higher_is_better,
        unnest($p_scale_low::double[]) as scale_low,
        unnest($p_scale_high::double[]) as scale_high,
        unnest($p_is_percent::boolean[]) as is_percent,
        unnest($p_threshold::double[]) as threshold
),

per_part as (
    select
        {{group_cols}}
        c.case_id,
        t.timepoint,
        t.tp_days,
        (c.treatment_date + t.due_days <= $as_of::date or {{has_at_tp}}) as is_due,
        p.*,
        ({{baseline_of_part}})::double as baseline_value,
        ({{value_of_part}})::double as followup_value
    from cohort as c
    cross join timepoints as t
    cross join parts as p
),

scored as (
    select
        *,
        case
            when higher_is_better then followup_value - baseline_value
            else baseline_value - followup_value
        end as improvement,
        case
            when higher_is_better then scale_high - baseline_value
            else baseline_value - scale_low
        end as room
    from per_part
),

judged as (
    select
        *,
        case
            when is_percent then baseline_value <= scale_low
            else round(room, 6) < threshold
        end as is_excluded,
        case
            when is_percent
                then round(100 * improvement / nullif(baseline_value - scale_low, 0), 6)
                >= threshold
            else round(improvement, 6) >= threshold
        end as is_responder
    from scored
),

per_case as (
    select
        {{group_cols}}
        case_id,
        timepoint,
        tp_days,
        bool_and(is_due) as is_due,
        bool_and(followup_value is not null) as is_returned,
        bool_or(baseline_value is null) as lacks_baseline,
        bool_and(baseline_value is not null and followup_value is not null) as is_assessed,
        coalesce(bool_or(is_excluded), false) as is_excluded,
        coalesce(bool_and(is_responder), false) as is_responder
    from judged
    group by all
),

final as (
    select
        {{group_cols}}
        timepoint,
        tp_days,
        count(*) as n_cases,
        count(*) filter (where is_due) as n_due,
        count(*) filter (where is_due and is_returned) as n_followup_returned,
        count(*) filter (where is_due and is_returned and lacks_baseline) as n_no_baseline,
        count(*) filter (where is_assessed) as n_assessed,
        count(*) filter (where is_assessed and is_excluded) as n_excluded,
        count(*) filter (where is_assessed and not is_excluded and is_responder) as responders,
        null::double as baseline_mean,
        null::double as followup_mean,
        null::double as mean_change,
        null::double as change_sd
    from per_case
    group by all
)

select * from final
order by {{group_cols}} tp_days
