-- Time from treatment to the first event of each type, or to censoring at the last known
-- contact (latest assessment or event of any type; the treatment date when there is
-- none), counted per group, event type and day: the input of Kaplan-Meier.
--
-- Rather than repeating every case once per event type, everyone is first counted as
-- censored on their last-contact day (once, then copied to each event type as counts),
-- and each case with an event is moved from "censored on its contact day" to "event on
-- its event day". With $horizon set, times beyond it are censored at the horizon, which
-- leaves the estimate up to the horizon unchanged and keeps the table small.
-- <first_event> is a CASE expression picking the case's first date of t.event.
with cohort as not materialized (
    {{cohort}}
),

event_types as (
    select
        unnest($events::varchar[]) as event,
        unnest($event_sort::integer[]) as event_sort
),

censored as not materialized (
    select
        *,
        -- a contact before the treatment date (a baseline visit) counts as day 0
        least(
            greatest(
                0, datediff('day', treatment_date, coalesce(last_contact, treatment_date))
            ),
            coalesce($horizon::integer, 2147483647)
        ) as censor_at
    from cohort
),

everyone_censored as (
    select
        {{group_cols}}
        censor_at as days,
        count(*) as n
    from censored
    group by all
),

with_event as (
    select
        {{group_cols}}
        event,
        censor_at,
        greatest(0, datediff('day', treatment_date, first_date)) as event_days
    from (
        select
            c.*,
            t.event,
            {{first_event}} as first_date
        from censored as c
        cross join event_types as t
    )
    where first_date is not null
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
    -- ... and put it in on its event day (censored at the horizon if the event is later)
    select
        {{group_cols}}
        event,
        least(event_days, coalesce($horizon::integer, 2147483647)) as days,
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

-- One row per group, event type and day: cases whose time ends that day (n_removed),
-- of whom n_events had the event then; n_had_event counts cases with the event at any
-- time (for the crude rate), placed on their (capped) event day.
final as (
    select
        {{group_cols}}
        c.event,
        t.event_sort,
        c.days,
        sum(c.n) filter (where c.is_event)::bigint as n_events,
        sum(c.n)::bigint as n_removed,
        sum(c.n) filter (where c.had_event)::bigint as n_had_event
    from combined as c
    inner join event_types as t on t.event = c.event
    group by all
    having sum(c.n) <> 0
)

select * from final
order by {{group_cols}} event_sort, days
