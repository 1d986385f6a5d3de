-- The cases in view as they were known on $as_of (a snapshot), with the filters applied
-- and the derived group columns.
--   snapshot: only cases treated on or before $as_of; an assessment dated after it, and
--   an event dated after it, are blanked as if not yet recorded. <snapshot> is the
--   REPLACE list doing that, <last_assessment> the latest assessment date on or before
--   $as_of (null if none), both built in queries.py from the vocabulary.
-- Filters arrive as bound parameters; an empty list means "no restriction".
-- The viewer's scope ($s_clinics, $s_physician; access/scope.py) is ANDed with them: a
-- filter can only narrow what the scope allows, never widen it. For a physician
-- ($s_peers_of) every other physician's name is replaced by "Peer N" (<peer_name>) before
-- any filter or grouping sees it, so no URL or filter can name a peer.
-- <age_band> and <baseline_severity> are CASE expressions built in queries.py from
-- the band constants in definitions.py.
select
    c.*,
    {{age_band}} as age_band,
    year(c.treatment_date) as treatment_year,
    {{baseline_severity}} as baseline_severity
from (
    select
        * exclude (last_contact) replace ({{snapshot}}, {{peer_name}} as physician),
        {{last_assessment}} as last_assessment
    from case_facts
    where treatment_date <= $as_of::date
) as c
where (len($s_clinics::varchar[]) = 0 or list_contains($s_clinics::varchar[], c.clinic))
    and ($s_physician::varchar is null or c.physician = $s_physician::varchar)
    and ($f_treatment_from::date is null or c.treatment_date >= $f_treatment_from::date)
    and ($f_treatment_to::date is null or c.treatment_date <= $f_treatment_to::date)
    and (len($f_clinic::varchar[]) = 0 or list_contains($f_clinic::varchar[], c.clinic))
    and (len($f_physician::varchar[]) = 0 or list_contains($f_physician::varchar[], c.physician))
    and (len($f_cause::varchar[]) = 0 or list_contains($f_cause::varchar[], c.cause))
    and (len($f_index_surgery::varchar[]) = 0
        or list_contains($f_index_surgery::varchar[], c.index_surgery))
    and (len($f_sex::varchar[]) = 0 or list_contains($f_sex::varchar[], c.sex))
    and (len($f_age_band::varchar[]) = 0 or list_contains($f_age_band::varchar[], {{age_band}}))
    and (len($f_pathway::varchar[]) = 0 or list_contains($f_pathway::varchar[], c.pathway))
    and (len($f_treatment::varchar[]) = 0 or list_contains($f_treatment::varchar[], c.treatment))
    and (len($f_baseline_severity::varchar[]) = 0
        or list_contains($f_baseline_severity::varchar[], {{baseline_severity}}))
