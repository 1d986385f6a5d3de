-- Responders and change in one measure, per group and follow-up timepoint.
-- Fragments (built in queries.py from the vocabulary): <group_cols> whitelisted group
-- columns each followed by a comma, or nothing; <baseline> the measure's baseline
-- column; <value_at_tp> / <has_at_tp> CASE expressions picking, for timepoint
-- t.timepoint, the measure's value and whether any assessment row exists.
with cohort as not materialized (
    {{cohort}}
),

timepoints as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_days::integer[]) as tp_days,
        unnest($tp_due_days::integer[]) as due_days
),

per_case as (
    select
        {{group_cols}}
        t.timepoint,
        t.tp_days,
        -- due: the visit window has closed, or an assessment at it exists already
        (c.treatment_date + t.due_days <= $as_of::date or {{has_at_tp}}) as is_due,
        {{baseline}}::double as baseline_value,
        ({{value_at_tp}})::double as followup_value
    from cohort as c
    cross join timepoints as t
),

scored as (
    select
        *,
        baseline_value is not null and followup_value is not null as is_assessed,
        -- improvement is positive when the patient is better, whatever the scale direction
        case
            when $higher_is_better then followup_value - baseline_value
            else baseline_value - followup_value
        end as improvement,
        -- the most this case could improve: distance from baseline to the best score
        case
            when $higher_is_better then $scale_high - baseline_value
            else baseline_value - $scale_low
        end as room
    from per_case
),

-- Values are rounded to 6 decimals before comparing so that, say, an EQ-5D of
-- 0.32 -> 0.42 reaches a 0.10 threshold despite binary floating point.
judged as (
    select
        *,
        case
            when $is_percent then baseline_value <= $scale_low
            else round(room, 6) < $threshold
        end as is_excluded,
        case
            when $is_percent
                then round(100 * improvement / nullif(baseline_value - $scale_low, 0), 6)
                >= $threshold
            else round(improvement, 6) >= $threshold
        end as is_responder
    from scored
),

final as (
    select
        {{group_cols}}
        timepoint,
        tp_days,
        count(*) as n_cases,
        count(*) filter (where is_due) as n_due,
        -- returned: a follow-up value, with or without a baseline (completion)
        count(*) filter (where is_due and followup_value is not null) as n_followup_returned,
        count(*) filter (
            where is_due and followup_value is not null and baseline_value is null
        ) as n_no_baseline,
        count(*) filter (where is_assessed) as n_assessed,
        count(*) filter (where is_assessed and is_excluded) as n_excluded,
        count(*) filter (where is_assessed and not is_excluded and is_responder) as responders,
        avg(baseline_value) filter (where is_assessed) as baseline_mean,
        avg(followup_value) filter (where is_assessed) as followup_mean,
        avg(improvement) filter (where is_assessed) as mean_change,
        stddev_samp(improvement) filter (where is_assessed) as change_sd
    from judged
    group by all
)

select * from final
order by {{group_cols}} tp_days
