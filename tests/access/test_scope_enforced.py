"""The scope is applied below the UI: in the cohort query every analytics call runs on.

Counts are checked against pandas on the sample's cases.csv (an independent count), and
filters are shown to narrow the scope, never widen it.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from access.peer_key import keyed, peer_key
from access.scope import Scope
from analytics import overview
from analytics.adjust.data import case_frame
from analytics.filters import Filters
from analytics.outcomes import summary
from pipelines.load import load_paths

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
TODAY = "2030-01-01"  # every sample case is treated before this snapshot day
PHYSICIAN = Scope("physician", ("Harbour Spine Institute",), "Dr K. Adeyemi")
MANAGER = Scope("manager", ("Lakeside Back Clinic",))


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("scope") / "fbss.duckdb"
    assert load_paths([SAMPLE], db).accepted
    return db


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "cases.csv", dtype=str)


def _n(db: Path, filters: Filters) -> int:
    frame = overview.cases_by_period(db, by=(), period="year", min_cell=0, filters=filters)
    return int(pd.to_numeric(frame["n_cases"]).sum())


def test_each_role_counts_exactly_its_own_cases(sample_db: Path, cases: pd.DataFrame) -> None:
    assert _n(sample_db, Filters()) == len(cases)
    # A physician sees the network as aggregates (no case is cut), peers anonymised.
    assert _n(sample_db, Filters(scope=PHYSICIAN)) == len(cases)
    mine = Filters(scope=PHYSICIAN, physician=("Dr K. Adeyemi",))
    assert _n(sample_db, mine) == int((cases["physician"] == "Dr K. Adeyemi").sum())
    assert _n(sample_db, Filters(scope=MANAGER)) == int(
        (cases["clinic"] == "Lakeside Back Clinic").sum()
    )


def test_a_physician_naming_another_physician_sees_nothing(sample_db: Path) -> None:
    # What a URL `?physician=Dr L. Haverkamp` becomes: a filter, ANDed with the scope.
    other = Filters(physician=("Dr L. Haverkamp",), scope=PHYSICIAN)
    assert _n(sample_db, other) == 0
    table = summary(sample_db, by="physician", min_cell=0, as_of=TODAY, filters=other)
    assert "Dr L. Haverkamp" not in set(table.get("physician", pd.Series(dtype=str)))
    # Naming themselves plus another keeps only their own cases.
    both = Filters(physician=("Dr L. Haverkamp", "Dr K. Adeyemi"), scope=PHYSICIAN)
    assert _n(sample_db, both) == _n(sample_db, Filters(physician=("Dr K. Adeyemi",)))


def test_a_physician_sees_peers_only_as_stable_anonymous_labels(
    sample_db: Path, cases: pd.DataFrame
) -> None:
    table = summary(
        sample_db, by="physician", min_cell=0, as_of=TODAY, filters=Filters(scope=PHYSICIAN)
    )
    shown = set(table["physician"])
    others = set(cases["physician"]) - {"Dr K. Adeyemi"}
    assert shown == {"Dr K. Adeyemi"} | {f"Peer {i}" for i in range(1, len(others) + 1)}
    assert not shown & others  # no peer's name
    again = summary(
        sample_db, by="physician", min_cell=0, as_of=TODAY, filters=Filters(scope=PHYSICIAN)
    )
    assert table.equals(again)  # stable from view to view
    # Each label stands for one peer: its case count is one real physician's count.
    counts = table.drop_duplicates("physician").set_index("physician")["n_cases"]
    real = cases["physician"].value_counts()
    assert sorted(counts.drop("Dr K. Adeyemi")) == sorted(real.drop("Dr K. Adeyemi"))


def test_a_manager_cannot_reach_another_clinic(sample_db: Path) -> None:
    other = Filters(clinic=("Northgate Spine Centre",), scope=MANAGER)
    assert _n(sample_db, other) == 0
    table = summary(sample_db, by="clinic", min_cell=0, as_of=TODAY, filters=Filters(scope=MANAGER))
    assert set(table["clinic"]) <= {"Lakeside Back Clinic"}
    by_physician = summary(
        sample_db, by="physician", min_cell=0, as_of=TODAY, filters=Filters(scope=MANAGER)
    )
    # A manager sees every physician of their clinic by name, and no one else.
    assert set(by_physician["physician"]) == {"Dr C. Halvorsen", "Dr F. Osei"}


def test_sidebar_options_list_only_what_the_scope_allows(sample_db: Path) -> None:
    options = overview.filter_options(sample_db, MANAGER)
    assert options["clinic"] == ["Lakeside Back Clinic"]
    assert options["physician"] == ["Dr C. Halvorsen", "Dr F. Osei"]
    mine = overview.filter_options(sample_db, PHYSICIAN)
    assert mine["physician"][0] == "Dr K. Adeyemi"
    assert all(p.startswith("Peer ") for p in mine["physician"][1:])


def test_adjusted_comparison_data_is_cut_to_the_scope(sample_db: Path, cases: pd.DataFrame) -> None:
    frame = case_frame(
        sample_db, timepoint="12m", responder="odi_mic", filters=Filters(scope=MANAGER)
    )
    assert set(frame.cases["clinic"].astype(str)) == {"Lakeside Back Clinic"}


def _kim(sample_db: Path) -> None:
    """Dr K. Adeyemi's account in the accounts file beside the shared sample store."""
    from access.accounts import add_account

    users = sample_db.parent / "fbss-users.toml"
    if not users.exists() or "kim@clinic.org" not in users.read_text():
        add_account(users, "kim@clinic.org", role="physician", password="correct horse battery",
                    clinics=("Harbour Spine Institute",), physician="Dr K. Adeyemi")  # fmt: skip


def test_cli_as_prints_only_what_that_account_sees(
    sample_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fbss.cli import main

    _kim(sample_db)
    argv = ["summary", "--db", str(sample_db), "--by", "physician", "--format", "csv",
            "--as-of", TODAY, "--min-cell", "0"]  # fmt: skip
    assert main([*argv, "--physician", "Dr L. Haverkamp", "--as", "kim@clinic.org"]) == 0
    seen = capsys.readouterr().out
    assert "Haverkamp" not in seen
    assert main([*argv, "--as", "kim@clinic.org"]) == 0
    mine = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert "Dr K. Adeyemi" in set(mine["physician"])
    assert all(p.startswith("Peer ") for p in set(mine["physician"]) - {"Dr K. Adeyemi"})
    assert main([*argv]) == 0  # the operator sees every physician
    everyone = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert "Dr L. Haverkamp" in set(everyone["physician"])
    assert main([*argv, "--as", "nobody@clinic.org"]) == 2
    assert "no account" in capsys.readouterr().err


def test_the_case_level_worklist_holds_only_cases_in_scope(sample_db: Path) -> None:
    from analytics.worklist import worklist

    day = "2025-06-01"
    everyone = worklist(sample_db, as_of=day)
    assert len(everyone) > 0
    mine = worklist(sample_db, as_of=day, scope=PHYSICIAN)
    # A physician's case-level list is their own cases only: never a peer's.
    assert set(mine["physician"]) == {"Dr K. Adeyemi"}
    assert len(mine) == int((everyone["physician"] == "Dr K. Adeyemi").sum())
    clinic = worklist(sample_db, as_of=day, scope=MANAGER, clinics=("Northgate Spine Centre",))
    assert clinic.empty  # naming another clinic reaches nothing
    managed = worklist(sample_db, as_of=day, scope=MANAGER)
    assert len(managed) > 0
    assert len(managed) == int((everyone["clinic"] == "Lakeside Back Clinic").sum())


def test_cli_as_cannot_lower_the_accounts_limits(
    sample_db: Path, cases: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--min-cell 0 --round 1` printed exact small counts "as" a physician (review F4)."""
    from fbss.cli import main

    _kim(sample_db)
    argv = ["summary", "--db", str(sample_db), "--by", "sex", "--format", "json",
            "--as-of", TODAY, "--min-cell", "0", "--round", "1"]  # fmt: skip
    assert main([*argv, "--as", "kim@clinic.org"]) == 0
    rows = json.loads(capsys.readouterr().out)
    small = set(cases["sex"].value_counts().loc[lambda n: n < 5].index)
    assert small  # the sample has a sex value with fewer than 5 cases
    assert all(r["suppressed"] for r in rows if r["sex"] in small)
    shown = [r for r in rows if not r["suppressed"]]
    assert shown
    assert all(r["n_cases"] % 5 == 0 for r in shown)
    assert main(argv) == 0  # the operator may lower them
    assert any(
        r["sex"] in small and not r["suppressed"] for r in json.loads(capsys.readouterr().out)
    )


def _labelled_counts(db: Path, scope: Scope) -> dict[str, int]:
    table = summary(db, by="physician", min_cell=0, as_of=TODAY, filters=Filters(scope=scope))
    return dict(zip(table["physician"], pd.to_numeric(table["n_cases"]).astype(int), strict=True))


def _order(names: set[str], digest: Callable[[str], str]) -> dict[str, str]:
    """Peer labels as a reader would compute them: names sorted by a digest, numbered."""
    return {name: f"Peer {i}" for i, name in enumerate(sorted(names, key=digest), start=1)}


def test_peer_labels_follow_a_secret_key_not_the_unkeyed_md5_of_the_name(
    sample_db: Path, cases: pd.DataFrame
) -> None:
    exact = _labelled_counts(sample_db, Scope.everything())  # real names, exact counts
    others = set(cases["physician"]) - {"Dr K. Adeyemi"}
    key_a, key_b = "a" * 64, "b" * 64
    shown_a = _labelled_counts(sample_db, replace(PHYSICIAN, peer_key=key_a))
    # the labels are SHA-256(key || name) order, checked by each peer's own case count
    keyed_a = _order(others, lambda n: hashlib.sha256((key_a + n).encode()).hexdigest())
    assert {keyed_a[n]: exact[n] for n in others} == {
        label: n for label, n in shown_a.items() if label != "Dr K. Adeyemi"
    }
    # ... not the order anyone with the staff list can compute (MD5 of the name)
    unkeyed = _order(others, lambda n: hashlib.md5(n.encode()).hexdigest())
    assert unkeyed != keyed_a
    # another deployment's key gives other labels; one key gives the same every time
    keyed_b = _order(others, lambda n: hashlib.sha256((key_b + n).encode()).hexdigest())
    assert keyed_b != keyed_a
    assert _labelled_counts(sample_db, replace(PHYSICIAN, peer_key=key_b)) == {
        **{keyed_b[n]: exact[n] for n in others}, "Dr K. Adeyemi": exact["Dr K. Adeyemi"],
    }  # fmt: skip
    assert _labelled_counts(sample_db, replace(PHYSICIAN, peer_key=key_a)) == shown_a


def test_the_cli_viewer_gets_the_deployment_key_kept_beside_the_accounts(tmp_path: Path) -> None:
    users = tmp_path / "fbss-users.toml"
    secret = tmp_path / "fbss-users.secret"
    first = peer_key(users)  # made on first use, readable by the owner only
    assert secret.stat().st_mode & 0o777 == 0o600
    assert peer_key(users) == first
    assert len(first) == 64
    assert keyed(PHYSICIAN, users).peer_key == first
    assert keyed(MANAGER, users).peer_key == ""  # only a physician's view labels peers
    assert first not in repr(keyed(PHYSICIAN, users))
    secret.write_bytes(bytes(range(32)))  # another deployment's secret
    assert peer_key(users) != first


def test_providers_and_compare_print_rounded_counts_to_a_non_admin(
    sample_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from fbss.cli import main

    _kim(sample_db)
    argv = ["--db", str(sample_db), "--as-of", TODAY, "--format", "json"]
    assert main(["providers", *argv]) == 0
    exact = pd.DataFrame(json.loads(capsys.readouterr().out)).dropna(subset=["n"])
    assert (exact["n"] % 5 != 0).any()  # the operator's counts are exact
    assert main(["providers", *argv, "--as", "kim@clinic.org"]) == 0
    shown = pd.DataFrame(json.loads(capsys.readouterr().out)).dropna(subset=["n"])
    assert len(shown) == len(exact)
    assert (shown["n"] % 5 == 0).all()
    assert (shown["responders"] % 5 == 0).all()
    # the crude rate from the rounded counts, or it would give the exact n back
    assert shown["rate"].tolist() == pytest.approx((shown["responders"] / shown["n"]).tolist())
    own = exact.loc[exact["physician"] == "Dr K. Adeyemi", "n"].iloc[0]
    mine = shown.loc[shown["physician"] == "Dr K. Adeyemi", "n"].iloc[0]
    assert mine == 5 * ((own + 2.5) // 5)

    assert main(["compare", *argv, "--as", "kim@clinic.org"]) == 0
    result = json.loads(capsys.readouterr().out)
    for row in result["pathways"]:
        assert row["n_analysed"] % 5 == 0
        assert row["responders"] % 5 == 0
        assert row["rate"] == pytest.approx(row["responders"] / row["n_analysed"])
        assert row["mean_change"] == round(row["mean_change"], 1)


def test_case_counts_in_notes_and_errors_are_rounded() -> None:
    from analytics.published import rounded_text

    text = "8 cases with cause=arachnoiditis (all had repeat_surgery); 12 cases with sex=male"
    assert rounded_text(text, 5) == (
        "10 cases with cause=arachnoiditis (all had repeat_surgery); 10 cases with sex=male"
    )
    assert rounded_text(text, 0) == text
    assert (
        rounded_text("fewer than 5 cases with sex=other", 5) == "fewer than 5 cases with sex=other"
    )


def test_the_dashboard_publishes_adjusted_figures_rounded_to_a_non_admin() -> None:
    from dashboard import data

    frame = pd.DataFrame({"physician": ["Dr K. Adeyemi"], "n": [18], "responders": [7],
                          "rate": [7 / 18], "rate_ci_low": [0.2], "rate_ci_high": [0.6]})  # fmt: skip
    mine = {"filters": Filters(scope=PHYSICIAN)}
    shown = data._published(frame, mine, "analytics.adjust.providers.providers").iloc[0]
    assert [shown["n"], shown["responders"], shown["rate"]] == [20, 5, 0.25]
    result = {
        "pathways": [{"pathway": "repeat_surgery", "n_analysed": 179, "responders": 74,
                      "rate": 74 / 179, "rate_ci_low": 0.3, "rate_ci_high": 0.5,
                      "mean_change": 9.372625698324022, "effective_n": 133.7}],
        "difference": {"unadjusted": 0.10341, "adjusted": 0.18277886},
        "set_aside": ["8 cases with cause=arachnoiditis (all had repeat_surgery)"],
        "warnings": [],
    }  # fmt: skip
    out = data._published(result, mine, "analytics.adjust.pathways.compare")
    row = out["pathways"][0]
    assert [row["n_analysed"], row["responders"], row["mean_change"], row["effective_n"]] == [
        180, 75, 9.4, 135,
    ]  # fmt: skip
    assert row["rate"] == pytest.approx(75 / 180)
    assert out["difference"] == {"unadjusted": 0.1, "adjusted": 0.18277886}
    assert out["set_aside"] == ["10 cases with cause=arachnoiditis (all had repeat_surgery)"]
    # the operator's dashboard keeps them exact
    assert data._published(
        frame, {"filters": Filters()}, "analytics.adjust.providers.providers"
    ).equals(frame)
