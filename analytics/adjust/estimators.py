"""The estimators: logistic fits, overlap weights, weighted means with sandwich errors,
standardised mean differences, Kish's effective n and the doubly robust (AIPW) difference.

Plain numpy on arrays; every formula is written out so the tests can check it against
statsmodels (GLM/WLS with weights) and against the textbook definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt
from scipy import special
from threadpoolctl import threadpool_limits

from analytics.definitions import CONFIDENCE

FloatArray = npt.NDArray[np.float64]
Z95 = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
# A fitted probability this close to 0 or 1 means the maximum likelihood estimate does not
# exist (separation): the coefficients ran off to infinity.
_SEPARATED = 1e-8
_WARM_START_ABOVE = 20_000
_MAX_ITER = 40
_TOLERANCE = 1e-10  # largest change of a coefficient (standardised covariates)
_DIVERGED = 40.0  # |coefficient| on standardised covariates: odds ratios beyond e^40


def single_threaded() -> threadpool_limits:
    """BLAS on one thread for the fits. The products here are thin (cases x ~30): with
    OpenBLAS's threads on two cores shared with other jobs, a 47,000 x 25 matrix-vector
    product took 63 ms instead of under 1, and a propensity fit 1.0-2.3 s instead of
    0.26-0.31 s (measured at 100,000 cases in view)."""
    return threadpool_limits(limits=1, user_api="blas")


class SeparationError(ValueError):
    """The logistic model predicts the outcome perfectly for some cases (no finite fit)."""


@dataclass(frozen=True)
class LogitFit:
    """Coefficients (intercept first) and fitted probabilities of a logistic fit."""

    coef: FloatArray
    fitted: FloatArray
    has_lead: bool = False

    def predict(self, matrix: FloatArray, lead: FloatArray | None = None) -> FloatArray:
        """Probabilities for other rows (or other lead values) of the same design."""
        with single_threaded():
            return _expit(_Exog(matrix, lead if self.has_lead else None).dot(self.coef))


def fit_logit(y: FloatArray, matrix: FloatArray, lead: FloatArray | None = None) -> LogitFit:
    """Fitted probabilities of the maximum-likelihood logistic model with an intercept,
    on `lead` (an extra first column, e.g. the arm) and the columns of `matrix`.

    Newton-Raphson, as statsmodels' Logit does. statsmodels took 10.7 s on a million
    cases with 30 covariates (two shared cores), over the 5 s budget. So for large data
    the fit starts from Newton on a seeded subsample and then iterates with the exact
    full-data gradient but the subsample's information matrix scaled up (a chord
    method): the fixed point is where the full-data gradient is zero, i.e. the same
    maximum-likelihood estimate, reached in a few passes of two matrix-vector products.
    The tests check the result against statsmodels' GLM. Separation raises
    SeparationError.
    """
    exog = _Exog(matrix, lead)
    with single_threaded():
        beta = np.zeros(exog.width)
        if len(y) > _WARM_START_ABOVE:
            pick = np.random.default_rng(0).choice(len(y), _WARM_START_ABOVE, replace=False)
            try:
                beta, hessian = _newton(y[pick], exog.rows(pick), beta)
                beta = _chord(y, exog, beta, hessian * (len(y) / _WARM_START_ABOVE))
            except SeparationError:  # a subsample can separate where the whole does not
                beta = np.zeros(exog.width)
        if not np.any(beta):
            beta, _ = _newton(y, exog.dense(), beta)
        fitted = _expit(exog.dot(beta))
    if np.any((fitted < _SEPARATED) | (fitted > 1 - _SEPARATED)):
        raise SeparationError("fitted probabilities of exactly 0 or 1")
    return LogitFit(beta, fitted, lead is not None)


@dataclass(frozen=True)
class _Exog:
    """[1, lead, matrix] without copying the (large) matrix."""

    matrix: FloatArray
    lead: FloatArray | None

    @property
    def width(self) -> int:
        return self.matrix.shape[1] + (2 if self.lead is not None else 1)

    def dot(self, beta: FloatArray) -> FloatArray:
        k = self.width - self.matrix.shape[1]
        eta = self.matrix @ beta[k:] + beta[0]
        return eta + self.lead * beta[1] if self.lead is not None else eta

    def tdot(self, r: FloatArray) -> FloatArray:
        head = [r.sum()] + ([self.lead @ r] if self.lead is not None else [])
        return np.concatenate([head, r @ self.matrix])

    def dense(self) -> FloatArray:
        ones = np.ones((self.matrix.shape[0], 1))
        parts = [ones, *([self.lead[:, None]] if self.lead is not None else []), self.matrix]
        return np.hstack(parts)

    def rows(self, pick: npt.NDArray[np.int64]) -> FloatArray:
        lead = self.lead[pick] if self.lead is not None else None
        return _Exog(self.matrix[pick], lead).dense()


def _expit(eta: FloatArray) -> FloatArray:
    return np.asarray(special.expit(eta), dtype=float)


def _solve(hessian: FloatArray, gradient: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.solve(hessian, gradient), dtype=float)
    except np.linalg.LinAlgError:
        raise SeparationError("the information matrix is singular") from None


def _check(beta: FloatArray) -> None:
    if not np.all(np.isfinite(beta)) or np.abs(beta).max() > _DIVERGED:
        raise SeparationError("the coefficients run off to infinity")


def _newton(y: FloatArray, exog: FloatArray, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Newton-Raphson to convergence; the estimate and its information matrix."""
    for _ in range(_MAX_ITER):
        mu = _expit(exog @ beta)
        hessian = (exog * (mu * (1 - mu))[:, None]).T @ exog
        step = _solve(hessian, exog.T @ (y - mu))
        beta = beta + step
        _check(beta)
        if np.abs(step).max() < _TOLERANCE:
            return beta, hessian
    raise SeparationError(f"no convergence in {_MAX_ITER} Newton steps")


def _chord(y: FloatArray, exog: _Exog, beta: FloatArray, hessian: FloatArray) -> FloatArray:
    """Steps with a fixed information matrix; falls back to Newton if they stop shrinking."""
    previous = np.inf
    for _ in range(_MAX_ITER):
        step = _solve(hessian, exog.tdot(y - _expit(exog.dot(beta))))
        size = float(np.abs(step).max())
        if size > previous / 2:
            return _newton(y, exog.dense(), beta)[0]
        beta = beta + step
        _check(beta)
        if size < _TOLERANCE:
            return beta
        previous = size
    return _newton(y, exog.dense(), beta)[0]


def overlap_weights(treated: FloatArray, propensity: FloatArray) -> FloatArray:
    """Li, Morgan & Zaslavsky (2018): 1 - e for the treated, e for the comparison arm."""
    return treated * (1 - propensity) + (1 - treated) * propensity


@dataclass(frozen=True)
class ArmMeans:
    """Weighted mean per arm, their sandwich standard errors and the difference (1 - 0)."""

    mean1: float
    mean0: float
    se1: float
    se0: float

    @property
    def difference(self) -> float:
        return self.mean1 - self.mean0

    @property
    def se_difference(self) -> float:
        # The arms hold different cases, so their estimating equations are independent.
        return float(np.hypot(self.se1, self.se0))

    def ci(self, which: str) -> tuple[float, float]:
        """Normal 95% interval for "1", "0" or "difference"."""
        est, se = {
            "1": (self.mean1, self.se1),
            "0": (self.mean0, self.se0),
            "difference": (self.difference, self.se_difference),
        }[which]
        return est - Z95 * se, est + Z95 * se


def arm_means(y: FloatArray, treated: FloatArray, weights: FloatArray) -> ArmMeans:
    """Weighted means with HC0 sandwich errors, weights taken as fixed.

    Equals weighted least squares of y on the two arm indicators with cov_type="HC0":
    var(mean_a) = sum_a w^2 (y - mean_a)^2 / (sum_a w)^2.
    """
    out = []
    for arm in (1.0, 0.0):
        w = weights * (treated == arm)
        total = w.sum()
        mean = float((w * y).sum() / total)
        se = float(np.sqrt((w**2 * (y - mean) ** 2).sum()) / total)
        out += [mean, se]
    return ArmMeans(mean1=out[0], mean0=out[2], se1=out[1], se0=out[3])


def smd(x: FloatArray, treated: FloatArray, weights: FloatArray | None = None) -> float:
    """Standardised mean difference (treated - comparison) of one covariate.

    The denominator is always the unweighted pooled sd, sqrt((s1^2 + s0^2) / 2) with
    sample variances, so before and after weighting are on the same scale (Austin 2009).
    """
    t = treated == 1
    s1, s0 = x[t].var(ddof=1), x[~t].var(ddof=1)
    pooled = np.sqrt((s1 + s0) / 2)
    if weights is None:
        diff = x[t].mean() - x[~t].mean()
    else:
        diff = np.average(x[t], weights=weights[t]) - np.average(x[~t], weights=weights[~t])
    return float(diff / pooled) if pooled > 0 else 0.0


def smd_table(
    matrix: FloatArray, treated: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """smd() of every column, before and after weighting, by matrix-vector products (no
    copy of the matrix). An SMD does not change when a column is rescaled, so the
    standardised design matrix gives the same table as the raw columns."""
    t = treated.astype(float)
    c = 1.0 - t
    n1, n0 = t.sum(), c.sum()
    w1, w0 = weights * t, weights * c
    with single_threaded():
        mean1, mean0 = t @ matrix / n1, c @ matrix / n0
        square1 = np.einsum("i,ij,ij->j", t, matrix, matrix) / n1
        square0 = np.einsum("i,ij,ij->j", c, matrix, matrix) / n0
        after = w1 @ matrix / w1.sum() - w0 @ matrix / w0.sum()
    var1 = (square1 - mean1**2) * n1 / (n1 - 1)
    var0 = (square0 - mean0**2) * n0 / (n0 - 1)
    pooled = np.sqrt(np.clip((var1 + var0) / 2, 0, None))
    safe = np.where(pooled > 0, pooled, 1.0)
    return np.where(pooled > 0, (mean1 - mean0) / safe, 0.0), np.where(
        pooled > 0, after / safe, 0.0
    )


def kish_n(weights: FloatArray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2."""
    return float(weights.sum() ** 2 / (weights**2).sum())


@dataclass(frozen=True)
class Aipw:
    estimate: float
    se: float

    @property
    def ci(self) -> tuple[float, float]:
        return self.estimate - Z95 * self.se, self.estimate + Z95 * self.se


def aipw(
    y: FloatArray, treated: FloatArray, propensity: FloatArray, mu1: FloatArray, mu0: FloatArray
) -> Aipw:
    """Augmented inverse-probability-weighted difference (Robins 1994; Lunceford &
    Davidian 2004) with the influence-function standard error sd(psi) / sqrt(n)."""
    t, e = treated, propensity
    psi = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
    estimate = float(psi.mean())
    se = float(np.sqrt(((psi - estimate) ** 2).sum()) / len(psi))
    return Aipw(estimate, se)


def augmented_overlap(
    y: FloatArray, treated: FloatArray, propensity: FloatArray, mu1: FloatArray, mu0: FloatArray
) -> Aipw:
    """Doubly robust difference for the overlap population (Mao, Li & Greene, *Stat Methods
    Med Res* 2019): the outcome model's mean difference tilted by h = e(1 − e), plus the
    overlap-weighted mean residual of each arm. It estimates what the overlap-weighted
    difference estimates, so the two agree when either model is right; the all-cases AIPW
    above targets another population and may differ when effects vary between patients.
    Standard error from the influence function of the three ratio terms, nuisance models
    taken as known (as for the weighted means)."""
    t, e = treated, propensity
    h = e * (1 - e)
    w1, w0 = t * (1 - e), (1 - t) * e  # overlap weights of each arm (h/e, h/(1 − e))
    r1, r0 = y - mu1, y - mu0
    tilt = float((h * (mu1 - mu0)).sum() / h.sum())
    res1, res0 = float((w1 * r1).sum() / w1.sum()), float((w0 * r0).sum() / w0.sum())
    n = len(y)
    influence = (
        h * (mu1 - mu0 - tilt) / h.mean()
        + w1 * (r1 - res1) / w1.mean()
        - w0 * (r0 - res0) / w0.mean()
    )
    return Aipw(tilt + res1 - res0, float(np.sqrt((influence**2).sum()) / n))
