"""Each report section's tables as rows of display text (pure; the template only lays out).

Hidden (suppressed) figures read "hidden" with the reason in the table's note, never a
number; a structurally empty group is simply absent, as on the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from analytics.definitions import FOLLOWUP_TARGET, FOLLOWUP_UNUSABLE, PRESETS
from analytics.overview import Headline
from dashboard import labels
from reports.content import ReportData

HIDDEN = "hidden"
MAX_FINDINGS = 5  # the largest differences in words; the table holds the rest


@dataclass
class Table:
    """A real table: a header row, body rows, and notes printed under it."""

    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    numeric_from: int = 1  # columns from this index on are right-aligned figures


def _pct(value: object, digits: int = 0) -> str:
    text = labels.percent(value, digits)
    return HIDDEN if text == "–" else text


def _ci(pair: tuple[float, float] | None) -> str:
    return labels.interval(*pair, digits=0) if pair else ""


def followup_mark(rate: float | None) -> str:
    """Where a follow-up rate stands against the registry marks (80% target, 50% unusable)."""
    if rate is None:
        return ""
    if rate >= FOLLOWUP_TARGET:
        return f"meets the {FOLLOWUP_TARGET:.0%} target"
    if rate >= FOLLOWUP_UNUSABLE:
        return f"below the {FOLLOWUP_TARGET:.0%} target"
    return f"below {FOLLOWUP_UNUSABLE:.0%}: too incomplete to rely on"


def _headline_cells(h: Headline) -> list[tuple[str, str]]:
    """(value, detail) per headline figure, in HEADLINE_ROWS order."""
    return [
        (labels.count(h.n_cases) if h.n_cases is not None else HIDDEN, ""),
        (labels.count(h.n_recent) if h.n_recent is not None else "fewer than 5", ""),
        (
            _pct(h.followup_rate),
            " ".join(t for t in (labels.n_of(h.followup_returned, h.followup_due),) if t != "–"),
        ),
        (
            _pct(h.responder_rate),
            " ".join(t for t in (labels.n_of(h.responders, h.responder_n),) if t != "–"),
        ),
        (_pct(h.reoperation_free_12m), ""),
    ]


def headline_table(report: ReportData) -> Table:
    """Figures down, the period (and previous period, rest of network) across."""
    tp = labels.TIMEPOINT[report.timepoint].lower()
    preset = PRESETS[report.responder]
    names = [
        "Cases treated up to the as-of date",
        "New cases treated in the period",
        f"Follow-up completion at {tp} (returned of due)",
        f"Responders at {tp}: {preset.label}",
        "Reoperation-free at 12 months (Kaplan–Meier)",
    ]
    cells = [_headline_cells(c.headline) for c in report.headline]
    rows: list[list[str]] = []
    for i, name in enumerate(names):
        row = [name]
        for col, column in zip(cells, report.headline, strict=True):
            value, detail = col[i]
            ci = ""
            if i == 2:
                ci = _ci(column.headline.followup_ci)
            elif i == 3:
                ci = _ci(column.headline.responder_ci)
            elif i == 4:
                ci = _ci(column.headline.reoperation_free_12m_ci)
            extra = [t for t in (detail, f"95% CI {ci}" if ci else "") if t]
            row.append("\n".join([value, *extra]))
        rows.append(row)
    marks = ["Follow-up against the marks"]
    for column in report.headline:
        marks.append(followup_mark(column.headline.followup_rate) or "–")
    rows.append(marks)
    header = ["Figure", *(_column_title(report, c.label) for c in report.headline)]
    notes = [
        f"Each column is a snapshot on its as-of date ({report.as_of:%d %B %Y} for "
        f"{report.period.code}) over the cases treated up to then.",
        f"Follow-up marks: {FOLLOWUP_TARGET:.0%} at 12 months is the US Quality Outcomes "
        f"Database's aim; below {FOLLOWUP_UNUSABLE:.0%} a registry measure is unusable.",
    ]
    return Table(header, rows, notes)


def _column_title(report: ReportData, label: str) -> str:
    if label == "Rest of the network":
        return f"Rest of the network, {report.period.code}"
    who = "The network" if report.scope.kind == "network" else report.scope.short
    return f"{who}, {label}"


def _group_label(column: str, code: object) -> str:
    return labels.value_label(column, code)


def cause_table(frame: pd.DataFrame | None, min_cell: int) -> Table:
    """Responders by cause and pathway (first measure of the definition)."""
    header = [
        "Cause",
        "Pathway",
        "Assessed",
        "Responders",
        "Responder rate",
        "95% CI",
        "Mean improvement",
    ]
    rows: list[list[str]] = []
    n_hidden = 0
    for r in (frame if frame is not None else pd.DataFrame()).itertuples(index=False):
        if bool(r.suppressed):
            n_hidden += 1
            continue
        denominator = None if pd.isna(r.n_assessed) else int(r.n_assessed) - int(r.n_excluded or 0)
        rows.append(
            [
                _group_label("cause", r.cause),
                _group_label("pathway", r.pathway),
                labels.count(denominator),
                labels.count(r.responders),
                _pct(r.responder_rate),
                labels.interval(r.responder_ci_low, r.responder_ci_high),
                "–" if pd.isna(r.mean_change) else f"{float(r.mean_change):.1f}",
            ]
        )
    notes = []
    if n_hidden:
        notes.append(
            f"{labels.plural(n_hidden, 'group')} with fewer than {min_cell} assessed "
            "patients (or hidden so that they cannot be worked out from the totals) are left "
            "out of this table."
        )
    return Table(header, rows, notes, numeric_from=2)


def survival_table(frame: pd.DataFrame | None) -> Table:
    """Reoperations and reoperation-free survival by pathway."""
    header = ["Pathway", "Cases", "Reoperations", "Rate", "Free at 12 months", "Free at 24 months"]
    rows = []
    for r in (frame if frame is not None else pd.DataFrame()).itertuples(index=False):
        if bool(r.suppressed):
            rows.append([_group_label("pathway", r.pathway), HIDDEN, "", "", "", ""])
            continue
        rows.append(
            [
                _group_label("pathway", r.pathway),
                labels.count(r.n_cases),
                labels.count(r.n_with_event),
                _pct(r.event_rate, 1),
                _km(r.km_free_12m, r.km_free_12m_ci_low, r.km_free_12m_ci_high),
                _km(r.km_free_24m, r.km_free_24m_ci_low, r.km_free_24m_ci_high),
            ]
        )
    return Table(header, rows, numeric_from=1)


def _km(value: object, low: object, high: object) -> str:
    interval = labels.interval(low, high)
    return f"{_pct(value, 1)}\n{interval}" if interval else _pct(value, 1)


def followup_table(frame: pd.DataFrame | None) -> Table:
    """Follow-up completion per timepoint against the marks."""
    header = ["Timepoint", "Due", "Returned", "Completion", "95% CI", "Against the marks"]
    rows = []
    for r in (frame if frame is not None else pd.DataFrame()).itertuples(index=False):
        hidden = bool(r.suppressed)
        rate = None if hidden or pd.isna(r.followup_rate) else float(r.followup_rate)
        rows.append(
            [
                labels.TIMEPOINT[r.timepoint],
                HIDDEN if hidden else labels.count(r.n_due),
                HIDDEN if hidden else labels.count(r.n_followup_returned),
                _pct(rate),
                labels.interval(r.followup_ci_low, r.followup_ci_high),
                followup_mark(rate),
            ]
        )
    return Table(header, rows)


def completeness_table(frame: pd.DataFrame | None, limit: int = 8) -> Table:
    """The least complete columns (every other column is complete)."""
    header = ["Table", "Column", "Records", "With a value", "Complete"]
    if frame is None or frame.empty:
        return Table(header, [], ["No records to check."], numeric_from=2)
    gaps = frame[frame["share_present"] < 1].sort_values("share_present").head(limit)
    rows = [
        [
            str(r.table),
            str(r.column).replace("_", " "),
            labels.count(r.n_rows),
            labels.count(r.n_present),
            _pct(r.share_present, 1),
        ]
        for r in gaps.itertuples(index=False)
    ]
    complete = int((frame["share_present"] >= 1).sum())
    rest = len(frame) - complete - len(rows)
    notes = [f"The other {labels.plural(complete, 'column')} have a value in every record."]
    if rest > 0:
        notes.insert(0, f"{labels.plural(rest, 'more column')} are between these and complete.")
    return Table(header, rows, notes, numeric_from=2)


def window_table(frame: pd.DataFrame | None) -> Table:
    """Follow-up questionnaires answered outside their visit window, per timepoint."""
    header = ["Timepoint", "Answered outside the window"]
    rows = []
    for r in (frame if frame is not None else pd.DataFrame()).itertuples(index=False):
        rows.append([labels.TIMEPOINT[r.timepoint], HIDDEN if r.suppressed else str(r.n_visits)])
    notes = [] if rows else ["Every follow-up questionnaire was answered inside its window."]
    return Table(header, rows, notes)


def dropout_table(frame: pd.DataFrame | None) -> tuple[Table, list[str]]:
    """Who is lost: characteristics of followed and lost patients, and the plain findings."""
    header = ["Characteristic", "Followed", "Lost", "SMD"]
    if frame is None or frame.empty or bool(frame["suppressed"].all()):
        return Table(header, [], ["Too few patients on one side to compare."]), []
    rows = []
    first = frame.iloc[0]
    for r in frame.itertuples(index=False):
        numeric = r.level is None or pd.isna(r.level)
        if r.characteristic == "_all" or not (numeric or r.imbalanced):
            continue  # a category level is listed only where the two sides differ
        name = str(r.characteristic).replace("_", " ").capitalize()
        if not numeric:
            name = f"{name}: {_group_label(str(r.characteristic), r.level)}"
        fmt = (lambda v: f"{float(v):.1f}") if numeric else (lambda v: labels.percent(v))
        rows.append(
            [
                name,
                "–" if pd.isna(r.followed_value) else fmt(r.followed_value),
                "–" if pd.isna(r.lost_value) else fmt(r.lost_value),
                "–" if pd.isna(r.smd) else f"{float(r.smd):+.2f}" + (" *" if r.imbalanced else ""),
            ]
        )
    notes = [
        f"{labels.count(first.n_followed)} followed and {labels.count(first.n_lost)} lost at "
        f"{labels.TIMEPOINT[first.timepoint].lower()}. Numbers: means; categories: shares. "
        "* |SMD| ≥ 0.1, the usual mark of a real difference; category levels are listed "
        "only where they differ."
    ]
    said = frame[frame["message"].fillna("").astype(bool)]
    said = said.reindex(said["smd"].abs().sort_values(ascending=False).index)
    findings = [str(m) for m in said["message"].head(MAX_FINDINGS)]
    return Table(header, rows, notes), findings


def definitions(report: ReportData) -> list[tuple[str, str]]:
    """The appendix: each figure's definition and source."""
    preset = PRESETS[report.responder]
    rule = ", ".join(c.text for c in preset.criteria)
    return [
        (
            "As-of snapshot",
            f"Every figure counts only cases treated, questionnaires dated and events dated "
            f"on or before the as-of date, the last day of the period ({report.as_of}).",
        ),
        ("Responder", f"{preset.label}: {rule}. Source: {preset.source}"),
        (
            "Follow-up completion",
            "Questionnaires returned ÷ due at the timepoint; a follow-up is due once its "
            "visit window has closed. Marks: 80% (US Quality Outcomes Database's aim at 12 "
            "months) and 50% (below it a CMS measure is unusable).",
        ),
        (
            "Reoperation-free survival",
            "Kaplan–Meier estimate with a 95% log(−log) interval; event-free cases are "
            "followed as each clinic captures events (to the as-of date when captured from "
            "hospital records, to the last questionnaire otherwise).",
        ),
        (
            "Small cells",
            f"Groups with fewer than {report.min_cell} patients are hidden, and further cells "
            "are hidden where a hidden one could be worked out from totals.",
        ),
        (
            "Who is lost",
            "Standardised mean differences (SMD) of baseline characteristics between patients "
            "followed and lost at 12 months; |SMD| ≥ 0.1 marks a real difference.",
        ),
        (
            "Sources",
            "Ostelo, Spine 2008 (minimal important change); Dworkin, IMMPACT 2008 (50% pain "
            "relief); Glassman, Spine J 2008; Spiegelhalter, Stat Med 2005 (funnel plots); "
            "McGirt, J Neurosurg Spine 2017 (QOD follow-up).",
        ),
    ]


def lines(text: str) -> Sequence[str]:
    """A cell's lines (the first is the figure, the rest small print)."""
    return text.split("\n")
