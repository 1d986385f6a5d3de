"""The case-mix adjusted sections of Compare pathways and Physicians & clinics (issue 9).

Pages call one function per section; each reads a cached figure from `dashboard.data`,
draws it with `dashboard.charts`, and turns a question the analytics cannot answer
(too few cases, perfect separation) into a message inside its own section, so the rest
of the page still shows.

Over 300 lines: the three adjusted sections (pathway comparison, adjusted funnel,
patients like mine) share the messages and table shapes here; one module per section
would repeat them.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pandas as pd
import streamlit as st

from analytics.definitions import AnalyticsError, Criterion, parse_responder
from analytics.display_rules import funnel_position_label
from analytics.filters import Filters
from analytics.published import base_for, published_overall
from dashboard import charts, data, labels, ui
from dashboard.data import StoreFile
from pipelines import vocabulary as vocab

CAVEAT = (
    "**What adjustment can and cannot do.** Adjusted figures compare like with like on what "
    "was recorded: age, sex, baseline score, BMI, smoking, diabetes, prior operations, ASA "
    "grade, symptom duration, workers' compensation, litigation, depression, cause and "
    "index surgery. A factor left blank counts as its own category. Adjustment cannot "
    "remove differences nobody recorded (what the imaging showed, how fit or determined a "
    "patient was, a surgeon's judgement): **unmeasured confounding remains**, so even an "
    "adjusted difference is not proof that one pathway or one physician caused it."
)
# Under a funnel published to a non-admin (counts rounded to 5): why few units are flagged.
PUBLISHED_POSITIONS = (
    "Counts are rounded to 5. A unit is marked above or below a limit only when every exact "
    "count the rounded figures stand for would put it there; a unit not marked is within "
    "the limits, or too close to a limit to tell at this precision."
)
SIMILAR_NOTE = (
    "**A description of similar past patients, not a prediction for this patient.** For "
    "each pathway, the past patients most like the profile (the same cause when one is "
    "given; nearest on the other characteristics entered) and how their ODI changed."
)
_FLAGS = {"": None, "yes": True, "no": False}


def _single_criterion(responder: str) -> str | None:
    """The first one-measure criterion of a definition (adjusted figures need one)."""
    for criterion in parse_responder(responder).criteria:
        if isinstance(criterion, Criterion):
            return criterion.text
    return None


def start_pathway_comparison(
    version: StoreFile, filters: Filters | None, *, timepoint: str, responder: str
) -> Future[dict[str, Any]] | None:
    """Start the adjusted fit on the query pool (None: the definition has no single
    measure), so a page's other figures are computed beside it, not after it."""
    criterion = _single_criterion(responder)
    if criterion is None:
        return None
    return data.submit(
        data.compare_adjusted, version, timepoint=timepoint, responder=criterion, filters=filters
    )


def pathway_comparison(
    version: StoreFile,
    filters: Filters | None,
    *,
    timepoint: str,
    responder: str,
    started: Future[dict[str, Any]] | None = None,
) -> bool:
    """Crude beside case-mix adjusted: rates, the difference, balance, effective n, warnings.

    `started`: the fit from start_pathway_comparison with the same arguments, if any.
    True when the comparison is hidden because a pathway has too few cases."""
    st.subheader("Crude and case-mix adjusted comparison")
    pending = started or start_pathway_comparison(
        version, filters, timepoint=timepoint, responder=responder
    )
    if pending is None:
        st.info("The adjusted comparison needs a responder definition on one measure.")
        return False
    try:
        result = pending.result()
    except AnalyticsError as exc:
        st.warning(f"The adjusted comparison cannot be computed here: {exc}")
        return False
    # Every chart is followed by its table (its figures as text, one keystroke away).
    left, right = st.columns(2)
    with left:
        ui.chart(charts.crude_and_adjusted(result), key="adjusted_rates")
        ui.table(pathway_table(result), "Crude and adjusted results", key="adjusted_pathways")
    with right:
        ui.chart(charts.difference(result), key="adjusted_difference")
        ui.table(difference_table(result), "The difference, three ways", key="adjusted_diff")
    st.markdown(CAVEAT)
    if result["suppressed"]:
        for warning in result["warnings"]:
            st.warning(warning, icon=":material/warning:")
        return True
    ui.chart(charts.love_plot(result["balance"]), key="adjusted_balance")
    ui.table(balance_table(result["balance"]), "Balance before and after weighting", key="balance")
    for note in result["set_aside"]:
        st.caption(f"Set aside (one pathway only, nothing to compare): {note}.")
    for warning in result["warnings"][:-1]:  # the last is the caveat, said above
        st.warning(warning, icon=":material/warning:")
    return False


def difference_table(result: dict[str, Any]) -> pd.DataFrame:
    """Repeat surgery minus less invasive: crude, adjusted and the doubly robust checks."""
    d = result["difference"]
    rows = [
        ("Crude", "unadjusted"),
        ("Adjusted (overlap weights)", "adjusted"),
        ("Doubly robust check (overlap population)", "doubly_robust"),
        ("Doubly robust, all cases in view", "doubly_robust_all_cases"),
    ]
    return pd.DataFrame(
        {
            "Estimate": [label for label, _ in rows],
            "Difference (percentage points)": [_pct(d.get(key)) for _, key in rows],
            "95% CI": [
                labels.interval(d.get(f"{key}_ci_low"), d.get(f"{key}_ci_high"), 1)
                for _, key in rows
            ],
        }
    )


def pathway_table(result: dict[str, Any]) -> pd.DataFrame:
    """One row per arm: n, crude and adjusted rates with intervals, effective n."""
    rows = []
    for p in result["pathways"]:
        rows.append(
            {
                "Pathway": labels.PATHWAY.get(p["pathway"])
                or labels.value_label("treatment", p["pathway"]),
                "Analysed (n)": p["n_analysed"],
                "Responders": p["responders"],
                "Crude rate (%)": _pct(p["rate"]),
                "Crude 95% CI": labels.interval(p["rate_ci_low"], p["rate_ci_high"], 1),
                "Adjusted rate (%)": _pct(p["adjusted_rate"]),
                "Adjusted 95% CI": labels.interval(p["adjusted_ci_low"], p["adjusted_ci_high"], 1),
                "Crude mean change": _round(p["mean_change"]),
                "Adjusted mean change": _round(p["adjusted_mean_change"]),
                "Effective n": _round(p["effective_n"], 0),
            }
        )
    return pd.DataFrame(rows)


def balance_table(balance: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Covariate": [b["covariate"] for b in balance],
            "SMD before": [_round(b["smd_unadjusted"], 3) for b in balance],
            "SMD after": [_round(b["smd_adjusted"], 3) for b in balance],
        }
    )


def _pct(value: Any) -> float | None:
    return None if value is None else round(100 * float(value), 1)


def _round(value: Any, digits: int = 1) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def adjusted_switch() -> bool:
    """The Physicians & clinics switch: case-mix adjusted (the default) or crude."""
    return bool(
        st.toggle(
            "Adjust for case mix",
            value=True,
            key="providers_adjusted",
            help="On: observed against expected responders from a risk model (O/E). "
            "Off: the crude responder rate against the overall rate.",
        )
    )


def provider_funnel(
    version: StoreFile,
    filters: Filters | None,
    *,
    unit: str,
    timepoint: str,
    responder: str,
    subtitle: str,
) -> None:
    """The O/E funnel and its table (O, E, O/E, adjusted and shrunken rates)."""
    try:
        frame = data.providers_adjusted(
            version,
            by=unit,
            timepoint=timepoint,
            responder=responder,
            filters=filters,
            adjusted=True,
        )
        crude = data.funnel(
            version, unit=unit, timepoint=timepoint, responder=responder, filters=filters
        )
    except AnalyticsError as exc:
        st.warning(f"The adjusted comparison cannot be computed here: {exc}")
        return
    st.caption(subtitle)
    # an exact overall rate of a few hundred cases is their count (review 5, F3)
    base = base_for(getattr(filters, "scope", None))
    overall_rate, n_total = published_overall(crude.overall_rate, crude.n_total, base)
    ui.chart(charts.adjusted_funnel(frame, unit=unit, overall_rate=overall_rate))
    hidden = int(frame["suppressed"].fillna(False).astype(bool).sum()) if len(frame) else 0
    st.caption(
        f"Overall responder rate {labels.percent(overall_rate, 1)} of "
        f"{labels.count(n_total)} patients assessed. "
        + (f"{hidden} {unit}s with too few assessed patients are not shown. " if hidden else "")
        + "The risk-adjusted rate is O/E × the overall rate; the shrunken rate pulls small "
        "units toward the average (empirical Bayes), so chance alone moves them less."
    )
    st.markdown(CAVEAT)
    if base > 1:
        st.caption(PUBLISHED_POSITIONS)
    ui.table(
        provider_table(frame, unit, published=base > 1),
        f"Observed and expected responders by {unit}",
        key="funnel_adjusted",
        expanded=True,
    )


def provider_table(frame: pd.DataFrame, unit: str, *, published: bool = False) -> pd.DataFrame:
    """One row per unit: n, observed O, expected E, O/E, rates and position (published:
    a unit not flagged is within the limits or too close to tell, display_rules)."""
    f = frame
    position = [
        "" if pd.isna(a) and pd.isna(b) else funnel_position_label(a, b, published=published)
        for a, b in zip(f["position_95"], f["position_998"], strict=True)
    ]
    return pd.DataFrame(
        {
            labels.GROUP_TITLE[unit]: f[unit],
            "Assessed (n)": f["n"],
            "Observed responders (O)": f["responders"],
            "Expected responders (E)": pd.to_numeric(f["expected"]).round(1),
            "O/E": pd.to_numeric(f["oe_ratio"]).round(2),
            "Crude rate (%)": (100 * pd.to_numeric(f["rate"])).round(1),
            "Risk-adjusted rate (%)": (100 * pd.to_numeric(f["adjusted_rate"])).round(1),
            "Shrunken rate (%)": (100 * pd.to_numeric(f["shrunken_rate"])).round(1),
            "Against the limits": position,
            "Note": ["too few to show" if s else "" for s in f["suppressed"].fillna(False)],
        }
    )


def patients_like_mine(version: StoreFile, filters: Filters | None, *, timepoint: str) -> None:
    """A profile form; per pathway, how the most similar past patients fared."""
    st.subheader("Patients like mine")
    st.caption(
        "Enter what you know about a patient; every field is optional. The view lists how "
        "the 50 most similar past patients on each pathway fared."
    )
    profile = _profile_form()
    given = {k: v for k, v in profile.items() if v is not None}
    if not given:
        st.caption("Enter at least one characteristic to find similar past patients.")
        return
    try:
        result = data.similar_patients(version, profile, timepoint=timepoint, filters=filters)
    except AnalyticsError as exc:
        st.warning(f"Similar patients cannot be found as asked: {exc}")
        return
    st.markdown(SIMILAR_NOTE)
    ui.chart(charts.similar_bands(result), key="similar_bands")
    for p in result["pathways"]:
        if p["suppressed"]:
            st.caption(
                f"{labels.PATHWAY[p['pathway']]}: fewer similar past patients than the "
                "small-cell limit, not shown."
            )
    ui.table(similar_table(result), "Similar past patients by band", key="similar")


def similar_table(result: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "Pathway": labels.PATHWAY[p["pathway"]],
            "Similar patients (n)": p["n"],
            "Band": band["label"],
            "Patients": band["n"],
            "Share (%)": _pct(band["share"]),
            "95% CI": labels.interval(band["ci_low"], band["ci_high"], 0),
        }
        for p in result["pathways"]
        if not p["suppressed"]
        for band in p["bands"]
    ]
    return pd.DataFrame(
        rows, columns=["Pathway", "Similar patients (n)", "Band", "Patients", "Share (%)", "95% CI"]
    )


# The form's widget keys (kept while another tab of the page is open).
_FORM_FLAGS: tuple[tuple[str, str], ...] = (
    ("smoker", "Smoker"),
    ("depression", "Depression or anxiety"),
    ("workers_compensation", "Workers' compensation"),
    ("litigation", "Litigation"),
)
PROFILE_KEYS: tuple[str, ...] = (
    *(
        f"similar_{name}"
        for name in (
            "cause", "age", "sex", "baseline_odi", "leg_pain", "back_pain",
            "prior_surgeries", "asa_grade", "symptom_months",
        )
    ),
    *(f"similar_{name}" for name, _ in _FORM_FLAGS),
)  # fmt: skip


def _profile_form() -> dict[str, Any]:
    """The profile's widgets (keys similar_*), as the `similar` profile."""
    row = st.columns(4)
    cause = row[0].selectbox(
        "Cause",
        ["", *vocab.CAUSES],
        format_func=lambda c: labels.CAUSE[c] if c else "Not given",
        key="similar_cause",
    )
    age = row[1].number_input("Age", 18, 110, value=None, step=1, key="similar_age")
    sex = row[2].selectbox(
        "Sex",
        ["", *vocab.SEXES],
        format_func=lambda s: labels.SEX[s] if s else "Not given",
        key="similar_sex",
    )
    odi = row[3].number_input(
        "Baseline ODI", 0.0, 100.0, value=None, step=1.0, key="similar_baseline_odi"
    )
    row = st.columns(4)
    leg = row[0].number_input("Leg pain (0-10)", 0, 10, value=None, step=1, key="similar_leg_pain")
    back = row[1].number_input(
        "Back pain (0-10)", 0, 10, value=None, step=1, key="similar_back_pain"
    )
    prior = row[2].number_input(
        "Prior spine operations", 1, 20, value=None, step=1, key="similar_prior_surgeries"
    )
    asa = row[3].number_input("ASA grade", 1, 5, value=None, step=1, key="similar_asa_grade")
    last = st.columns(5)
    months = last[0].number_input(
        "Months of pain", 0, 600, value=None, step=1, key="similar_symptom_months"
    )
    flags = {}
    for col, (name, title) in zip(last[1:], _FORM_FLAGS, strict=True):
        answer = col.selectbox(
            title,
            list(_FLAGS),
            format_func=lambda a: a.capitalize() if a else "Not given",
            key=f"similar_{name}",
        )
        flags[name] = _FLAGS[answer]
    return {
        "cause": cause or None,
        "sex": sex or None,
        "age": age,
        "baseline_odi": odi,
        "leg_pain": leg,
        "back_pain": back,
        "prior_surgeries": prior,
        "asa_grade": asa,
        "symptom_months": months,
        **flags,
    }
