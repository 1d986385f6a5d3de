"""The audit behind secondary suppression: can a reader work out a hidden count exactly?

The reader of issue 10 holds a result and every total over some of its keys (the margins),
knows how a group's counts relate (returned = assessed + no baseline, assessed <= due...),
and solves an integer program: every hidden count of every hidden row is an unknown
non-negative integer, each public total is an equation, each relation a constraint. A
hidden figure is *pinned* when every integer solution gives it the same value.

Counts are audited together, not one at a time: two hidden rows whose follow-ups returned
total the same as their assessed cases have, each, nobody without a baseline, although
neither count is pinned on its own. The solver is scipy's HiGHS `milp`, the attacker's own
tool (tests/analytics/test_disclosure.py), so the audit sees what the attacker sees.

To keep the number of solves small, every integer solution found is kept: a figure that
takes two values among the kept solutions is not pinned, and needs no solve of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Relation:
    """sum(coefficient * column) = 0 (equal) or <= 0, true of every row of a result."""

    terms: tuple[tuple[str, float], ...]
    equal: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.terms)


def _le(small: str, big: str) -> Relation:
    return Relation(((small, 1.0), (big, -1.0)))


# What any reader knows of one group's counts (docs/analytics.md, "What suppression
# protects"). A relation is used when the result publishes all its columns.
RELATIONS: tuple[Relation, ...] = (
    Relation(
        (("n_followup_returned", 1.0), ("n_assessed", -1.0), ("n_no_baseline", -1.0)), equal=True
    ),
    _le("n_due", "n_cases"),
    _le("n_followup_returned", "n_due"),
    _le("n_assessed", "n_due"),
    _le("n_excluded", "n_assessed"),
    Relation((("responders", 1.0), ("n_assessed", -1.0), ("n_excluded", 1.0))),
    _le("n_with_event", "n_cases"),
)
# Figures a reader wants besides single counts: a rate's denominator (assessed - excluded).
FORMS: dict[str, tuple[tuple[str, float], ...]] = {
    "responder denominator": (("n_assessed", 1.0), ("n_excluded", -1.0)),
}
# Unknowns that tie the others together but are not protected themselves: mostly 0 by
# design (a baseline too low to improve), so "none excluded" tells little, and protecting
# it would hide most tables whole (measured on the sample: cause x pathway).
NOT_PROTECTED: tuple[str, ...] = ("n_excluded",)


@dataclass(frozen=True)
class Pinned:
    """A hidden row whose figure (a count, or a FORMS name) the public totals give back."""

    row: int
    figure: str
    value: float
    values: np.ndarray  # that figure for every row of the result (to choose a partner)


class _Model:
    """The reader's integer program over the hidden rows' counts."""

    def __init__(
        self, counts: Mapping[str, np.ndarray], hidden: np.ndarray, lines: Sequence[np.ndarray]
    ) -> None:
        self.columns = list(counts)
        self.rows = np.flatnonzero(hidden)
        nc = len(self.columns)
        self.n = len(self.rows) * nc
        where = {int(r): i for i, r in enumerate(self.rows)}
        self.truth = np.array([counts[c][r] for r in self.rows for c in self.columns], float)
        eq: list[np.ndarray] = []
        ub: list[np.ndarray] = []
        seen: set[tuple[int, ...]] = set()
        for line in lines:
            members = tuple(where[int(r)] for r in line if hidden[r])
            if not members or members in seen:
                continue
            seen.add(members)
            for j in range(nc):  # the hidden rows of a line sum to its total minus its shown rows
                a = np.zeros(self.n)
                a[[i * nc + j for i in members]] = 1.0
                eq.append(a)
        index = {c: j for j, c in enumerate(self.columns)}
        for rel in RELATIONS:
            if not all(c in index for c in rel.columns):
                continue
            for i in range(len(self.rows)):
                a = np.zeros(self.n)
                for c, coef in rel.terms:
                    a[i * nc + index[c]] = coef
                (eq if rel.equal else ub).append(a)
        # Imported here: scipy.optimize costs a fresh `fbss summary` 0.1-0.3 s, and a result
        # with nothing hidden never builds a model.
        from scipy.optimize import LinearConstraint

        self.constraints = []
        if eq:
            a_eq = np.array(eq)
            b_eq = a_eq @ self.truth  # the truth satisfies every public total
            self.constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
        if ub:
            self.constraints.append(LinearConstraint(np.array(ub), -np.inf, 0.0))
        self.index = index

    def weights(self, i: int, terms: Sequence[tuple[str, float]]) -> np.ndarray:
        w = np.zeros(self.n)
        for c, coef in terms:
            w[i * len(self.columns) + self.index[c]] = coef
        return w

    def solve(self, objective: np.ndarray) -> np.ndarray | None:
        """An integer solution minimising objective, or None when the solver gives none."""
        from scipy.optimize import Bounds, milp

        res = milp(
            objective,
            constraints=self.constraints,
            integrality=np.ones(self.n),
            bounds=Bounds(0, np.inf),
            options={"time_limit": 10.0},
        )
        return None if res.x is None else np.round(res.x)


def pinned_figures(
    counts: Mapping[str, np.ndarray],
    hidden: np.ndarray,
    lines: Sequence[np.ndarray],
    pool: list[np.ndarray] | None = None,
) -> Iterator[Pinned]:
    """Every hidden figure the public totals and RELATIONS pin down, in row order (lazily).

    `counts` maps each published count column to its values (all rows of the result);
    `lines` are the row positions under each public total. A 0 that a line's own public
    total of 0 already tells is not a disclosure: that total says it for every row in it.
    `pool` keeps the solutions found (rows x counts) for the next audit of the same result:
    hiding one more row keeps every one of them a solution, with that row at its truth.
    """
    if not hidden.any() or not counts:
        return
    model = _Model(counts, hidden, lines)
    table = np.column_stack([counts[c] for c in model.columns]).astype(float)
    pool = [] if pool is None else pool
    if not pool:
        pool.append(table)
        rng = np.random.default_rng(0)  # a few varied solutions free most figures at once
        for _ in range(2):
            _keep(model, table, pool, model.solve(rng.normal(size=model.n)))
    seen = [s[model.rows].ravel() for s in pool]
    zero_lines = {  # per column, the rows under some public total of 0
        c: np.unique(
            np.concatenate([np.empty(0, int), *(ln for ln in lines if values[ln].sum() == 0)])
        )
        for c, values in counts.items()
    }
    figures: list[tuple[str, tuple[tuple[str, float], ...]]] = [
        (c, ((c, 1.0),)) for c in model.columns if c not in NOT_PROTECTED
    ]
    figures += [(k, t) for k, t in FORMS.items() if all(c in model.index for c, _ in t)]
    margins: _Margins | None = None  # made when first needed (few figures are pinned)
    for i, r in enumerate(model.rows):
        for name, terms in figures:
            w = model.weights(i, terms)
            truth = float(w @ model.truth)
            told = [c for c, coef in terms if coef > 0 and r in zero_lines[c]]
            if truth == 0 and told:
                continue
            if any(abs(w @ x - truth) > 0.5 for x in seen):
                continue  # two values already seen: not pinned
            if _moves(model, w, truth, table, pool, seen):
                continue
            if margins is None:
                margins = _Margins(counts, lines)
            if margins.pin(int(r), terms, truth):
                continue  # the public totals alone give it: no hiding can take it back
            values = sum(coef * counts[c] for c, coef in terms)
            yield Pinned(int(r), name, truth, np.asarray(values, dtype=float))


class _Margins:
    """The reader's program with every row unknown: what the public totals alone pin.

    A figure pinned there (a cause's only group with anyone lacking a baseline holds all
    of that cause's such patients, the bands' totals being 0) is published by the totals
    themselves; hiding more rows cannot take it back, only hide the table whole.
    """

    def __init__(self, counts: Mapping[str, np.ndarray], lines: Sequence[np.ndarray]) -> None:
        n_rows = len(next(iter(counts.values())))
        self.model = _Model(counts, np.ones(n_rows, dtype=bool), lines)
        self.seen = [self.model.truth]
        self.pool: list[np.ndarray] = []

    def pin(self, row: int, terms: Sequence[tuple[str, float]], truth: float) -> bool:
        w = self.model.weights(row, terms)  # every row is a variable: row i is row i
        if any(abs(w @ x - truth) > 0.5 for x in self.seen):
            return False
        table = self.model.truth.reshape(-1, len(self.model.columns))
        return not _moves(self.model, w, truth, table, self.pool, self.seen)


def _keep(model: _Model, table: np.ndarray, pool: list[np.ndarray], x: np.ndarray | None) -> None:
    if x is not None:
        full = table.copy()
        full[model.rows] = x.reshape(len(model.rows), len(model.columns))
        pool.append(full)


def _moves(
    model: _Model,
    w: np.ndarray,
    truth: float,
    table: np.ndarray,
    pool: list[np.ndarray],
    seen: list[np.ndarray],
) -> bool:
    """True when an integer solution gives w a value other than truth (kept in the pool)."""
    for sign in (-1.0, 1.0):  # the highest value, then the lowest
        x = model.solve(sign * w)
        if x is None:
            return False  # no answer in time: count it as pinned (hide more, not less)
        if abs(w @ x - truth) > 0.5:
            _keep(model, table, pool, x)
            seen.append(x)
            return True
    return False
