-- One row per analysed case in view (ordered by case id, which is not returned) for the case-mix adjusted figures (analytics/adjust):
-- the outcome measure at baseline and at the timepoint, whether the case responded (the
-- same rules as summary.sql), and the patient's risk factors from the store's cases.
-- Fragments (built in analytics/adjust/data.py from the vocabulary): <baseline> and
-- <followup> the measure's fact columns; <pain_baselines> baseline back and leg pain;
-- <risk_factors> the risk-factor columns the store has (whole numbers as they are, flags as
-- 1/0 in one byte; data.py widens them to doubles after the read), each
-- followed by a comma;
-- <physician> c.physician, or it cast back to the facts' ENUM when nobody's peers are renamed
-- (one byte a row through the join and the sort instead of the name);
-- <source> the schema holding the store's tables.
with cohort as not materialized (
    {{cohort}}
),

picked as (
    select
        c.case_id,
        c.pathway,
        c.treatment,
        c.clinic,
        {{physician}} as physician,
        c.cause,
        c.index_surgery,
        c.sex,
        c.age::double as age,
        {{pain_baselines}},
        {{baseline}}::double as baseline_value,
        {{followup}}::double as followup_value
    from cohort as c
    where {{baseline}} is not null and {{followup}} is not null
),

scored as (
    select
        *,
        case
            when $higher_is_better then followup_value - baseline_value
            else baseline_value - followup_value
        end as improvement,
        case
            when $higher_is_better then $scale_high - baseline_value
            else baseline_value - $scale_low
        end as room
    from picked
),

final as (
    select
        s.* exclude (room),
        coalesce(case
            when $is_percent
                then round(100 * s.improvement / nullif(s.baseline_value - $scale_low, 0), 6)
                >= $threshold
            else round(s.improvement, 6) >= $threshold
        end, false) as is_responder,
        {{risk_factors}}
        true as _end
    from scored as s
    left join {{source}}.cases as k on k.case_id = s.case_id
    -- left out of the responder rate: no room to improve by the threshold
    where not (case
        when $is_percent then s.baseline_value <= $scale_low
        else round(s.room, 6) < $threshold
    end)
)

select * exclude (case_id, _end) from final
order by case_id
