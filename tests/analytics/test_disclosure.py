"""The differencing attack of issue 10, run on the sample through the CLI's default output.

An attacker holds `fbss summary --by cause,pathway`, `--by cause`, `--by pathway` and the
overall row (`--format json`). Every published figure is a constraint; every suppressed
count is an unknown non-negative integer. Integer programming (scipy's HiGHS `milp`)
gives each unknown's lowest and highest possible value; when they meet, the cell is
recovered exactly. The counts of one group are tied together as they are in truth
(responders <= assessed - excluded <= assessed <= due <= cases; returned = assessed +
no_baseline <= due), which only helps the attacker. The test asserts that no suppressed
count can be recovered exactly, apart from figures the published totals state by themselves:
a 0 under a total of 0, and a two-way cell that the one-way results and the overall row pin
down with every two-way cell unknown (no suppression of the two-way result can hide those;
the one-way results' own hidden rows are attacked against the overall row all the same).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from fbss.cli import main

ROOT = Path(__file__).resolve().parents[2]
COUNTS = (
    "n_cases", "n_due", "n_followup_returned", "n_no_baseline", "n_assessed", "n_excluded",
    "responders",
)  # fmt: skip
# What the attacker tries to learn about each hidden group: linear forms over COUNTS.
TARGETS: dict[str, dict[str, int]] = {
    "n_cases": {"n_cases": 1},
    "n_due": {"n_due": 1},
    "n_followup_returned": {"n_followup_returned": 1},
    "n_no_baseline": {"n_no_baseline": 1},
    "n_assessed": {"n_assessed": 1},
    "denominator": {"n_assessed": 1, "n_excluded": -1},
    "responders": {"responders": 1},
}
STRUCTURALLY_EMPTY = "no_baseline_odi"
# Pairs of group columns attacked; cause x pathway is the issue's own example.
PAIRS: tuple[tuple[str, str], ...] = (
    ("cause", "pathway"),
    ("cause", "baseline_severity"),
    ("pathway", "baseline_severity"),
    ("cause", "sex"),
    ("clinic", "pathway"),
    ("physician", "pathway"),
    ("age_band", "pathway"),
    ("cause", "index_surgery"),
    ("treatment", "cause"),
    ("clinic", "cause"),
    ("sex", "age_band"),
)


@dataclass
class _Model:
    """Variables are (group, count) pairs; a group is a tuple of (key, value) pairs."""

    index: dict[tuple[tuple[tuple[str, str], ...], str], int]
    rows: list[dict[int, float]]
    rhs: list[float]

    def var(self, group: tuple[tuple[str, str], ...], count: str) -> int:
        return self.index.setdefault((group, count), len(self.index))


def _rows(result: list[dict[str, object]], keys: Sequence[str]) -> Iterator[tuple]:
    for row in result:
        yield tuple((k, str(row[k])) for k in keys), row


def _add_equal(model: _Model, terms: dict[int, float], constant: float) -> None:
    model.rows.append(terms)
    model.rhs.append(constant)


def build_model(
    a: str,
    b: str,
    two: list[dict[str, object]],
    one_a: list[dict[str, object]],
    one_b: list[dict[str, object]],
    overall: list[dict[str, object]],
) -> tuple[_Model, list[tuple[str, tuple[tuple[str, str], ...]]]]:
    """Equalities (cells of a line sum to its margin) over every hidden count."""
    model = _Model({}, [], [])
    hidden: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def term(group: tuple, row: dict[str, object], count: str) -> tuple[dict[int, float], float]:
        if row["suppressed"]:
            return {model.var(group, count): 1.0}, 0.0
        return {}, float(row[count])  # type: ignore[arg-type]

    tables = {
        "two": list(_rows(two, [a, b])),
        a: list(_rows(one_a, [a])),
        b: list(_rows(one_b, [b])),
        "all": list(_rows(overall, [])),
    }
    for name, rows in tables.items():
        hidden += [(name, group) for group, row in rows if row["suppressed"]]
    for count in COUNTS:
        # a margin (a one-way row, or the overall row) = the sum of its cells
        for margin_key, parts, margins in (
            (a, tables["two"], tables[a]),
            (b, tables["two"], tables[b]),
            (None, tables[a], tables["all"]),
            (None, tables[b], tables["all"]),
        ):
            for group, margin in margins:
                level = dict(group).get(margin_key) if margin_key else None
                terms, constant = term(("m", *group), margin, count)
                lhs = {k: -v for k, v in terms.items()}
                rhs = constant
                for cell, row in parts:
                    if margin_key and dict(cell)[margin_key] != level:
                        continue
                    inner = ("m", *cell) if margin_key is None else cell
                    t, c = term(inner, row, count)
                    for k, v in t.items():
                        lhs[k] = lhs.get(k, 0.0) + v
                    rhs -= c
                if lhs:
                    _add_equal(model, lhs, rhs)
    # The attacker knows the structure: a group without a baseline ODI has nobody assessed.
    # With a baseline band known, nobody in it lacks a baseline.
    for (group, count), var in list(model.index.items()):
        structural = ("baseline_severity", STRUCTURALLY_EMPTY) in group
        if structural and count in ("n_assessed", "n_excluded", "responders"):
            _add_equal(model, {var: 1.0}, 0.0)
        banded = any(p[0] == "baseline_severity" for p in group if isinstance(p, tuple))
        if banded and not structural and count == "n_no_baseline":
            _add_equal(model, {var: 1.0}, 0.0)
    # returned = assessed + no_baseline, in every hidden group
    for group in {g for g, _ in model.index}:
        v = {c: model.var(group, c) for c in COUNTS}
        _add_equal(
            model,
            {v["n_followup_returned"]: 1.0, v["n_assessed"]: -1.0, v["n_no_baseline"]: -1.0},
            0.0,
        )
    return model, hidden


def _group_key(table: str, group: tuple) -> tuple:
    return group if table == "two" else ("m", *group)


def bounds(model: _Model, hidden: list, target: dict[str, int], table: str, group: tuple):
    """(lowest, highest) of one hidden group's target, over all consistent integer tables."""
    n = len(model.index) or 1
    eq = np.zeros((len(model.rows), n))
    for i, terms in enumerate(model.rows):
        for k, v in terms.items():
            eq[i, k] = v
    order: list[np.ndarray] = []
    # the truth ties a group's counts: responders <= assessed - excluded <= assessed <= due <= cases
    groups = {g for g, _ in model.index}
    for g in groups:
        v = {c: model.index.get((g, c)) for c in COUNTS}
        for small, big in (
            ("n_due", "n_cases"),
            ("n_followup_returned", "n_due"),
            ("n_assessed", "n_due"),
            ("n_excluded", "n_assessed"),
        ):
            row = np.zeros(n)
            row[v[small]], row[v[big]] = 1, -1  # type: ignore[index]
            order.append(row)
        row = np.zeros(n)
        row[v["responders"]], row[v["n_assessed"]], row[v["n_excluded"]] = 1, -1, 1  # type: ignore[index]
        order.append(row)
    constraints = [LinearConstraint(eq, model.rhs, model.rhs)]
    if order:
        constraints.append(LinearConstraint(np.array(order), -np.inf, 0))
    key = _group_key(table, group)
    objective = np.zeros(n)
    for count, sign in target.items():
        objective[model.index[(key, count)]] = sign
    found = []
    for direction in (1, -1):
        res = milp(
            direction * objective,
            constraints=constraints,
            integrality=np.ones(n),
            bounds=Bounds(0, np.inf),
        )
        assert res.status == 0, res.message  # the true table is always feasible and bounded
        found.append(round(direction * res.fun))
    return found[0], found[1]


def exact_recoveries(
    a: str, b: str, two, one_a, one_b, overall
) -> list[tuple[str, tuple, str, int]]:
    """Every (table, group, target, value) an attacker can pin down exactly."""
    model, hidden = build_model(a, b, two, one_a, one_b, overall)
    out = []
    for table, group in hidden:
        for name, target in TARGETS.items():
            structural = ("baseline_severity", STRUCTURALLY_EMPTY) in group
            if structural and name not in (
                "n_cases",
                "n_due",
                "n_followup_returned",
                "n_no_baseline",
            ):
                continue  # known to be 0 before anything is published: nothing disclosed
            banded = any(p[0] == "baseline_severity" for p in group if isinstance(p, tuple))
            if banded and not structural and name == "n_no_baseline":
                continue  # a baseline band has nobody without a baseline: known before
            if structural and name == "n_no_baseline":
                continue  # the same number as returned there: counted once
            low, high = bounds(model, hidden, target, table, group)
            if low == high:
                out.append((table, group, name, low))
    return out


def _summary(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    assert main(["summary", "--db", str(db), "--format", "json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("attack") / "fbss.duckdb"
    assert main(["load", str(ROOT / "data" / "sample"), "--db", str(db)]) == 0
    return db


def attack(db: Path, capsys: pytest.CaptureFixture[str], a: str, b: str, *extra: str):
    """Run the four default summaries; return (exact recoveries, those a zero total implies)."""
    two = _summary(db, capsys, "--by", f"{a},{b}", *extra)
    one_a = _summary(db, capsys, "--by", a, *extra)
    one_b = _summary(db, capsys, "--by", b, *extra)
    overall = _summary(db, capsys, *extra)
    found = exact_recoveries(a, b, two, one_a, one_b, overall)
    # A shown total of 0 (no responder among a treatment's patients, say) tells every
    # group under it: that is the published figure's own content, not an undone
    # suppression, so it is counted apart.
    zero_totals = {
        (key, str(row[key]), count)
        for key, rows in ((a, one_a), (b, one_b))
        for row in rows
        if not row["suppressed"]
        for count in COUNTS
        if row[count] == 0
    }
    zero_totals |= {(None, None, c) for c in COUNTS for r in overall if r[c] == 0}

    def implied(table: str, group: tuple, name: str, value: int) -> bool:
        counts = [c for c, sign in TARGETS[name].items() if sign > 0]
        margins = [(k, v) for k, v in group] if table == "two" else [(None, None)]
        if value == 0 and any((k, v, c) in zero_totals for k, v in margins for c in counts):
            return True
        # A one-way row's n_no_baseline is, by definition, the follow-ups returned in its
        # no_baseline_odi group: published by that margin itself, not undone.
        structural = ("baseline_severity", STRUCTURALLY_EMPTY) in group
        if table == "two" and structural and name == "n_followup_returned":
            other = [(k, v) for k, v in group if k != "baseline_severity"]
            shown = {
                (key, str(row[key])): row["n_no_baseline"]
                for key, rows in ((a, one_a), (b, one_b))
                for row in rows
                if not row["suppressed"]
            }
            return any(shown.get(kv) == value for kv in other)
        return False

    # A figure the one-way results and the overall row pin down by themselves (a
    # treatment's 11 responders, all in one cause because its other cause has a total of
    # 0 responders) is published by them: no suppression of the two-way result can hide
    # it. The same attack with every two-way cell unknown tells those apart.
    blind = [{**row, "suppressed": True} for row in two]
    model, hidden = build_model(a, b, blind, one_a, one_b, overall)

    def by_margins(table: str, group: tuple, name: str, value: int) -> bool:
        # only for two-way cells: a one-way result's own hidden rows stay attacked
        # against its overall row (and any of them recovered fails the test anyway)
        if table != "two":
            return False
        return bounds(model, hidden, TARGETS[name], table, group) == (value, value)

    told = [f for f in found if implied(*f) or by_margins(*f)]
    return [f for f in found if f not in told], told


# The default output depends on today (which follow-ups are due), so the attack also runs
# at fixed dates and at another timepoint: suppression must hold on any day.
OPTIONS: tuple[tuple[str, ...], ...] = (
    (),
    ("--as-of", "2025-01-31"),
    ("--as-of", "2025-09-30", "--timepoint", "24m"),
)
CASES = [(a, b, ()) for a, b in PAIRS] + [
    (a, b, extra) for a, b in (*PAIRS[:2], ("treatment", "cause")) for extra in OPTIONS[1:]
]
# A small "no baseline ODI" group (4 cases) whose band line held only other such groups:
# the band's total minus the others gave it back until the audit hid a partner there.
CASES.append(("cause", "baseline_severity", ("--as-of", "2026-11-30", "--timepoint", "6w")))


@pytest.mark.slow
@pytest.mark.parametrize(("a", "b", "extra"), CASES)
def test_no_suppressed_count_is_recovered_exactly_on_the_sample(
    sample_store: Path, capsys: pytest.CaptureFixture[str], a: str, b: str, extra: tuple[str, ...]
) -> None:
    undone, implied = attack(sample_store, capsys, a, b, *extra)
    with capsys.disabled():
        print(
            f"ATTACK {a}x{b} {' '.join(extra)}: {len(undone)} exact recoveries ({len(implied)} told by the published totals themselves)"
        )
    assert undone == []


def test_the_attack_finds_a_lone_hidden_cell() -> None:
    """The attack itself works: one hidden cell in a line is given back by its margin."""

    def row(cause: str, pathway: str | None, n: int, hidden: bool = False) -> dict[str, object]:
        counts = dict.fromkeys(COUNTS, None if hidden else n)
        if not hidden:
            counts.update(n_excluded=0, n_no_baseline=0, responders=n // 2)
        return {"cause": cause, "pathway": pathway, **counts, "suppressed": hidden}

    two = [row("x", "p", 3, hidden=True), row("x", "q", 10), row("y", "p", 8), row("y", "q", 9)]
    one_a = [{**row("x", None, 13, hidden=False), "responders": 6}, row("y", None, 17)]
    one_a[1]["responders"] = 4 + 4
    one_b = [{**row("p", None, 11), "cause": None, "pathway": "p", "responders": 5}]
    one_b.append({**row("q", None, 19), "cause": None, "pathway": "q", "responders": 9})
    overall = [{**row("-", None, 30), "responders": 14}]
    found = {
        (t, name): v
        for t, _, name, v in exact_recoveries("cause", "pathway", two, one_a, one_b, overall)
    }
    assert found[("two", "n_cases")] == 3
    assert found[("two", "responders")] == 1  # 6 in cause x, 5 of them in x/q


def test_round_option_publishes_multiples_of_the_base(
    sample_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _summary(sample_store, capsys, "--by", "cause,pathway", "--round", "5")
    shown = [r for r in rows if not r["suppressed"]]
    assert shown
    assert all(r[c] % 5 == 0 for r in shown for c in COUNTS)
    for r in shown:  # the rate is the rounded counts' own
        assert r["followup_rate"] == pytest.approx(r["n_followup_returned"] / r["n_due"])
    assert main(["summary", "--db", str(sample_store), "--round", "-1"]) == 2
    assert "--round must be 0 or more" in capsys.readouterr().err
