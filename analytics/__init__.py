"""Outcome analytics over the DuckDB store: the figures behind `fbss summary`, `fbss events`
and the dashboard.

Every figure is a snapshot on `as_of` (default today): cases treated, assessments dated
and events dated on or before it. Every function takes `db` — the store path (usual), or
an open DuckDB connection on the store — and keyword options, does its aggregation in
DuckDB and returns a small pandas DataFrame (group columns first; rates as fractions
0-1; suppressed figures null). The queries read a per-case fact table kept beside the
store and rebuilt after each load (see facts.py). Names are imported lazily, so
`import analytics` stays cheap.

    Filters(treatment_from=None, treatment_to=None, clinic=(), physician=(), cause=(),
            index_surgery=(), sex=(), age_band=(), pathway=(), treatment=(),
            baseline_severity=())                           # frozen, hashable; () = all

    summary(db, *, by=(), timepoint="12m", responder="odi_mic", min_cell=5, as_of=None,
            filters=None) -> DataFrame          # SUMMARY_FIELDS (+ followup interval)
    followup_completion(db, *, by=(), measure="odi", timepoints=all follow-ups,
            min_cell=5, as_of=None, filters=None) -> DataFrame
    trajectory(db, *, measure="odi", by=(), paired=True, min_cell=5, as_of=None,
            filters=None) -> DataFrame               # same patients; paired=False: open
    dropout(db, *, timepoint="12m", measure="odi", min_cell=5, as_of=None, filters=None)
                                                    # who is lost: baseline SMDs
    out_of_window(db, *, as_of=None, filters=None) -> DataFrame
    capture_rules(db, *, event_capture=None) -> CaptureRules  # per-clinic event capture
    change_distribution(db, *, measure="odi", timepoint="12m", by=(), bin_width=None,
            min_cell=5, filters=None) -> DataFrame
    funnel(db, *, unit="physician", timepoint="12m", responder="odi_mic", min_cell=5,
            as_of=None, filters=None, levels=(0.95, 0.998)) -> Funnel
    events_summary(db, *, by=(), events=None, min_cell=5, as_of=None, event_capture=None,
            filters=None) -> DataFrame
    km_curves(db, *, event="reoperation", by=(), min_cell=5, as_of=None,
            event_capture=None, filters=None) -> DataFrame
    numbers_at_risk(curve, by=(), days=(0, 91, 182, 365, 730)) -> DataFrame
    headline(db, *, filters=None, responder="odi_mic", timepoint="12m", as_of=None,
            min_cell=5, recent_days=90) -> Headline
    cases_by_period(db, *, by=("cause",), period="quarter", min_cell=5, filters=None)
    completeness(db, *, filters=None) -> DataFrame
    filter_options(db) -> dict;  load_history(db, *, limit=50) -> DataFrame

Definitions (responder presets with sources, group columns, age bands, follow-up marks
FOLLOWUP_TARGET / FOLLOWUP_UNUSABLE) live in `definitions`; errors a user can fix raise
`AnalyticsError` (a ValueError); a missing store raises `StoreMissingError`.
See docs/analytics.md for how each figure is defined.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Filters": "filters",
    "summary": "outcomes",
    "followup_completion": "outcomes",
    "trajectory": "trajectories",
    "out_of_window": "windows",
    "dropout": "lost_to_followup",
    "capture_rules": "events",
    "change_distribution": "outcomes",
    "funnel": "outcomes",
    "Funnel": "outcomes",
    "events_summary": "events",
    "km_curves": "events",
    "numbers_at_risk": "events",
    "headline": "overview",
    "Headline": "overview",
    "cases_by_period": "overview",
    "completeness": "overview",
    "filter_options": "overview",
    "load_history": "overview",
    "AnalyticsError": "definitions",
    "PRESETS": "definitions",
    "GROUP_COLUMNS": "definitions",
    "AGE_BANDS": "definitions",
    "FOLLOWUP_TARGET": "definitions",
    "FOLLOWUP_UNUSABLE": "definitions",
    "parse_responder": "definitions",
    "StoreMissingError": "queries",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_EXPORTS[name]}")
    return getattr(module, name)
