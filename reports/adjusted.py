"""The report's case-mix adjusted sections (issue 9): pathway comparison and funnel position.

Both come from `analytics.adjust` as they are, untouched: the overlap-weighted pathway
comparison with its balance table (`compare`) and the indirectly standardised units
(`providers(adjusted=True)`). Other units are anonymised here ("Peer 1", ...) before
anything reaches the template, so a physician's report cannot name another physician.
A question the analytics cannot answer (too few cases, perfect separation) becomes a
note in the section instead of a failed report.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics.definitions import DEFAULT_RESPONDER, DEFAULT_TIMEPOINT, AnalyticsError
from analytics.display_rules import funnel_position_label
from dashboard.charts.providers import HIGHLIGHT
from reports.scope import Scope, peer_labels

LOG = logging.getLogger(__name__)


@dataclass
class Adjusted:
    """The adjusted pathway comparison, its balance, and the adjusted funnel's rows."""

    comparison: dict[str, Any] | None = None
    balance: pd.DataFrame | None = None
    funnel: pd.DataFrame | None = None  # peers already anonymised
    unit: str = "physician"
    unit_label: str | None = None  # the report's own unit in `funnel` (None: network)
    unit_position: str = ""  # its place against the limits, in words ("Within the limits")
    overall_rate: float = float("nan")  # the crude funnel's overall rate (the chart's line)
    overall_n: int = 0  # ... and its denominator (both published rounded to a non-admin)
    published: bool = False  # rounded for a non-admin: "within" may be "too close to tell"
    notes: list[str] = field(default_factory=list)


def _as_of_kwargs(function: Any, as_of: dt.date) -> tuple[dict[str, Any], bool]:
    """Pass the snapshot day where the function takes one (compare does not, yet)."""
    takes = "as_of" in inspect.signature(function).parameters
    return ({"as_of": as_of} if takes else {}), takes


def _comparison(db: Any, scope: Scope, as_of: dt.date, min_cell: int, out: Adjusted) -> None:
    from analytics.adjust.pathways import compare

    kwargs, dated = _as_of_kwargs(compare, as_of)
    try:
        result = compare(
            db,
            timepoint=DEFAULT_TIMEPOINT,
            responder=DEFAULT_RESPONDER,
            min_cell=min_cell,
            filters=scope.filters(),
            **kwargs,
        )
    except AnalyticsError as exc:
        out.notes.append(f"The adjusted pathway comparison cannot be made: {exc}.")
        return
    out.comparison = result
    out.balance = pd.DataFrame(result.get("balance") or [])
    if not dated:
        out.notes.append(
            "The adjusted comparison uses every case in the store, not only those up to the "
            "as-of date (the adjusted analytics take no as-of date yet)."
        )


def _funnel(
    db: Any,
    scope: Scope,
    as_of: dt.date,
    min_cell: int,
    out: Adjusted,
    *,
    options: dict[str, object],
    peer_key: str,
) -> None:
    from analytics.adjust.providers import providers

    unit = "physician" if scope.kind == "physician" else "clinic"
    out.unit = unit
    try:
        frame = providers(
            db,
            by=unit,
            timepoint=DEFAULT_TIMEPOINT,
            responder=DEFAULT_RESPONDER,
            min_cell=min_cell,
            as_of=as_of,
            adjusted=True,
        )
    except AnalyticsError as exc:
        out.notes.append(f"The adjusted funnel cannot be drawn: {exc}.")
        return
    from analytics.outcomes import funnel

    # The funnel chart's centre line, as the dashboard draws it: the crude overall rate.
    crude = funnel(db, unit=unit, timepoint=DEFAULT_TIMEPOINT, min_cell=min_cell, as_of=as_of)
    out.overall_rate, out.overall_n = crude.overall_rate, crude.n_total
    if scope.kind != "network" and not frame.empty:
        names = [str(v) for v in frame[unit]]
        listed = options.get(unit)
        everyone = [str(v) for v in listed] if isinstance(listed, list | tuple) else []
        mapping = peer_labels(names, scope.name, key=peer_key, everyone=everyone)
        frame = frame.assign(**{unit: [mapping[n] for n in names]})
        # Peers in the stable order of their labels, the report's own unit first.
        order = [0 if n == scope.name else int(mapping[n].split()[-1]) for n in names]
        frame = frame.assign(_order=order).sort_values("_order").drop(columns="_order")
        out.unit_label = scope.name
        # The chart rings the report's own unit and writes "This clinic" beside it.
        mark = f"This {unit}"
        frame[HIGHLIGHT] = [mark if n == scope.name else "" for n in frame[unit].astype(str)]
        out.unit_position = unit_position(frame[frame[unit].astype(str) == scope.name])
    out.funnel = frame.reset_index(drop=True)


def unit_position(own: pd.DataFrame, *, published: bool = False) -> str:
    """The unit's place on the funnel in words ("" when it has no row at all); published:
    from the rounded figures, where a unit not flagged may be too close to tell."""
    if own.empty:
        return ""
    row = own.iloc[0]
    if bool(row.get("suppressed")):
        return "Too few assessed patients to place (fewer than the smallest group shown)"
    return funnel_position_label(row["position_95"], row["position_998"], published=published)


def build(
    db: Any,
    scope: Scope,
    *,
    as_of: dt.date,
    min_cell: int,
    options: dict[str, object],
    peer_key: str = "",
) -> Adjusted:
    """The adjusted sections for this scope.

    An unexpected failure inside the adjusted analytics leaves its section with a note
    (and one line on stderr) rather than losing the whole report; the tests, which look
    for the sections' tables, still fail on it.
    """
    out = Adjusted()
    funnel = functools.partial(_funnel, options=options, peer_key=peer_key)
    for part, words in ((_comparison, "pathway comparison"), (funnel, "funnel position")):
        try:
            part(db, scope, as_of, min_cell, out)
        except AnalyticsError:
            raise
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            LOG.error("fbss report: the adjusted %s was left out (%s)", words, reason)
            out.notes.append(f"The adjusted {words} could not be computed ({reason}).")
    return out
