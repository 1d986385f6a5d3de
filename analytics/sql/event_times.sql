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
-- One pass over the cohort: each case is repeated once per event type and counted on the
-- day its time ends, as an event when its first event of that type is known by then, else
-- as censored. With $horizon set, times beyond it are censored at the horizon, which
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
        -- treatment date (a baseline visit) counts as day 0, the treatment itself being a
        -- contact: an event on the treatment day is known (review of 2026-12-02: it was
        -- left out when the baseline was dated before the treatment)
        case
            when is_at_contact
                then greatest(coalesce(last_assessment, treatment_date), treatment_date)
            else $as_of::date
        end as known_until,
        least(
            greatest(0, datediff('day', treatment_date, known_until)),
            coalesce($horizon::integer, 2147483647)
        ) as censor_at
    from captured
),

timed as (
    select
        {{group_cols}}
        is_at_contact,
        event,
        event_sort,
        censor_at,
        -- days to the first event of the type, when it is known by the end of follow-up
        case
            when first_date is not null and first_date <= known_until
                then greatest(0, datediff('day', treatment_date, first_date))
        end as event_days
    from (
        select
            c.*,
            t.event,
            t.event_sort,
            {{first_event}} as first_date
        from censored as c
        cross join event_types as t
    )
),

-- One row per group, event type and day: cases whose time ends that day (n_removed),
-- of whom n_events had the event then; n_had_event counts cases with a counted event
-- (for the crude rate), placed on their (capped) event day; n_removed_at_contact those
-- of the n_removed whose clinic captures events at contacts only.
final as (
    select
        {{group_cols}}
        event,
        event_sort,
        -- (not coalesce(least(...)): DuckDB's least skips a null)
        case
            when event_days is null then censor_at
            else least(event_days, coalesce($horizon::integer, 2147483647))
        end as days,
        count(*) filter (
            where event_days is not null
                and ($horizon::integer is null or event_days <= $horizon::integer)
        )::bigint as n_events,
        count(*)::bigint as n_removed,
        count(event_days)::bigint as n_had_event,
        count(*) filter (where is_at_contact)::bigint as n_removed_at_contact
    from timed
    group by all
)

select * from final
order by {{group_cols}} event_sort, days
