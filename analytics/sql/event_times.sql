-- Time from treatment to the first event of each type, or to censoring, counted per
-- group, event type and day: the input of Kaplan-Meier. The cohort is the snapshot on
-- $as_of (events dated after it are not known). Censoring follows how each case's clinic
-- captures events (vocabulary.EVENT_CAPTURE_RULES):
--   complete   events come from the records whatever the follow-up: an event-free case
--              is followed to $as_of;
--   at_contact events are known only through follow-up contacts: a case's time ends at
--              its last assessment (day 0 if none after treatment), and an event after
--              it is not counted.
-- A case is at_contact when $all_at_contact, or when its clinic is in $at_contact_clinics.
--
-- Rather than repeating every case once per event type, everyone is first counted as
-- censored on their censoring day (once, then copied to each event type as counts),
-- and each case with a counted event is moved from "censored on its censoring day" to
-- "event on its event day". With $horizon set, times beyond it are censored at the
-- horizon, which leaves the estimate up to the horizon unchanged and keeps the table
-- small. <first_event> is a CASE expression picking the case's first date of t.event.
with cohort as not materialized (
    {{cohort}}
),

event_types as (
    select
        unnest($events::varchar[]) as event,
        unnest($event_sort::integer[]) as event_sort
),

captured as not materialized (
    select
        *,
        $all_at_contact::boolean
        or list_contains($at_contact_clinics::varchar[], clinic::varchar) as is_at_contact
    from cohort
),

censored as not materialized (
    select
        *,
        -- the last day on which an event would be known; a contact before the
        -- treatment date (a baseline visit) counts as day 0
        case
            when is_at_contact then coalesce(last_assessment, treatment_date)
            else $as_of::date
        end as known_until,
        least(
            greatest(0, datediff('day', treatment_date, known_until)),
            coalesce($horizon::integer, 2147483647)
        ) as censor_at
    from captured
),

everyone_censored as (
    select
        {{group_cols}}
        is_at_contact,
        censor_at as days,
        count(*) as n
    from censored
    group by all
),

with_event as (
    select
        {{group_cols}}
        is_at_contact,
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
    where first_date is not null and first_date <= known_until
),

moves as (
    -- take the case out of "censored on its censoring day" ...
    select
        {{group_cols}}
        is_at_contact,
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
        is_at_contact,
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
        e.is_at_contact,
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
-- of whom n_events had the event then; n_had_event counts cases with a counted event
-- (for the crude rate), placed on their (capped) event day; n_removed_at_contact those
-- of the n_removed whose clinic captures events at contacts only.
final as (
    select
        {{group_cols}}
        c.event,
        t.event_sort,
        c.days,
        sum(c.n) filter (where c.is_event)::bigint as n_events,
        sum(c.n)::bigint as n_removed,
        sum(c.n) filter (where c.had_event)::bigint as n_had_event,
        sum(c.n) filter (where c.is_at_contact)::bigint as n_removed_at_contact
    from combined as c
    inner join event_types as t on t.event = c.event
    group by all
    having sum(c.n) <> 0
)

select * from final
order by {{group_cols}} event_sort, days
