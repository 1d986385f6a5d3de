"""A report's figures, computed from the analytics layer (pure: no rendering, no streamlit).

Every figure is an as-of snapshot on the period's last day over the unit's cases treated
up to then: the same numbers `fbss summary --clinic NAME --as-of DAY` prints. "New cases"
counts the treatments inside the period. Small cells are suppressed by the analytics
functions themselves; this module only chooses which figures a report holds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analytics import events, lost_to_followup, outcomes, overview, windows
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    DEFAULT_RESPONDER,
    DEFAULT_TIMEPOINT,
    PRESETS,
)
from analytics.filters import Filters
from analytics.overview import Headline
from analytics.published import (
    published_compare,
    published_completeness,
    published_dropout,
    published_overall,
    published_providers,
    rounded_headline,
    rounded_text,
)
from analytics.quality import last_loaded
from analytics.suppression import round_counts
from reports import adjusted
from reports.periods import Period
from reports.scope import Scope

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Column:
    """One column of the headline table: whose figures, on which day."""

    label: str
    headline: Headline


@dataclass
class ReportData:
    """Everything one report shows; frames are the analytics layer's own (suppressed)."""

    scope: Scope
    period: Period
    as_of: dt.date
    data_date: str
    generated: dt.date
    responder: str
    timepoint: str
    min_cell: int
    n_cases: int  # the unit's cases treated up to as_of (0: an empty report)
    new_cases: int | None  # treated in the period (None: suppressed)
    headline: list[Column] = field(default_factory=list)
    new_by_year: pd.DataFrame | None = None  # new cases per year by cause, up to as_of
    new_totals: pd.DataFrame | None = None  # the same without the cause split (bar heights)
    by_cause: pd.DataFrame | None = None  # summary by cause x pathway, first measure
    km: pd.DataFrame | None = None  # reoperation-free curves by pathway
    events_by_pathway: pd.DataFrame | None = None
    followup: pd.DataFrame | None = None  # follow-up completion per timepoint
    completeness: pd.DataFrame | None = None
    out_of_window: pd.DataFrame | None = None  # counts per timepoint, no case ids
    dropout: pd.DataFrame | None = None
    adjusted: adjusted.Adjusted | None = None  # issue 9's sections

    @property
    def is_empty(self) -> bool:
        return self.n_cases == 0


def _quiet(fraction: float, message: str) -> None:
    """The default progress callback: say nothing."""


def _headline(db: Any, filters: Filters | None, period: Period, min_cell: int) -> Headline:
    days = (period.end - period.start).days + 1
    return overview.headline(
        db,
        filters=filters,
        responder=DEFAULT_RESPONDER,
        timepoint=DEFAULT_TIMEPOINT,
        as_of=period.as_of,
        min_cell=min_cell,
        recent_days=days,  # n_recent: the cases treated inside the period
    )


def _exact_cases(db: Any, filters: Filters, as_of: dt.date) -> int:
    """How many cases are in view (chooses the empty state; never printed when small)."""
    by_year = overview.cases_by_period(
        db, by=(), period="year", min_cell=0, as_of=as_of, filters=filters
    )
    return int(pd.to_numeric(by_year["n_cases"]).fillna(0).sum())


def _data_date(db: Any) -> str:
    """When the store was last loaded (the data date on the cover)."""
    when = last_loaded(overview.load_history(db, limit=20))
    return "unknown" if when is None else f"{when:%Y-%m-%d}"


def _window_counts(frame: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Out-of-window follow-ups per timepoint: counts only (no case ids leave the store)."""
    counts = frame.groupby("timepoint", sort=False).size().rename("n_visits").reset_index()
    counts["suppressed"] = (counts["n_visits"] > 0) & (counts["n_visits"] < min_cell)
    return counts


def build_report(
    db: Any,
    scope: Scope,
    period: Period,
    *,
    options: dict[str, object],
    compare_previous: bool = False,
    min_cell: int = DEFAULT_MIN_CELL,
    round_base: int = 0,
    progress: Progress = _quiet,
    today: dt.date | None = None,
    peer_key: str = "",
) -> ReportData:
    """Compute every figure of one report (the slow part; rendering is separate).

    `round_base` > 1 publishes the report as the dashboard does to a non-admin: counts
    rounded to that base, rates from the rounded counts, means and survival coarsened
    (analytics.published). Small cells are suppressed either way."""
    filters = scope.filters()
    as_of = period.as_of
    progress(0.05, "Headline figures")
    rest = scope.rest(options)
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="fbss-headline") as pool:
        columns = [(period.code, pool.submit(_headline, db, filters, period, min_cell))]
        if compare_previous:
            before = period.previous()
            columns.append((before.code, pool.submit(_headline, db, filters, before, min_cell)))
        if rest is not None:
            columns.append(
                ("Rest of the network", pool.submit(_headline, db, rest, period, min_cell))
            )
        headline = [Column(label, future.result()) for label, future in columns]
    own = headline[0].headline
    report = ReportData(
        scope=scope,
        period=period,
        as_of=as_of,
        data_date=_data_date(db),
        generated=today or dt.date.today(),
        responder=DEFAULT_RESPONDER,
        timepoint=DEFAULT_TIMEPOINT,
        min_cell=min_cell,
        n_cases=own.n_cases or 0,
        new_cases=own.n_recent,
        headline=headline,
    )
    if own.n_cases is None:  # hidden: none at all, or fewer than min_cell
        report.n_cases = -1 if _exact_cases(db, filters, as_of) else 0
    if report.n_cases == 0:
        progress(1.0, "Nothing to report")
        return report
    _sections(db, report, options, filters, min_cell, progress, peer_key)
    _publish(report, round_base)
    progress(0.8, "Laying out the pages")
    return report


_FRAMES = (
    "new_by_year", "new_totals", "by_cause", "km", "events_by_pathway", "followup",
    "completeness", "dropout",
)  # fmt: skip


def _publish(report: ReportData, base: int) -> None:
    """Every printed count rounded to `base` (0 or 1: exact, for an admin or the operator)."""
    if base <= 1:
        return
    report.headline = [Column(c.label, rounded_headline(c.headline, base)) for c in report.headline]
    own = report.headline[0].headline
    report.n_cases = own.n_cases if own.n_cases is not None else report.n_cases
    report.new_cases = own.n_recent
    for name in _FRAMES:
        frame = getattr(report, name)
        if isinstance(frame, pd.DataFrame):
            setattr(report, name, round_counts(frame, base))
    # their counts are named apart (n_followed, n_rows): their own rules (review 5, F2)
    if isinstance(report.dropout, pd.DataFrame):
        report.dropout = published_dropout(report.dropout, base)
    if isinstance(report.completeness, pd.DataFrame):
        report.completeness = published_completeness(report.completeness, base)
    if report.out_of_window is not None:
        report.out_of_window = round_counts(report.out_of_window, base, counts=("n_visits",))
    adj = report.adjusted
    if adj is not None:
        if adj.comparison is not None:
            adj.comparison = published_compare(adj.comparison, base)
        if adj.funnel is not None:
            adj.funnel = published_providers(adj.funnel, base)
            adj.published = True
            # the unit's place in words, from the published positions (not the exact ones)
            if adj.unit_label is not None:
                own = adj.funnel[adj.funnel[adj.unit].astype(str) == adj.unit_label]
                adj.unit_position = adjusted.unit_position(own, published=True)
        # the chart's centre line: an exact rate of a few hundred cases is their count
        adj.overall_rate, adj.overall_n = published_overall(adj.overall_rate, adj.overall_n, base)
        adj.notes = [rounded_text(t, base) for t in adj.notes]


def _sections(
    db: Any,
    report: ReportData,
    options: dict[str, object],
    filters: Filters,
    min_cell: int,
    progress: Progress,
    peer_key: str = "",
) -> None:
    """Every section's figures, computed side by side: DuckDB releases the GIL while it
    scans, so the queries overlap with each other's pandas work (as the dashboard's do).

    Each job opens its own short-lived read_only connection on the store (the facts live
    in it), so any two run at once. The longest jobs are submitted first: the adjusted
    comparisons (two model fits at a million cases) set the report's time, and a short
    job queued before them would only delay them."""
    as_of = report.as_of
    measure = PRESETS[DEFAULT_RESPONDER].criteria[0].measure
    common: dict[str, Any] = {"as_of": as_of, "filters": filters}
    # In submission order: longest first (measured at a million cases, docs/performance.md).
    jobs: dict[str, tuple[str, Callable[..., Any], dict[str, Any]]] = {
        "adjusted": (
            "Adjusted comparisons",
            _adjusted,
            {
                "scope": report.scope,
                "min_cell": min_cell,
                "options": options,
                "peer_key": peer_key,
            },
        ),
        "km": (
            "Event-free survival",
            events.km_curves,
            {"event": "reoperation", "by": ("pathway",), "min_cell": min_cell},
        ),
        "dropout": (
            "Who is lost to follow-up",
            lost_to_followup.dropout,
            {"measure": measure, "min_cell": min_cell},
        ),
        "completeness": ("Data completeness", overview.completeness, {}),
        "new_by_year": (
            "New cases",
            overview.cases_by_period,
            {"by": ("cause",), "period": "year", "min_cell": min_cell},
        ),
        "new_totals": (
            "New cases",
            overview.cases_by_period,
            {"by": (), "period": "year", "min_cell": min_cell},
        ),
        "by_cause": (
            "Outcomes by cause and pathway",
            outcomes.summary,
            {"by": ("cause", "pathway"), "min_cell": min_cell},
        ),
        "events_by_pathway": (
            "Reoperations",
            events.events_summary,
            {"by": ("pathway",), "events": "reoperation", "min_cell": min_cell},
        ),
        "followup": (
            "Follow-up completion",
            outcomes.followup_completion,
            {"measure": measure, "min_cell": min_cell},
        ),
        "out_of_window": ("Visit windows", windows.out_of_window, {}),
    }
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="fbss-report") as pool:
        futures = {
            pool.submit(fn, db, **common, **kwargs): (name, words)
            for name, (words, fn, kwargs) in jobs.items()
        }
        for done, future in enumerate(as_completed(futures), start=1):
            name, words = futures[future]
            setattr(report, name, future.result())
            progress(0.2 + 0.5 * done / len(futures), words)
    report.by_cause = _first_measure(report.by_cause, measure)
    if report.out_of_window is not None:
        report.out_of_window = _window_counts(report.out_of_window, min_cell)


def _adjusted(
    db: Any,
    *,
    as_of: dt.date,
    filters: Filters,
    scope: Scope,
    min_cell: int,
    options: dict[str, object],
    peer_key: str,
) -> adjusted.Adjusted:
    """The adjusted sections, called as the other jobs are (their filters are the scope's)."""
    del filters  # adjusted.build takes the scope itself: its funnel spans the network
    return adjusted.build(
        db, scope, as_of=as_of, min_cell=min_cell, options=options, peer_key=peer_key
    )


def _first_measure(frame: pd.DataFrame | None, measure: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    return frame[frame["measure"] == measure].reset_index(drop=True)
