"""Case-mix adjusted comparisons (issue 9): pathways, physicians and clinics, similar patients.

    compare(db, *, timepoint, responder, min_cell, filters, as_of) -> dict   # `fbss compare`
    providers(db, *, by, timepoint, responder, min_cell, as_of, filters, adjusted)
        -> DataFrame                                                   # `fbss providers`
    similar(db, profile, *, timepoint, k, min_cell, filters, as_of) -> dict   # `fbss similar`

Every figure is computed from what was known on `as_of` (default today): the same
snapshot as `fbss summary` (sql/cohort.sql).

Modules: data (the case-level frame), design (covariates, missing indicators, drops),
estimators (logistic fits, overlap weights, sandwich errors, SMD, Kish n, AIPW),
pathways, providers, similar. Methods and sources: docs/analytics.md, "Case-mix adjusted
comparisons".
"""
