-- Time from treatment to the first event of each type, or to censoring at the last known
-- contact (latest assessment or event of any type; the treatment date when there is
-- none), counted per group, event type, day and outcome: the input of Kaplan-Meier.
--
-- Rather than repeating every case once per event type, everyone is first counted as
-- censored at their last contact (once, then copied to each event type as counts), and
-- each case that had an event is moved from "censored on its contact day" to "event on
-- its event day". With $horizon set, times beyond it are censored at the horizon, which
-- leaves the survival estimate up to horizon - 1 days unchanged and keeps the table small.
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

-- One row per case in view; contacts before the treatment date (a baseline visit)
-- count as day 0.
per_case as (
    select
        {{group_cols}}
        c.case_id,
        c.treatment_date,
        greatest(
            0, datediff('day', c.treatment_date, coalesce(k.contact_date, c.treatment_date))
        ) as censor_days
    from cohort as c
    left join last_contact as k on k.case_id = c.case_id
),

capped as (
    select
        *,
        case
            when $horizon::integer is not null and censor_days > $horizon::integer
                then $horizon::integer
            else censor_days
        end as censor_at
    from per_case
),

everyone_censored as (
    select
        {{group_cols}}
        censor_at as days,
        count(*) as n
    from capped
    group by all
),

with_event as (
    select
        {{group_cols}}
        f.event,
        p.censor_at,
        greatest(0, datediff('day', p.treatment_date, f.event_date)) as event_days
    from capped as p
    inner join first_event as f on f.case_id = p.case_id
),

moves as (
    -- take the case out of "censored on its contact day" ...
    select
        {{group_cols}}
        event,
        censor_at as days,
        false as is_event,
        false as had_event,
        -1 as n
    from with_event
    union all
    -- ... and put it in at its event (censored at the horizon if the event is later)
    select
        {{group_cols}}
        event,
        case
            when $horizon::integer is not null and event_days > $horizon::integer
                then $horizon::integer
            else event_days
        end as days,
        $horizon::integer is null or event_days <= $horizon::integer as is_event,
        true as had_event,
        1 as n
    from with_event
),

combined as (
    select
        {{group_cols}}
        t.event,
        e.days,
        false as is_event,
        false as had_event,
        e.n
    from everyone_censored as e
    cross join event_types as t
    union all
    select * from moves
),

final as (
    select
        {{group_cols}}
        c.event,
        t.event_sort,
        c.days,
        c.is_event,
        c.had_event,
        sum(c.n)::bigint as n
    from combined as c
    inner join event_types as t on t.event = c.event
    group by all
    having sum(c.n) <> 0
)

select * from final
order by {{group_cols}} event_sort, days, is_event
