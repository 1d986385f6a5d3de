"""Case-mix adjusted pathway comparison: overlap weights, AIPW, balance (`fbss compare`).

Arms: repeat surgery (treated, 1) against less invasive options (0); or, when exactly two
treatments are filtered, those two treatments — the repeat-surgery one as arm 1 when
they lie in different pathways, else the first named.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from analytics import stats
from analytics.adjust import data
from analytics.adjust.design import Design, build_design, one_sided_groups
from analytics.adjust.estimators import (
    SeparationError,
    aipw,
    arm_means,
    augmented_overlap,
    fit_logit,
    kish_n,
    overlap_weights,
    smd_table,
)
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    DEFAULT_RESPONDER,
    DEFAULT_TIMEPOINT,
    AnalyticsError,
    ResponderDefinition,
    check_min_cell,
)
from analytics.filters import Filters
from analytics.queries import Db
from pipelines import vocabulary as vocab

SMD_MARK = 0.1
EXTREME = (0.05, 0.95)
PATHWAY_FIELDS = (
    "pathway",
    "n_analysed",
    "responders",
    "rate",
    "rate_ci_low",
    "rate_ci_high",
    "adjusted_rate",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "mean_change",
    "adjusted_mean_change",
    "effective_n",
)
DIFFERENCE_FIELDS = (
    "unadjusted",
    "unadjusted_ci_low",
    "unadjusted_ci_high",
    "adjusted",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "doubly_robust",
    "doubly_robust_ci_low",
    "doubly_robust_ci_high",
    "doubly_robust_all_cases",
    "doubly_robust_all_cases_ci_low",
    "doubly_robust_all_cases_ci_high",
    "mean_change_adjusted",
    "mean_change_adjusted_ci_low",
    "mean_change_adjusted_ci_high",
)


def arms(filters: Filters) -> tuple[str, str, str]:
    """(column, arm 1, arm 0): the pathways, or the two filtered treatments."""
    if len(filters.treatment) == 2:
        first, second = filters.treatment
        if vocab.pathway_of(second) == "repeat_surgery" != vocab.pathway_of(first):
            first, second = second, first
        return "treatment", first, second
    return "pathway", "repeat_surgery", "less_invasive"


def covariates(frame: pd.DataFrame, absent: tuple[str, ...], measure: str) -> Design:
    """The propensity model's design: age, baseline, risk factors, sex, cause, index surgery."""
    return build_design(
        frame,
        numeric=("age", "baseline_value", *data.RISK_FACTORS),
        categories=data.CATEGORIES,
        labels={"baseline_value": f"baseline_{measure}"},
        absent=absent,
    )


def compare(
    db: Db,
    *,
    timepoint: str = DEFAULT_TIMEPOINT,
    responder: str | ResponderDefinition | None = DEFAULT_RESPONDER,
    min_cell: int = DEFAULT_MIN_CELL,
    filters: Filters | None = None,
    as_of: dt.date | str | None = None,
) -> dict[str, Any]:
    """The adjusted comparison as one JSON-ready object (see docs/analytics.md), from what
    was known on `as_of` (default today)."""
    filters = filters or Filters()
    min_cell = check_min_cell(min_cell)
    cf = data.case_frame(db, timepoint=timepoint, responder=responder, filters=filters, as_of=as_of)
    column, arm1, arm0 = arms(filters)
    in_arms = cf.cases[column].isin([arm1, arm0]).to_numpy()
    # Copying half a million rows costs ~0.5 s: only when some case is in neither arm.
    frame = cf.cases if in_arms.all() else cf.cases[in_arms].reset_index(drop=True)
    result: dict[str, Any] = {
        "timepoint": timepoint,
        "measure": cf.criterion.measure,
        "definition": cf.definition.code,
        "arms": [arm1, arm0],
        "covariates": [],
        "dropped_covariates": [],
        "set_aside": [],
        "pathways": [dict.fromkeys(PATHWAY_FIELDS) | {"pathway": a} for a in (arm1, arm0)],
        "difference": dict.fromkeys(DIFFERENCE_FIELDS),
        "balance": [],
        "extreme_propensity": {"below_0_05": None, "above_0_95": None},
        "warnings": [],
        "suppressed": False,
    }
    treated = (frame[column] == arm1).to_numpy(dtype=float)
    counts = {arm1: int(treated.sum()), arm0: int(len(treated) - treated.sum())}
    small = [a for a, n in counts.items() if n < max(min_cell, 1)]
    if small and min_cell > 0:
        result["suppressed"] = True
        result["warnings"].append(
            f"fewer than {min_cell} analysed cases in {' and '.join(small)}: "
            "figures are hidden (small-cell limit)"
        )
        return result
    if small:
        raise AnalyticsError(
            f"no analysed cases in {' and '.join(small)} with these filters at {timepoint}: "
            "there is nothing to compare"
        )
    _crude(result, frame, treated)
    design = covariates(frame, cf.absent_factors, cf.criterion.measure)
    # Setting a group aside can leave another group one-sided: repeat until none is.
    for _ in range(len(design.names) + 1):
        aside, notes = one_sided_groups(design, treated, (f"had {arm1}", f"had {arm0}"))
        if not aside.any():
            break
        result["set_aside"] += notes
        frame, treated = frame[~aside].reset_index(drop=True), treated[~aside]
        if len(np.unique(treated)) < 2:
            raise AnalyticsError(
                "after setting aside the cases only one pathway has "
                f"({'; '.join(result['set_aside'])}) nothing is left to compare"
            )
        design = covariates(frame, cf.absent_factors, cf.criterion.measure)
    result["covariates"] = list(design.names)
    result["dropped_covariates"] = [{"covariate": c, "reason": r} for c, r in design.dropped]
    try:
        propensity = fit_logit(treated, design.matrix).fitted
    except SeparationError:
        raise AnalyticsError(
            "the propensity model separates the two pathways perfectly (some combination "
            "of covariates always leads to the same pathway), so no fair comparison exists "
            "for these cases; widen the filters or compare other treatments"
            + (
                f" (already set aside: {'; '.join(result['set_aside'])})"
                if result["set_aside"]
                else ""
            )
        ) from None
    _adjusted(result, frame, treated, propensity, design)
    return result


def _crude(result: dict[str, Any], frame: pd.DataFrame, treated: np.ndarray) -> None:
    """Rates with Wilson intervals and the crude difference with its Wald interval."""
    y = frame["is_responder"].to_numpy(dtype=float)
    change = frame["improvement"].to_numpy(dtype=float)
    for row, arm in zip(result["pathways"], (1.0, 0.0), strict=True):
        rows = treated == arm
        n, r = int(rows.sum()), int(y[rows].sum())
        low, high = stats.wilson(r, n)
        row.update(
            n_analysed=n,
            responders=r,
            rate=r / n,
            rate_ci_low=float(low),
            rate_ci_high=float(high),
            mean_change=float(change[rows].mean()),
        )
    crude = arm_means(y, treated, np.ones(len(y)))
    diff_low, diff_high = crude.ci("difference")
    result["difference"].update(
        unadjusted=crude.difference, unadjusted_ci_low=diff_low, unadjusted_ci_high=diff_high
    )


def _adjusted(
    result: dict[str, Any],
    frame: pd.DataFrame,
    treated: np.ndarray,
    propensity: np.ndarray,
    design: Design,
) -> None:
    y = frame["is_responder"].to_numpy(dtype=float)
    change = frame["improvement"].to_numpy(dtype=float)
    weights = overlap_weights(treated, propensity)
    rate = arm_means(y, treated, weights)
    mean = arm_means(change, treated, weights)
    for row, arm, key in zip(result["pathways"], (1.0, 0.0), ("1", "0"), strict=True):
        low, high = rate.ci(key)
        row.update(
            adjusted_rate=rate.mean1 if arm else rate.mean0,
            adjusted_ci_low=max(low, 0.0),
            adjusted_ci_high=min(high, 1.0),
            adjusted_mean_change=mean.mean1 if arm else mean.mean0,
            effective_n=kish_n(weights[treated == arm]),
        )
    diff = result["difference"]
    diff["adjusted"] = rate.difference
    diff["adjusted_ci_low"], diff["adjusted_ci_high"] = rate.ci("difference")
    diff["mean_change_adjusted"] = mean.difference
    diff["mean_change_adjusted_ci_low"], diff["mean_change_adjusted_ci_high"] = mean.ci(
        "difference"
    )
    try:
        mu1, mu0 = _outcome_model(y, treated, design)
        # The check targets the overlap population, like the weighted difference it checks;
        # the all-cases AIPW is reported beside it, labelled (its population differs).
        dr = augmented_overlap(y, treated, propensity, mu1, mu0)
        diff["doubly_robust"] = dr.estimate
        diff["doubly_robust_ci_low"], diff["doubly_robust_ci_high"] = dr.ci
        everyone = aipw(y, treated, propensity, mu1, mu0)
        diff["doubly_robust_all_cases"] = everyone.estimate
        low, high = everyone.ci
        diff["doubly_robust_all_cases_ci_low"], diff["doubly_robust_all_cases_ci_high"] = low, high
    except SeparationError:
        result["warnings"].append(
            "the doubly robust check could not be computed: the responder model predicts "
            "the outcome perfectly for some cases (too few cases or responders)"
        )
    before, after = smd_table(design.matrix, treated, weights)
    balance = [
        {"covariate": name, "smd_unadjusted": float(b), "smd_adjusted": float(a)}
        for name, b, a in zip(design.names, before, after, strict=True)
    ]
    result["balance"] = balance
    _warnings(result, propensity, balance)


def _outcome_model(
    y: np.ndarray, treated: np.ndarray, design: Design
) -> tuple[np.ndarray, np.ndarray]:
    """Each case's responder probability under arm 1 and under arm 0, from one logistic
    model of the outcome on the arm and the covariates (main effects: more stable than a
    model per arm when an arm is small)."""
    if len(np.unique(y)) < 2:
        raise SeparationError("every case has the same outcome")
    fit = fit_logit(y, design.matrix, lead=treated)
    mu1 = fit.predict(design.matrix, np.ones(len(y)))
    mu0 = fit.predict(design.matrix, np.zeros(len(y)))
    return mu1, mu0


def _warnings(result: dict[str, Any], propensity: np.ndarray, balance: list[dict]) -> None:
    low, high = EXTREME
    below, above = int((propensity < low).sum()), int((propensity > high).sum())
    result["extreme_propensity"] = {"below_0_05": below, "above_0_95": above}
    warn = result["warnings"]
    if below or above:
        warn.append(
            f"{below} cases had a propensity below {low} and {above} above {high}: for them "
            "one pathway was almost certain, so the data say little about the other; overlap "
            "weights give them little weight, the doubly robust figure may be unstable"
        )
    poor = [b["covariate"] for b in balance if abs(b["smd_adjusted"]) >= SMD_MARK]
    if poor:
        warn.append(
            f"after weighting, {', '.join(poor)} still differ between the pathways "
            f"(|SMD| >= {SMD_MARK}): the adjusted difference is not fully fair on them"
        )
    for row in result["pathways"]:
        if row["effective_n"] is not None and row["effective_n"] < row["n_analysed"] / 4:
            warn.append(
                f"{row['pathway']}: weighting leaves an effective n of "
                f"{row['effective_n']:.0f} of {row['n_analysed']} cases, so intervals are wide"
            )
    if result["dropped_covariates"]:
        names = ", ".join(d["covariate"] for d in result["dropped_covariates"])
        warn.append(f"not adjusted for (see dropped_covariates): {names}")
    warn.append("adjustment removes only measured differences: unmeasured confounding remains")
