"""The view's state (sidebar filters and page options) and its URL query parameters.

`View` is frozen and hashable. `View.from_query` reads a query string's parameters
leniently (an unknown code, a clinic no longer in the store or a malformed date is
dropped, never an error) and `View.to_query` writes only what differs from the default,
so `View.from_query(v.to_query()) == v` for every valid view and a bookmarked URL stays
short. No streamlit import: the app syncs these with `st.query_params`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from access.scope import Scope
from analytics.definitions import (
    AGE_BANDS,
    DEFAULT_RESPONDER,
    DEFAULT_TIMEPOINT,
    FUNNEL_UNITS,
    PRESETS,
    SEVERITY_BANDS,
    SEVERITY_MISSING,
)
from analytics.filters import Filters
from pipelines import vocabulary as vocab

# The signed-in viewer's scope for this script run. Streamlit runs each session's script
# in its own thread, which starts with a fresh context, and dashboard/auth.py sets it at
# the top of every run before any page draws.
# Unset (None): the operator's full scope, as in single-user local mode and unit tests.
VIEWER_SCOPE: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "fbss_viewer_scope", default=None
)

GROUPINGS: tuple[str, ...] = ("pathway", "treatment")
# The Compare pathways page's sections, drawn one at a time (dashboard/sidebar.sections):
# only the open one's figures are computed after a filter change (issue 7).
COMPARE_SECTIONS: tuple[str, ...] = ("adjusted", "outcomes", "over_time", "events", "similar")
OVERVIEW_SECTIONS: tuple[str, ...] = ("trends", "worklist", "by_unit")
CAUSES_SECTIONS: tuple[str, ...] = ("outcomes", "events")
QUALITY_SECTIONS: tuple[str, ...] = ("followup", "completeness", "lost", "windows")
PERIODS: tuple[str, ...] = ("quarter", "year")
SEVERITIES: tuple[str, ...] = (*(code for code, _ in SEVERITY_BANDS), SEVERITY_MISSING)
AGE_BAND_CODES: tuple[str, ...] = tuple(code for code, _, _ in AGE_BANDS)

# Closed vocabularies of the list filters; clinic and physician come from the store.
LIST_CHOICES: dict[str, tuple[str, ...]] = {
    "cause": tuple(vocab.CAUSES),
    "index_surgery": tuple(vocab.INDEX_SURGERIES),
    "sex": vocab.SEXES,
    "age_band": AGE_BAND_CODES,
}
# Single-choice options and their allowed values ("" = no choice, where allowed).
CHOICES: dict[str, tuple[str, ...]] = {
    "responder": tuple(PRESETS),
    "timepoint": vocab.FOLLOWUP_TIMEPOINTS,
    "period": PERIODS,
    "columns": GROUPINGS,
    "focus_cause": ("", *vocab.CAUSES),
    "focus_group": ("", *vocab.PATHWAYS, *vocab.TREATMENTS),
    "compare_by": GROUPINGS,
    "measure": tuple(vocab.MEASURES),
    "patient_cause": ("", *vocab.CAUSES),
    "patient_age_band": ("", *AGE_BAND_CODES),
    "patient_sex": ("", *vocab.SEXES),
    "patient_index_surgery": ("", *vocab.INDEX_SURGERIES),
    "patient_severity": ("", *SEVERITIES),
    "unit": FUNNEL_UNITS,
    "compare_section": COMPARE_SECTIONS,
    "overview_section": OVERVIEW_SECTIONS,
    "causes_section": CAUSES_SECTIONS,
    "quality_section": QUALITY_SECTIONS,
}
GROUP_CHOICES: dict[str, tuple[str, ...]] = {
    "pathway": tuple(vocab.PATHWAYS),
    "treatment": tuple(vocab.TREATMENTS),
}
# URL names where they differ from the field names (short, readable bookmarks).
PARAM: dict[str, str] = {
    "treatment_from": "from",
    "treatment_to": "to",
    "index_surgery": "surgery",
    "age_band": "age",
    "patient_cause": "patient",
    "patient_age_band": "patient_age",
    "patient_index_surgery": "patient_surgery",
}


@dataclass(frozen=True)
class View:
    """Everything a bookmark restores: sidebar filters, definitions and page options."""

    # sidebar: which cases
    treatment_from: dt.date | None = None
    treatment_to: dt.date | None = None
    clinic: tuple[str, ...] = ()
    physician: tuple[str, ...] = ()
    cause: tuple[str, ...] = ()
    index_surgery: tuple[str, ...] = ()
    sex: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    # sidebar: how outcomes are counted
    responder: str = DEFAULT_RESPONDER
    timepoint: str = DEFAULT_TIMEPOINT
    # Overview
    period: str = "quarter"
    overview_section: str = OVERVIEW_SECTIONS[0]
    # Causes & pathways: columns of the heat map and the clicked cell
    columns: str = "pathway"
    focus_cause: str = ""
    focus_group: str = ""
    causes_section: str = CAUSES_SECTIONS[0]
    # Compare pathways: groups, measure and the patient profile
    compare_by: str = "pathway"
    measure: str = "odi"
    patient_cause: str = ""
    patient_age_band: str = ""
    patient_sex: str = ""
    patient_index_surgery: str = ""
    patient_severity: str = ""
    compare_section: str = COMPARE_SECTIONS[0]
    # Physicians & clinics
    unit: str = "physician"
    # Data quality
    quality_section: str = QUALITY_SECTIONS[0]

    def filters(self) -> Filters:
        """The sidebar's filters for the analytics layer, cut to the viewer's scope.

        The scope comes from VIEWER_SCOPE (set from the signed-in account by the entry
        script on every run), never from the URL: View has no scope field to restore.
        """
        return Filters(
            scope=VIEWER_SCOPE.get() or Scope.everything(),
            treatment_from=self.treatment_from,
            treatment_to=self.treatment_to,
            clinic=self.clinic,
            physician=self.physician,
            cause=self.cause,
            index_surgery=self.index_surgery,
            sex=self.sex,
            age_band=self.age_band,
        )

    def focus(self) -> tuple[str, str] | None:
        """The heat-map cell clicked on the Causes & pathways page, if any."""
        if self.focus_cause and self.focus_group:
            return (self.focus_cause, self.focus_group)
        return None

    def with_values(self, **changes: object) -> View:
        """A copy with some fields changed (lists become tuples)."""
        clean: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()
        }
        return replace(self, **clean)

    def cleared_filters(self) -> View:
        """The same options with every sidebar filter removed."""
        keep = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in FILTER_FIELDS}
        return View(**keep)

    def to_query(self) -> dict[str, list[str]]:
        """Query parameters for the fields that differ from the default (lists repeat)."""
        default = View()
        out: dict[str, list[str]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            name = PARAM.get(f.name, f.name)
            if isinstance(value, tuple):
                out[name] = list(value)
            elif isinstance(value, dt.date):
                out[name] = [value.isoformat()]
            else:
                out[name] = [str(value)]
        return out

    @classmethod
    def from_query(
        cls,
        params: Mapping[str, str | Sequence[str]],
        *,
        clinics: Iterable[str] | None = None,
        physicians: Iterable[str] | None = None,
    ) -> View:
        """A view from query parameters; values that are not allowed are left out.

        `clinics` and `physicians` are the names in the store (None: accept any).
        """

        def values(name: str) -> list[str]:
            raw = params.get(PARAM.get(name, name))
            if raw is None:
                return []
            items = [raw] if isinstance(raw, str) else list(raw)
            return [str(v) for v in items if str(v) != ""]

        changes: dict[str, Any] = {}  # View fields of several types
        for name, allowed in LIST_CHOICES.items():
            changes[name] = _keep(values(name), allowed)
        for name, known in (("clinic", clinics), ("physician", physicians)):
            items = values(name)
            changes[name] = _keep(items, tuple(known)) if known is not None else _dedupe(items)
        for name, allowed in CHOICES.items():
            items = values(name)
            if items and items[-1] in allowed:
                changes[name] = items[-1]
        start, end = _date(values("treatment_from")), _date(values("treatment_to"))
        if start and end and start > end:
            start, end = end, start
        changes["treatment_from"], changes["treatment_to"] = start, end
        view = cls(**changes)
        if not view.focus() or view.focus_group not in GROUP_CHOICES[view.columns]:
            view = replace(view, focus_cause="", focus_group="")
        return view


FILTER_FIELDS: tuple[str, ...] = (
    "treatment_from",
    "treatment_to",
    "clinic",
    "physician",
    "cause",
    "index_surgery",
    "sex",
    "age_band",
)


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _keep(items: Iterable[str], allowed: Sequence[str]) -> tuple[str, ...]:
    allowed_set = set(allowed)
    return _dedupe(i for i in items if i in allowed_set)


def _date(items: Sequence[str]) -> dt.date | None:
    if not items:
        return None
    try:
        return dt.date.fromisoformat(items[-1].strip())
    except ValueError:
        return None


def query_equal(a: Mapping[str, str | Sequence[str]], b: Mapping[str, str | Sequence[str]]) -> bool:
    """Whether two query-parameter mappings hold the same values (str == [str])."""

    def norm(m: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
        return {k: [v] if isinstance(v, str) else list(v) for k, v in m.items() if v != []}

    return norm(a) == norm(b)


# --- narrowing: page choices on top of the sidebar ------------------------------------


def narrow(filters: Filters, **choices: Sequence[str] | str) -> Filters | None:
    """The filters further restricted to the given values (`""` or `()`: no restriction).

    Returns None when a choice falls outside what the sidebar already allows, i.e. no
    case can be in view (Filters treats an empty tuple as "everything", so an empty
    intersection must not be passed on).
    """
    changes: dict[str, Any] = {}  # Filters fields, each a tuple of codes
    for name, chosen in choices.items():
        wanted = (chosen,) if isinstance(chosen, str) else tuple(chosen)
        wanted = tuple(v for v in wanted if v)
        if not wanted:
            continue
        current: tuple[str, ...] = getattr(filters, name)
        kept = tuple(v for v in wanted if not current or v in current)
        if not kept:
            return None
        changes[name] = kept
    return replace(filters, **changes) if changes else filters


def compare_filters(view: View) -> Filters | None:
    """The Compare page's cohort: sidebar filters narrowed to the patient profile."""
    return narrow(
        view.filters(),
        cause=view.patient_cause,
        age_band=view.patient_age_band,
        sex=view.patient_sex,
        index_surgery=view.patient_index_surgery,
        baseline_severity=view.patient_severity,
    )


def focus_filters(view: View) -> Filters | None:
    """The Causes page's detail cohort: sidebar filters narrowed to the clicked cell."""
    focus = view.focus()
    if focus is None:
        return view.filters()
    cause, group = focus
    return narrow(view.filters(), cause=cause, **{view.columns: group})


def focus_from_selection(
    selection: Mapping[str, object] | None, name: str, group_field: str = "group"
) -> tuple[str, str] | None:
    """(cause, group) from a Streamlit chart selection state, None when nothing is picked."""
    if not selection:
        return None
    picked = selection.get(name) if isinstance(selection, Mapping) else None
    if not picked or not isinstance(picked, list):
        return None
    first = picked[-1]
    if not isinstance(first, Mapping):
        return None
    cause, group = first.get("cause"), first.get(group_field)
    if not cause or not group:
        return None
    return (str(cause), str(group))
