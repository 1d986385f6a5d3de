-- Time from treatment to the first event of each type, or to censoring at the last known
-- contact (latest assessment or event of any type; the treatment date when there is
-- none), counted per group, event type, day and outcome: the input of Kaplan-Meier.
-- With $horizon set, times beyond it are censored at the horizon, which leaves the
-- survival estimate up to horizon - 1 days unchanged and keeps the table small.
with cohort as (
    {{cohort}}
),

event_types as (
    select
        unnest($events::varchar[]) as event,
        unnest($event_sort::integer[]) as event_sort
),

last_contact as (
    select
        case_id,
        max(contact_date) as contact_date
    from (
        select case_id, assessment_date as contact_date from assessments
        union all
        select case_id, event_date as contact_date from events
    )
    group by case_id
),

first_event as (
    select
        case_id,
        event,
        min(event_date) as event_date
    from events
    where list_contains($events::varchar[], event)
    group by case_id, event
),

per_case as (
    select
        {{group_cols}}
        t.event,
        t.event_sort,
        f.event_date is not null as event_seen,
        -- contacts recorded before treatment (a baseline visit) count as day 0
        greatest(
            0,
            datediff(
                'day', c.treatment_date, coalesce(f.event_date, k.contact_date, c.treatment_date)
            )
        ) as raw_days
    from cohort as c
    cross join event_types as t
    left join first_event as f on f.case_id = c.case_id and f.event = t.event
    left join last_contact as k on k.case_id = c.case_id
),

final as (
    select
        {{group_cols}}
        event,
        event_sort,
        case
            when $horizon::integer is not null and raw_days > $horizon::integer
                then $horizon::integer
            else raw_days
        end as days,
        -- is_event: counted as an event by Kaplan-Meier (on or before the horizon);
        -- had_event: the case has this event at any time (the crude rate)
        event_seen and ($horizon::integer is null or raw_days <= $horizon::integer) as is_event,
        event_seen as had_event,
        count(*) as n
    from per_case
    group by all
)

select * from final
order by {{group_cols}} event_sort, days, is_event
