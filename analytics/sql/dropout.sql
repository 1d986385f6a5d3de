-- Who is lost to follow-up at one timepoint: the cases for which it is due, split into
-- followed (a follow-up value of the measure) and lost (none), with the baseline
-- characteristics of each side as long rows (characteristic, level, value):
--   numeric characteristics have level null and the value (age, baseline scores);
--   categories (sex, cause, pathway) have the level and value 1.
-- <value_at_tp> / <has_at_tp> pick the measure's value and the assessment row at the
-- timepoint; <numeric_rows> / <level_rows> are the unpivot lists built in dropout.py.
with cohort as not materialized (
    {{cohort}}
),

timepoints as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_due_days::integer[]) as due_days
),

due as (
    select
        c.*,
        ({{value_at_tp}}) is null as is_lost
    from cohort as c
    cross join timepoints as t
    where c.treatment_date + t.due_days <= $as_of::date or {{has_at_tp}}
),

long as (
    select
        is_lost,
        unnest([{{numeric_rows}}, {{level_rows}}]) as item
    from due as c
),

final as (
    select
        is_lost,
        item.characteristic as characteristic,
        item.level as level,
        count(item.value) as n,
        avg(item.value) as mean,
        var_samp(item.value) as variance
    from long
    group by all
)

select * from final
