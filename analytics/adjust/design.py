"""Covariates -> a model matrix: missing indicators, dummies, and what was dropped and why.

Missing values use the *missing-indicator method*: a missing number or flag is filled
with the mean of the cases that have it, and a 0/1 column "<factor> missing" is added,
so cases are never thrown away for a missing risk factor and "not recorded" can itself
predict (a clinic that records smoking only for surgical candidates). It is a pragmatic
choice, unbiased for the propensity score's purpose of balancing what was recorded
(Rosenbaum & Rubin 1984, appendix; Blake et al., Stat Med 2020), not a claim about the
missing values themselves.

Dropped, and named in the output: factors missing for every case in view (or absent
from the store), factors with one value, categories with one level, and columns that
are an exact combination of others (e.g. two factors missing on the same cases).
The matrix is standardised (mean 0, sd 1), which changes no fitted probability but
keeps Newton's method well conditioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from analytics.adjust.estimators import single_threaded
from analytics.definitions import DEFAULT_MIN_CELL

FloatArray = npt.NDArray[np.float64]
# Relative residual variance below which a column counts as a combination of others.
_REDUNDANT = 1e-9


@dataclass(frozen=True)
class Design:
    """Standardised covariate columns (no intercept), their names, and the dropped ones."""

    matrix: FloatArray  # n x p, Fortran order (column slices are contiguous)
    names: tuple[str, ...]
    dropped: tuple[tuple[str, str], ...]  # (covariate, plain-words reason)
    binary: tuple[bool, ...]  # column takes two values only (dummy, flag, indicator)
    means: FloatArray  # of each column before standardising
    sds: FloatArray

    @property
    def raw(self) -> FloatArray:
        """The columns before standardising (filled values, 0/1 dummies)."""
        return self.matrix * self.sds + self.means


def build_design(
    frame: pd.DataFrame,
    *,
    numeric: Sequence[str],
    categories: Sequence[str] = (),
    labels: dict[str, str] | None = None,
    absent: Sequence[str] = (),
) -> Design:
    """The model matrix of `numeric` columns (numbers or 0/1 flags) and `categories`."""
    labels = labels or {}
    names: list[str] = []
    dropped: list[tuple[str, str]] = []
    factorized = [pd.factorize(frame[col]) for col in categories]
    n = len(frame)
    # The columns are written straight into one Fortran-order array as wide as the design
    # could be (a number and its missing indicator each, a dummy per level); the columns
    # left unused are never touched, so they cost address space, not memory. Collecting
    # the columns first and then copying them doubled the peak (issue 7: ~110 MiB more at
    # 475,000 cases in view); a copy also costs ~0.2 s at a million cases.
    widest = 2 * len(numeric) + sum(max(len(levels) - 1, 0) for _, levels in factorized)
    matrix = np.empty((n, widest), order="F")
    j = 0
    for col in numeric:
        name = labels.get(col, col)
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
        seen = ~np.isnan(values)
        if not seen.any():
            reason = "not in the store yet" if col in absent else "not recorded for any case"
            dropped.append((name, reason))
            continue
        filled = matrix[:, j]
        np.copyto(filled, values)
        filled[~seen] = values[seen].mean()
        if np.ptp(filled) > 0:
            names.append(name)
            j += 1
        else:
            dropped.append((name, "the same value for every case that has it"))
        if not seen.all():
            matrix[:, j] = ~seen
            names.append(f"{name} missing")
            j += 1
    for col, (codes, levels) in zip(categories, factorized, strict=True):
        counts = np.bincount(codes, minlength=len(levels))
        if len(levels) < 2:
            level = levels[0] if len(levels) else "none"
            dropped.append((labels.get(col, col), f"one value in view ({level})"))
            continue
        # Reference level: the commonest, so the dummies are the smaller groups.
        reference = int(np.argmax(counts))
        for code in sorted(range(len(levels)), key=lambda c: str(levels[c])):
            if code != reference:
                matrix[:, j] = codes == code
                names.append(f"{labels.get(col, col)}={levels[code]}")
                j += 1
    matrix = matrix[:, :j]  # a view: the first j columns of a Fortran array are contiguous
    means = matrix.mean(axis=0) if n else np.zeros(matrix.shape[1])
    with single_threaded():
        keep = _independent(matrix, means)
    for dup in np.flatnonzero(~keep):
        dropped.append((names[int(dup)], "redundant: a combination of other covariates"))
    if not keep.all():
        matrix, means = np.asfortranarray(matrix[:, keep]), means[keep]
        names = [name for name, k in zip(names, keep, strict=True) if k]
    binary = tuple(bool(np.all((c == c.min()) | (c == c.max()))) if n else False for c in matrix.T)
    # Column by column: `matrix.std(axis=0)` makes a centred copy of the whole matrix.
    # The same pairwise sums either way (bit-identical, tests/analytics/test_adjust_design.py).
    sds = np.array([c.std() for c in matrix.T]) if n else np.ones(matrix.shape[1])
    sds = np.where(sds > 0, sds, 1.0)
    matrix -= means
    matrix /= sds
    return Design(matrix, tuple(names), tuple(dropped), binary, means, sds)


def _independent(matrix: FloatArray, means: FloatArray) -> npt.NDArray[np.bool_]:
    """Columns kept in order, skipping any that is (nearly) a combination of kept ones.

    Works on the centred Gram matrix (p x p), so it costs one pass over the data.
    """
    n, p = matrix.shape
    keep = np.zeros(p, dtype=bool)
    if p == 0 or n == 0:
        return keep
    gram = matrix.T @ matrix - n * np.outer(means, means)
    kept: list[int] = []
    for j in range(p):
        total = gram[j, j]
        if total <= _REDUNDANT * n * max(1.0, means[j] ** 2):
            continue
        if kept:
            g_kk = gram[np.ix_(kept, kept)]
            g_kj = gram[kept, j]
            explained = g_kj @ np.linalg.solve(g_kk, g_kj)
            if (total - explained) / total < _REDUNDANT:
                continue
        kept.append(j)
        keep[j] = True
    return keep


def one_sided_groups(
    design: Design, outcome: FloatArray, names: tuple[str, str]
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """Cases in a group (one value of a 0/1 covariate) whose `outcome` never varies.

    For a pathway comparison the outcome is the arm: every case of the group had the
    same pathway, so no comparison exists for them (their propensity is 0 or 1 and
    overlap weighting would give them weight zero in the limit). For a risk model it is
    the response: the model's best fit gives them probability 0 or 1 exactly, with no
    finite coefficients. Either way the caller sets them aside and names them.
    `names` words the outcome values 1 and 0.
    """
    out = np.zeros(len(outcome), dtype=bool)
    notes = []
    for j, name in enumerate(design.names):
        if not design.binary[j]:
            continue
        column = design.matrix[:, j]
        high = column.max()
        for rows, label in ((column == high, name), (column != high, f"not {name}")):
            n_rows, n_ones = int(rows.sum()), int(outcome[rows].sum())
            if n_ones in (0, n_rows) and not out[rows].all():
                which = names[0] if n_ones else names[1]
                # A count under the small-cell limit would name a group of one or two.
                count = n_rows if n_rows >= DEFAULT_MIN_CELL else f"fewer than {DEFAULT_MIN_CELL}"
                notes.append(f"{count} cases with {label} (all {which})")
                out |= rows
    return out, notes
