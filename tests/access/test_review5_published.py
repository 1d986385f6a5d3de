"""Review 5's attacks on the published (non-admin) figures, re-run: each must now fail.

Hand-built stores (tests/analytics/builders.py): every count below is worked by hand from
the rows written here. Each test first shows the attack recovering the exact value from
the operator's (exact) output, then that the same arithmetic on what a manager or a
physician gets (`--as`) no longer recovers it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from access.accounts import add_account
from fbss.cli import main
from tests.analytics.builders import assessment, case, make_store

AS_OF = "2025-01-01"  # 12 months after DAY0 is due
PASSWORD = "correct horse battery"
MANAGER = "mgr@north.org"
PHYSICIAN = "ana@north.org"


def _accounts(db: Path) -> Path:
    users = db.parent / "fbss-users.toml"
    add_account(users, MANAGER, role="manager", password=PASSWORD, clinics=("North Spine",))
    add_account(
        users, PHYSICIAN, role="physician", password=PASSWORD, clinics=("North Spine",),
        physician="Dr A",
    )  # fmt: skip
    return users


@pytest.fixture(scope="module")
def dropout_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dr B: 14 followed cases aged 50 (baseline ODI 40, 12m ODI 30), 6 lost cases aged 60
    (baseline ODI 50, no 12m), and one followed patient aged 27 with baseline ODI 31.5:
    the single 18-39 patient. Views "Dr B" and "Dr B, 40+" differ by that patient only.
    """
    cases, rows = [], []
    for i in range(14):
        cases.append(case(f"F{i:02d}", physician="Dr B", age=50))
        rows += [assessment(f"F{i:02d}", "baseline", odi=40.0), assessment(f"F{i:02d}", "12m", odi=30.0)]  # fmt: skip
    for i in range(6):
        cases.append(case(f"L{i:02d}", physician="Dr B", age=60))
        rows.append(assessment(f"L{i:02d}", "baseline", odi=50.0))
    cases.append(case("Y00", physician="Dr B", age=27, sex="male"))
    rows += [assessment("Y00", "baseline", odi=31.5), assessment("Y00", "12m", odi=20.0)]
    for i in range(8):  # Dr A's own cases, so the physician account has a practice
        cases.append(case(f"A{i:02d}", physician="Dr A", age=45))
        rows += [assessment(f"A{i:02d}", "baseline", odi=45.0), assessment(f"A{i:02d}", "12m", odi=35.0)]  # fmt: skip
    db = tmp_path_factory.mktemp("review5") / "fbss.duckdb"
    make_store(db, cases, rows)
    _accounts(db)
    return db


def _dropout(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, dict]:
    argv = ["summary", "--db", str(db), "--dropout", "--as-of", AS_OF, "--format", "json",
            "--physician", "Dr B", *extra]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    rows = json.loads(capsys.readouterr().out)
    return {r["characteristic"] if r["level"] is None else f"{r['characteristic']}={r['level']}": r
            for r in rows}  # fmt: skip


def _one_patient(a: dict, b: dict) -> float:
    """The reviewer's arithmetic: n_A x mean_A - n_B x mean_B."""
    return a["n_followed"] * a["followed_value"] - b["n_followed"] * b["followed_value"]


def test_dropout_differencing_recovers_a_patient_exactly_but_not_as_a_manager(
    dropout_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    older = ("--age-band", "40-59,60-74,75+")
    exact_all, exact_older = (
        _dropout(dropout_store, capsys),
        _dropout(dropout_store, capsys, *older),
    )
    # the operator's exact figures: 15 followed (14 + the young patient) against 14
    assert exact_all["age"]["n_followed"] == 15
    assert exact_older["age"]["n_followed"] == 14
    assert exact_all["age"]["n_lost"] == 6
    assert _one_patient(exact_all["age"], exact_older["age"]) == pytest.approx(27)
    assert _one_patient(exact_all["baseline_odi"], exact_older["baseline_odi"]) == pytest.approx(
        31.5
    )

    as_mgr = ("--as", MANAGER)
    pub_all = _dropout(dropout_store, capsys, *as_mgr)
    pub_older = _dropout(dropout_store, capsys, *as_mgr, *older)
    for rows in (pub_all, pub_older):
        for row in rows.values():
            assert row["n_followed"] % 5 == 0
            assert row["n_lost"] % 5 == 0
    # 15 and 14 both publish as 15, 6 lost as 5: the two views cannot be told apart by n
    assert pub_all["age"]["n_followed"] == pub_older["age"]["n_followed"] == 15
    assert pub_all["age"]["n_lost"] == 5
    # means to one decimal: (14 x 50 + 27) / 15 = 48.4667 -> 48.5; the 40+ view 50.0
    assert pub_all["age"]["followed_value"] == 48.5
    assert pub_older["age"]["followed_value"] == 50.0
    # the arithmetic now gives 15 x 48.5 - 15 x 50.0 = -22.5, not an age of 27
    assert _one_patient(pub_all["age"], pub_older["age"]) == pytest.approx(-22.5)
    assert _one_patient(pub_all["baseline_odi"], pub_older["baseline_odi"]) != pytest.approx(31.5)
    # a category's share is its rounded count over the rounded side: male 1 of 15 -> 0 of 15
    assert pub_all["sex=male"]["followed_value"] in (0.0, None)


def test_a_physician_gets_the_same_published_dropout(
    dropout_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["summary", "--db", str(dropout_store), "--dropout", "--as-of", AS_OF,
            "--format", "json", "--as", PHYSICIAN]  # fmt: skip
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)
    # the network: 14 + 1 + 8 = 23 followed -> 25, 6 lost -> 5
    assert {(r["n_followed"], r["n_lost"]) for r in rows} == {(25, 5)}


def test_min_cell_and_round_cannot_be_swept_as_a_non_admin(
    dropout_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F4/F5: the first --min-cell that hides a row is its exact n; bases 5, 6, 7...
    intersect to the exact count. Both are refused for a non-admin, with a plain line."""
    argv = ["summary", "--db", str(dropout_store), "--as-of", AS_OF, "--by", "physician",
            "--format", "csv"]  # fmt: skip
    for flag, value in (("--min-cell", "16"), ("--min-cell", "6"), ("--round", "7")):
        assert main([*argv, flag, value, "--as", MANAGER]) == 2
        err = capsys.readouterr().err
        assert "cannot be raised for a non-admin account" in err
        assert "Traceback" not in err
    # what the sweep would have read: Dr B's 21 cases hide at --min-cell 22, not at 21
    assert main([*argv, "--min-cell", "22"]) == 0  # the operator may
    exact = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert bool(exact.loc[exact["physician"] == "Dr B", "suppressed"].all())
    # held at the account's own limits (a lower value changes nothing), counts rounded
    assert main([*argv, "--min-cell", "0", "--round", "1", "--as", MANAGER]) == 0
    held = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main([*argv, "--as", MANAGER]) == 0
    default = pd.read_csv(io.StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(held, default)
    assert int(default.loc[default["physician"] == "Dr B", "n_cases"].iloc[0]) == 20  # 21


@pytest.fixture(scope="module")
def funnel_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 seeded confounded cases (tests/analytics/adjust_stores.py), 100 per physician;
    Dr A, C and E work at South, the others at North."""
    from tests.analytics.adjust_stores import confounded_rows, fast_store

    cases, rows = confounded_rows(600, seed=11)
    db = fast_store(tmp_path_factory.mktemp("funnel") / "fbss.duckdb", cases, rows)
    add_account(
        db.parent / "fbss-users.toml", "dra@south.org", role="physician", password=PASSWORD,
        clinics=("South",), physician="Dr A",
    )  # fmt: skip
    return db


def _providers(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> pd.DataFrame:
    argv = ["providers", "--db", str(db), "--adjusted", "--as-of", AS_OF, "--format", "csv"]
    assert main([*argv, *extra]) == 0, capsys.readouterr().err
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


def _round5(n: float) -> int:
    return int(5 * ((n + 2.5) // 5))


def test_observed_from_oe_times_e_gives_only_the_rounded_count(
    funnel_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F3: O = O/E x E and overall = adjusted rate / (O/E), the reviewer's arithmetic."""
    exact = _providers(funnel_store, capsys)
    # on the exact output the attack works: every unit's responders and the overall rate
    assert (exact["oe_ratio"] * exact["expected"] - exact["responders"]).abs().max() < 1e-9
    n_total, r_total = int(exact["n"].sum()), int(exact["responders"].sum())
    assert n_total == 600
    assert (exact["adjusted_rate"] / exact["oe_ratio"] - r_total / n_total).abs().max() < 1e-12

    shown = _providers(funnel_store, capsys, "--as", "dra@south.org")
    assert len(shown) == 6
    assert "Dr A" in set(shown["physician"])
    assert (shown["physician"].str.startswith("Peer ") | (shown["physician"] == "Dr A")).all()
    # E is rounded like a count; O/E x E is then the rounded O, a multiple of 5
    assert (shown["expected"] % 5 == 0).all()
    recovered = shown["oe_ratio"] * shown["expected"]
    assert (recovered - shown["responders"]).abs().max() < 1e-9
    assert (shown["responders"] % 5 == 0).all()
    # ... which the exact count is not, for most units (seeded: the same every run)
    truth = exact.sort_values("responders")["responders"].tolist()
    assert sorted(recovered.round().astype(int)) != truth
    assert sorted(_round5(r) for r in truth) == sorted(recovered.round().astype(int))
    # the overall rate behind the adjusted rate: rounded responders over rounded n
    overall = shown["adjusted_rate"] / shown["oe_ratio"]
    assert overall.round(12).nunique() == 1
    assert overall.iloc[0] == pytest.approx(_round5(r_total) / _round5(n_total), abs=1e-12)
    # the positions are placed from the rounded counts against limits around rounded E
    assert set(shown["position_95"]) <= {"below", "within", "above"}


def test_the_report_funnel_is_published_and_labelled_as_the_cli_labels_it(
    funnel_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F3 in the report, and F8: its peers carry the CLI's keyed labels, not size order."""
    import datetime as dt

    from access.peer_key import peer_key
    from analytics import overview
    from analytics.published import published_providers
    from reports import adjusted
    from reports.scope import Scope as ReportScope

    key = peer_key(funnel_store.parent / "fbss-users.toml")
    options = overview.filter_options(funnel_store)
    built = adjusted.build(
        funnel_store, ReportScope("physician", "Dr A"), as_of=dt.date(2025, 1, 1), min_cell=5,
        options=options, peer_key=key,
    )  # fmt: skip
    assert built.funnel is not None
    report = published_providers(built.funnel, 5)
    cli = _providers(funnel_store, capsys, "--as", "dra@south.org")
    columns = ["physician", "n", "responders", "expected", "oe_ratio", "adjusted_rate"]
    mine = report[columns].sort_values("physician").reset_index(drop=True)
    theirs = cli[columns].sort_values("physician").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs, check_dtype=False, atol=1e-9)


@pytest.fixture(scope="module")
def compare_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 confounded cases (strong confounding: some propensities beyond 0.05/0.95) and
    three patients of sex "other", all three given repeat surgery (revision fusion)."""
    from tests.analytics.adjust_stores import confounded_rows, fast_store

    cases, rows = confounded_rows(600, seed=11)
    for i in range(3):
        row = case(f"O{i:02d}", sex="other", treatment="revision_fusion", physician="Dr A",
                   clinic="South", age=50)  # fmt: skip
        row.update(prior_surgeries=2, smoker=False, bmi=28.0)
        cases.append(row)
        rows += [assessment(row["case_id"], "baseline", odi=50.0),
                 assessment(row["case_id"], "12m", odi=35.0)]  # fmt: skip
    db = fast_store(tmp_path_factory.mktemp("compare") / "fbss.duckdb", cases, rows)
    add_account(
        db.parent / "fbss-users.toml", "dra@south.org", role="physician", password=PASSWORD,
        clinics=("South",), physician="Dr A",
    )  # fmt: skip
    return db


def _compare(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    argv = ["compare", "--db", str(db), "--as-of", AS_OF, "--format", "json", *extra]
    assert main(argv) == 0, capsys.readouterr().err
    result: dict = json.loads(capsys.readouterr().out)
    return result


def test_compare_notes_reveal_no_count_or_pathway_below_the_base(
    compare_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """F7: exact extreme-propensity counts, and "(all had repeat_surgery)" of a group of 3."""
    exact = _compare(compare_store, capsys)
    told = [t for t in exact["set_aside"] if "sex=other" in t]
    assert told == ["fewer than 5 cases with sex=other (all had repeat_surgery)"]
    below, above = exact["extreme_propensity"].values()
    assert (below, above) == (1, 9)  # seeded; exact in the operator's warning too
    assert "1 cases had a propensity below 0.05 and 9 above 0.95" in exact["warnings"][0]
    shown = _compare(compare_store, capsys, "--as", "dra@south.org")
    assert "fewer than 5 cases with sex=other (all on one pathway)" in shown["set_aside"]
    assert not any("all had" in t for t in shown["set_aside"] if "fewer than" in t)
    assert shown["extreme_propensity"] == {
        "below_0_05": _round5(below),
        "above_0_95": _round5(above),
    }
    # every count in a published warning is a multiple of 5
    import re

    for text in shown["warnings"] + shown["set_aside"]:
        for number in re.findall(r"\b(\d+) cases\b|and (\d+) above", text):
            value = int(next(n for n in number if n))
            assert value % 5 == 0, text


def test_crude_positions_are_placed_from_the_rounded_counts(
    funnel_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A position from the exact count could split the five counts its rounding stands
    for. A non-admin's unit is flagged only when an exact one-sided binomial test (scipy)
    flags every count, n and overall rate the rounded figures allow: r and n anywhere in
    their rounding intervals, the overall rate from the smallest to the largest ratio of
    the rounded network totals' intervals (analytics.published_positions)."""
    from scipy.stats import binom

    argv = ["providers", "--db", str(funnel_store), "--as-of", AS_OF, "--format", "csv"]
    assert main(argv) == 0
    exact = pd.read_csv(io.StringIO(capsys.readouterr().out))
    big_r, big_n = _round5(int(exact["responders"].sum())), _round5(int(exact["n"].sum()))
    rates = ((big_r - 2) / (big_n + 2), (big_r + 2) / (big_n - 2))  # the box's two ends
    assert main([*argv, "--as", "dra@south.org"]) == 0
    shown = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert (shown["responders"] % 5 == 0).all()
    for row in shown.itertuples(index=False):
        box = [
            (r, n, p)
            for n in range(int(row.n) - 2, int(row.n) + 3)
            for r in range(max(0, int(row.responders) - 2), int(row.responders) + 3)
            for p in rates
            if r <= n
        ]
        below = all(binom.cdf(r, n, p) < 0.025 for r, n, p in box)  # P(R <= r)
        above = all(binom.sf(r - 1, n, p) < 0.025 for r, n, p in box)  # P(R >= r)
        expected = "below" if below else "above" if above else "within"
        assert row.position_95 == expected, (row, box)
    # No unit of this store is outside the 95% limits on its exact counts; placed from the
    # rounded counts alone (the rule before), 69 of 100 published as 70 was "above".
    assert set(exact["position_95"]) == {"within"}
    assert set(shown["position_95"]) == {"within"}
