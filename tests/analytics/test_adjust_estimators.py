"""The adjusted-comparison estimators against statsmodels fits and textbook formulas (issue 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.adjust.design import build_design
from analytics.adjust.estimators import (
    SeparationError,
    aipw,
    arm_means,
    augmented_overlap,
    fit_logit,
    kish_n,
    overlap_weights,
    smd,
    smd_table,
)

TOL = 1e-6


def _data(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    t = (rng.random(n) < 1 / (1 + np.exp(-(0.4 + x[:, 0] - 0.7 * x[:, 1])))).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x[:, 0] + 0.5 * x[:, 2])))).astype(float)
    return x, t, y


def _glm_fitted(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    model = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial())
    return np.asarray(model.fit(tol=1e-13, maxiter=100).fittedvalues)


@pytest.mark.parametrize("n", [500, 30_000])  # 30,000 takes the subsample + chord path
def test_logistic_fit_is_statsmodels_glm(n: int) -> None:
    x, t, _ = _data(n)
    fit = fit_logit(t, x)
    assert np.abs(fit.fitted - _glm_fitted(t, x)).max() < TOL
    assert np.abs(fit.predict(x) - fit.fitted).max() < 1e-12


def test_complete_separation_is_reported_not_fitted() -> None:
    x = np.arange(20, dtype=float)[:, None]
    with pytest.raises(SeparationError):
        fit_logit((x[:, 0] > 9).astype(float), x)


def test_overlap_weights_are_one_minus_e_for_treated_and_e_for_comparison() -> None:
    t = np.array([1.0, 1.0, 0.0, 0.0])
    e = np.array([0.2, 0.7, 0.4, 0.9])
    assert overlap_weights(t, e).tolist() == pytest.approx([0.8, 0.3, 0.4, 0.9])


def test_weighted_arm_means_and_sandwich_errors_are_wls_hc0() -> None:
    x, t, y = _data(800)
    w = overlap_weights(t, fit_logit(t, x).fitted)
    ours = arm_means(y, t, w)
    ref = sm.WLS(y, np.column_stack([t, 1 - t]), weights=w).fit(cov_type="HC0")
    assert ours.mean1 == pytest.approx(ref.params[0], abs=TOL)
    assert ours.mean0 == pytest.approx(ref.params[1], abs=TOL)
    assert ours.se1 == pytest.approx(ref.bse[0], abs=TOL)
    assert ours.se0 == pytest.approx(ref.bse[1], abs=TOL)
    contrast = ref.t_test(np.array([[1.0, -1.0]]))
    assert ours.difference == pytest.approx(float(contrast.effect[0]), abs=TOL)
    assert ours.se_difference == pytest.approx(float(contrast.sd[0, 0]), abs=TOL)
    low, high = ours.ci("difference")
    ref_low, ref_high = np.asarray(contrast.conf_int())[0]
    assert (low, high) == pytest.approx((ref_low, ref_high), abs=TOL)


def test_overlap_weights_balance_every_covariate_of_the_model_exactly() -> None:
    # Li, Morgan & Zaslavsky 2018, theorem 3: with a logistic propensity score fitted by
    # maximum likelihood, the weighted means of every covariate agree between the arms.
    x, t, _ = _data(2000)
    w = overlap_weights(t, fit_logit(t, x).fitted)
    for j in range(x.shape[1]):
        assert abs(smd(x[:, j], t, w)) < 1e-9
        assert abs(smd(x[:, j], t)) > 0 or j > 1


def test_smd_uses_the_unweighted_pooled_sd_before_and_after() -> None:
    x = np.array([1.0, 2.0, 3.0, 10.0, 12.0])
    t = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    w = np.array([1.0, 1.0, 2.0, 1.0, 3.0])
    pooled = np.sqrt((np.var([1, 2, 3], ddof=1) + np.var([10, 12], ddof=1)) / 2)
    assert smd(x, t) == pytest.approx((2 - 11) / pooled)
    assert smd(x, t, w) == pytest.approx(((1 + 2 + 6) / 4 - (10 + 36) / 4) / pooled)


def test_the_balance_table_is_smd_column_by_column() -> None:
    x, t, _ = _data(300)
    w = np.random.default_rng(2).random(300)
    before, after = smd_table(x, t, w)
    assert before == pytest.approx([smd(x[:, j], t) for j in range(4)], abs=1e-12)
    assert after == pytest.approx([smd(x[:, j], t, w) for j in range(4)], abs=1e-12)


def test_kish_effective_n() -> None:
    assert kish_n(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(4)
    assert kish_n(np.array([0.5, 0.25, 0.25])) == pytest.approx(1 / (0.25 + 0.0625 * 2))


def test_aipw_is_the_textbook_formula_with_influence_function_error() -> None:
    x, t, y = _data(1500, seed=11)
    e = _glm_fitted(t, x)
    # Outcome model from statsmodels: treatment plus covariates.
    out = sm.GLM(y, sm.add_constant(np.column_stack([t, x])), family=sm.families.Binomial())
    res = out.fit(tol=1e-13)
    n = len(y)
    mu1 = res.predict(sm.add_constant(np.column_stack([np.ones(n), x]), has_constant="add"))
    mu0 = res.predict(sm.add_constant(np.column_stack([np.zeros(n), x]), has_constant="add"))
    psi = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
    ours = aipw(y, t, e, mu1, mu0)
    assert ours.estimate == pytest.approx(psi.mean(), abs=1e-12)
    assert ours.se == pytest.approx(np.std(psi) / np.sqrt(n), abs=1e-12)


def test_design_uses_missing_indicators_and_names_what_it_drops() -> None:
    frame = pd.DataFrame(
        {
            "age": [40.0, 50.0, 60.0, 70.0, 45.0, 52.0],
            "bmi": [20.0, np.nan, 30.0, 40.0, 25.0, 35.0],
            "asa_grade": [np.nan] * 6,  # a clinic that does not record it
            "smoker": [1.0, 1.0, 1.0, np.nan, 1.0, 1.0],  # one value where recorded
            "depression": [np.nan] * 6,  # absent from the store
            "sex": ["female"] * 6,
            "cause": ["a", "b", "a", "a", "b", "b"],
        }
    )
    design = build_design(
        frame,
        numeric=("age", "bmi", "asa_grade", "smoker", "depression"),
        categories=("sex", "cause"),
        absent=("depression",),
    )
    # smoker's value is dropped but "smoker missing" stays: not recording it may predict.
    assert design.names == ("age", "bmi", "bmi missing", "smoker missing", "cause=b")
    assert dict(design.dropped) == {
        "asa_grade": "not recorded for any case",
        "smoker": "the same value for every case that has it",
        "depression": "not in the store yet",
        "sex": "one value in view (female)",
    }
    # The missing BMI is filled with the mean of the others (30) and flagged.
    assert design.raw[:, 1].tolist() == [20.0, 30.0, 30.0, 40.0, 25.0, 35.0]
    assert design.raw[:, 2].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert np.allclose(design.matrix.mean(axis=0), 0)


def test_design_drops_a_column_that_is_a_combination_of_others() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [2.0, 4.0, 6.0, 10.0]})
    design = build_design(frame, numeric=("a", "b"))
    assert design.names == ("a",)
    assert design.dropped == (("b", "redundant: a combination of other covariates"),)


def test_augmented_overlap_reduces_to_the_weighted_difference_without_a_model() -> None:
    # With a "model" predicting 0 for everyone, the tilt is 0 and the residuals are the
    # outcomes: the estimate is exactly the overlap-weighted difference of means.
    x, t, y = _data(800, seed=5)
    e = _glm_fitted(t, x)
    zero = np.zeros(len(y))
    ours = augmented_overlap(y, t, e, zero, zero)
    w = np.where(t == 1, 1 - e, e)
    expected = np.average(y[t == 1], weights=w[t == 1]) - np.average(y[t == 0], weights=w[t == 0])
    assert ours.estimate == pytest.approx(expected, abs=1e-12)


def test_augmented_overlap_finds_the_overlap_effect_when_effects_vary() -> None:
    # Heterogeneous effect: tau(x) = 0.3 x; with the true outcome model the estimate is
    # the h-weighted mean of tau (the overlap population's effect), whatever the weights.
    rng = np.random.default_rng(3)
    n = 200_000
    x = rng.normal(size=n)
    e = 1 / (1 + np.exp(-(0.8 * x + 1.0)))  # h = e(1 - e) peaks at x = -1.25
    t = (rng.random(n) < e).astype(float)
    mu0 = 0.2 + 0.1 * x
    mu1 = mu0 + 0.3 * x + 0.1
    y = np.where(t == 1, mu1, mu0) + rng.normal(scale=0.5, size=n)
    h = e * (1 - e)
    truth = float((h * (mu1 - mu0)).sum() / h.sum())
    ours = augmented_overlap(y, t, e, mu1, mu0)
    assert abs(ours.estimate - truth) < 4 * ours.se
    everyone = aipw(y, t, e, mu1, mu0)  # the all-cases effect is 0.1: another population
    assert abs(everyone.estimate - 0.1) < 4 * everyone.se
    assert abs(truth - 0.1) > 10 * ours.se
