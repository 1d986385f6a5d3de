-- Cases in view treated in the $recent_days days up to and including $as_of.
with cohort as not materialized (
    {{cohort}}
)

select
    count(*) filter (
        where treatment_date > $as_of::date - $recent_days::integer
            and treatment_date <= $as_of::date
    ) as n_recent
from cohort
