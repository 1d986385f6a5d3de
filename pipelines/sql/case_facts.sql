-- case_facts: one row per case with everything the outcome figures need, so that each
-- figure is a single scan with no joins. Built from the store's cases, assessments and
-- events (see facts.py for when). Generated column lists come from the vocabulary:
--   <measure_columns>  "<measure>__<timepoint>"  the measure's value at each timepoint
--   <has_columns>      "has__<timepoint>"        an assessment row exists (any values)
--   <date_columns>     "date__<timepoint>"       its assessment date (for as-of snapshots)
--   <event_columns>    "first__<event>"          date of the first event of each type
-- <source> is the schema holding the store's tables.
with assessed as (
    select
        case_id,
        {{measure_columns}},
        {{has_columns}},
        {{date_columns}},
        max(assessment_date) as last_assessment
    from {{source}}.assessments
    group by case_id
),

happened as (
    select
        case_id,
        {{event_columns}},
        max(event_date) as last_event
    from {{source}}.events
    group by case_id
),

final as (
    select
        c.case_id,
        c.treatment_date,
        c.cause,
        c.pathway,
        c.treatment,
        c.index_surgery,
        c.clinic,
        c.physician,
        c.sex,
        c.age,
        a.* exclude (case_id, last_assessment),
        h.* exclude (case_id, last_event),
        -- last known contact: the latest assessment or event of any type (null if none;
        -- the queries then censor at the treatment date)
        greatest(a.last_assessment, h.last_event) as last_contact
    from {{source}}.cases as c
    left join assessed as a on a.case_id = c.case_id
    left join happened as h on h.case_id = c.case_id
)

select * from final
