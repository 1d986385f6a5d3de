"""The adjusted sections' tables as display text (see reports.adjusted for the figures)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.display_rules import funnel_position, funnel_position_label
from dashboard import labels
from dashboard.charts.adjusted import covariate_words
from reports.adjusted import Adjusted
from reports.sections import HIDDEN, Table

SMD_MARK = 0.1
# What a place on the funnel means, in a sentence a review meeting can read out. About 1 in
# 20 units whose results differ from expected by chance alone fall outside the 95% limits
# (half of them above, half below), about 1 in 500 outside the 99.8% limits.
MEANING: dict[str, str] = {
    "within": "Within the 95% limits: as many responders as the case mix predicts, allowing "
    "for chance.",
    "above_95": "Above the 95% limit: more responders than the case mix predicts; chance alone "
    "puts about 1 unit in 40 here.",
    "above_998": "Above the 99.8% limit: more responders than the case mix predicts, beyond "
    "what chance plausibly explains.",
    "below_95": "Below the 95% limit: fewer responders than the case mix predicts; chance alone "
    "puts about 1 unit in 40 here, so look at the cases before drawing conclusions.",
    "below_998": "Below the 99.8% limit: fewer responders than the case mix predicts, beyond "
    "what chance plausibly explains: worth a review of the cases.",
}


PUBLISHED_WITHIN = (
    "Within the 95% limits, or too close to tell at the published precision: the counts "
    "are rounded to 5, and a unit is flagged only when every count the rounding allows "
    "puts it beyond a limit."
)


def meaning(key: str, published: bool) -> str:
    """MEANING's sentence; a published "within" may also be too close to a limit to tell."""
    return PUBLISHED_WITHIN if published and key == "within" else MEANING[key]


def _pct(value: Any) -> str:
    text = labels.percent(value, 0)
    return HIDDEN if text == "–" else text


def _points(value: Any) -> str:
    """A difference in rates as percentage points with a sign."""
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value) * 100:+.0f} points"


def pathway_table(adj: Adjusted) -> Table:
    """Crude and overlap-weighted responder rates per pathway, and their differences."""
    header = ["Pathway", "Analysed", "Responders", "Crude rate", "Adjusted rate", "Effective n"]
    result = adj.comparison or {}
    rows = []
    for p in result.get("pathways", []):
        rows.append(
            [
                labels.value_label("pathway", p["pathway"]),
                labels.count(p.get("n_analysed")),
                labels.count(p.get("responders")),
                "\n".join(
                    [
                        _pct(p.get("rate")),
                        labels.interval(p.get("rate_ci_low"), p.get("rate_ci_high")),
                    ]
                ),
                "\n".join(
                    [
                        _pct(p.get("adjusted_rate")),
                        labels.interval(p.get("adjusted_ci_low"), p.get("adjusted_ci_high")),
                    ]
                ),
                "–" if p.get("effective_n") is None else f"{float(p['effective_n']):.0f}",
            ]
        )
    return Table(header, rows, [_plain(w) for w in result.get("warnings", [])])


def _plain(warning: object) -> str:
    """The analytics' warning as a sentence (no JSON key names)."""
    text = str(warning).replace(" (see dropped_covariates)", "")
    if text.startswith("not adjusted for"):
        text = text.replace("_", " ")
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def difference_table(adj: Adjusted) -> Table:
    """The difference between the pathways (first minus second), three ways."""
    result = adj.comparison or {}
    d = result.get("difference") or {}
    arms = [labels.value_label("pathway", a) for a in result.get("arms", [])]
    header = ["Difference in responder rate", "Estimate", "95% CI"]
    rows = []
    for key, words in (
        ("unadjusted", "Crude (no adjustment)"),
        ("adjusted", "Overlap-weighted (adjusted)"),
        ("doubly_robust", "Doubly robust check (AIPW)"),
    ):
        low, high = d.get(f"{key}_ci_low"), d.get(f"{key}_ci_high")
        ci = "" if low is None or high is None else f"{_points(low)} to {_points(high)}"
        rows.append([words, _points(d.get(key)), ci])
    notes = [f"{arms[0]} minus {arms[1]}; positive favours {arms[0].lower()}."] if arms else []
    return Table(header, rows, notes)


def balance_summary(adj: Adjusted) -> tuple[str, Table]:
    """One sentence on balance, and the SMD of each covariate before and after weighting."""
    header = ["Covariate", "SMD before", "SMD after"]
    frame = adj.balance if adj.balance is not None else pd.DataFrame()
    if frame.empty:
        return "", Table(header, [])
    before = frame["smd_unadjusted"].abs()
    after = frame["smd_adjusted"].abs()
    sentence = (
        f"{labels.plural(len(frame), 'covariate')}: {int((before >= SMD_MARK).sum())} differed "
        f"between the pathways by |SMD| ≥ {SMD_MARK} before weighting (largest "
        f"{before.max():.2f}), {int((after >= SMD_MARK).sum())} after (largest {after.max():.2f})."
    )
    shown = frame[(before >= SMD_MARK) | (after >= SMD_MARK)]
    rows = [
        [
            covariate_words(str(r.covariate)),
            _smd(r.smd_unadjusted),
            _smd(r.smd_adjusted),
        ]
        for r in shown.itertuples(index=False)
    ]
    balanced = len(frame) - len(shown)
    notes = [f"The other {labels.plural(balanced, 'covariate')} differed by less than 0.1 "
             "before weighting."] if balanced else []  # fmt: skip
    return sentence, Table(header, rows, notes)


def _smd(value: Any) -> str:
    """A signed SMD to two places, without a '-0.00'."""
    return f"{round(float(value), 2) + 0.0:+.2f}"


def _number(value: Any, spec: str) -> str:
    """A figure, or a dash where it has none (O/E of an expected count rounded to 0)."""
    number = pd.to_numeric(value, errors="coerce")
    return "–" if pd.isna(number) else format(float(number), spec)


def funnel_table(adj: Adjusted) -> tuple[str, Table]:
    """The unit's adjusted position among its peers (anonymised), and the table."""
    unit = adj.unit
    header = [
        labels.GROUP_TITLE.get(unit, unit),
        "Assessed",
        "Observed",
        "Expected",
        "Observed ÷ expected",
        "Risk-adjusted rate",
        "Against the limits",
    ]
    frame = adj.funnel if adj.funnel is not None else pd.DataFrame()
    rows, sentence = [], ""
    for r in frame.itertuples(index=False):
        name = str(getattr(r, unit))
        if bool(r.suppressed):
            rows.append([name, HIDDEN, "", "", "", "", ""])
            if name == adj.unit_label:
                sentence = (
                    f"{name} had too few assessed patients to place on the funnel; "
                    "its figures are hidden, as for any small group."
                )
            continue
        position = funnel_position_label(r.position_95, r.position_998, published=adj.published)
        rows.append(
            [
                name,
                labels.count(r.n),
                labels.count(r.responders),
                _number(r.expected, ",.1f"),
                _number(r.oe_ratio, ".2f"),
                _pct(r.adjusted_rate),
                position,
            ]
        )
        if name == adj.unit_label:
            sentence = (
                f"{name}: {labels.count(r.responders)} responders where "
                f"{_number(r.expected, '.1f')} were expected from the case mix "
                f"(observed ÷ expected {_number(r.oe_ratio, '.2f')}). "
                + meaning(funnel_position(r.position_95, r.position_998), adj.published)
            )
    return sentence, Table(header, rows, numeric_from=1)
