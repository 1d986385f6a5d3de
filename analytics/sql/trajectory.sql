-- A measure at each timepoint (baseline included) per group, two ways in one scan:
--   open cohort: every value recorded at the timepoint (n_open, mean_open, sd_open);
--   paired: cases with both a baseline and a value there (n_paired, their means, and
--   the mean and sd of their improvement, positive = better).
-- <value_at_tp> picks the measure's value at t.timepoint, <baseline> its baseline.
with cohort as not materialized (
    {{cohort}}
),

timepoints as (
    select
        unnest($tp_codes::varchar[]) as timepoint,
        unnest($tp_days::integer[]) as tp_days
),

observed as (
    select
        {{group_cols}}
        t.timepoint,
        t.tp_days,
        ({{value_at_tp}})::double as value,
        ({{baseline}})::double as baseline_value
    from cohort as c
    cross join timepoints as t
),

scored as (
    select
        *,
        value is not null and baseline_value is not null as is_paired,
        case
            when $higher_is_better then value - baseline_value
            else baseline_value - value
        end as improvement
    from observed
),

final as (
    select
        {{group_cols}}
        timepoint,
        tp_days,
        count(value) as n_open,
        avg(value) as mean_open,
        stddev_samp(value) as sd_open,
        count(*) filter (where is_paired) as n_paired,
        avg(value) filter (where is_paired) as mean_paired,
        stddev_samp(value) filter (where is_paired) as sd_paired,
        avg(baseline_value) filter (where is_paired) as baseline_mean_paired,
        avg(improvement) filter (where is_paired) as change_paired,
        stddev_samp(improvement) filter (where is_paired) as change_sd_paired
    from scored
    group by all
    having count(value) > 0
)

select * from final
order by {{group_cols}} tp_days
