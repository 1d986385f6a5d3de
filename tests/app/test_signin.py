"""Sign-in, roles and audit through the app (Streamlit's AppTest on the sample store).

The accounts and audit files are named by FBSS_USERS / FBSS_AUDIT, as `fbss dashboard`
names them; expected counts come from the sample's cases.csv via pandas.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from access import audit
from access.accounts import add_account
from dashboard.launch import add_parser, is_loopback, run
from tests.app.conftest import AppFactory

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "kim@clinic.org": {
        "role": "physician",
        "clinics": ("Harbour Spine Institute",),
        "physician": "Dr K. Adeyemi",
    },
    "lee@clinic.org": {"role": "manager", "clinics": ("Lakeside Back Clinic",)},
    "ada@clinic.org": {"role": "admin"},
}


@pytest.fixture
def signed_app(
    make_app: AppFactory, sample_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[AppFactory, Path]:
    users = tmp_path / "fbss-users.toml"
    for email, spec in ACCOUNTS.items():
        add_account(users, email, password=PASSWORD, **spec)  # type: ignore[arg-type]
    monkeypatch.setenv("FBSS_USERS", str(users))
    monkeypatch.setenv("FBSS_AUDIT", str(tmp_path / "audit.jsonl"))
    return make_app, tmp_path / "audit.jsonl"


def _sign_in(at: AppTest, email: str, password: str = PASSWORD) -> AppTest:
    at.run()
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title]
    parts += [str(m.value) for m in at.metric] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def test_signed_out_visitor_sees_only_the_sign_in_page(
    signed_app: tuple[AppFactory, Path], sample_store: Path
) -> None:
    make, _ = signed_app
    at = make(sample_store).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert len(at.metric) == 0
    assert len(at.multiselect) == 0


def test_wrong_password_is_refused_and_recorded(
    signed_app: tuple[AppFactory, Path], sample_store: Path
) -> None:
    make, audit_file = signed_app
    at = _sign_in(make(sample_store), "kim@clinic.org", "not the password")
    assert "Wrong e-mail or password." in [e.value for e in at.error]
    entries, _ = audit.read(audit_file)
    assert [e["action"] for e in entries] == ["sign_in_failed"]
    assert "not the password" not in audit_file.read_text()


def test_physician_sees_peers_anonymised_even_naming_one_in_the_url(
    signed_app: tuple[AppFactory, Path], sample_store: Path, sample_cases: pd.DataFrame
) -> None:
    make, audit_file = signed_app
    at = _sign_in(make(sample_store, {"physician": "Dr L. Haverkamp"}), "kim@clinic.org")
    assert not at.exception
    physician = next(m for m in at.multiselect if m.label == "Physician")
    assert physician.options[0] == "Dr K. Adeyemi"
    assert all(p.startswith("Peer ") for p in physician.options[1:])
    # The network as aggregates: every case, rounded to 5 for a physician.
    cases_in_view = next(m for m in at.metric if m.label == "Cases in view")
    assert cases_in_view.value == f"{5 * round(len(sample_cases) / 5):,}"
    assert "Haverkamp" not in _text(at)
    assert str(sample_store) not in _text(at)  # the store path is for admins only
    actions = [e["action"] for e in audit.read(audit_file)[0]]
    assert actions[:2] == ["sign_in", "page_view"]


def test_manager_sees_only_their_clinic(
    signed_app: tuple[AppFactory, Path], sample_store: Path, sample_cases: pd.DataFrame
) -> None:
    make, _ = signed_app
    at = _sign_in(make(sample_store, {"clinic": "Northgate Spine Centre"}), "lee@clinic.org")
    assert not at.exception
    clinic = next(m for m in at.multiselect if m.label == "Clinic")
    assert list(clinic.options) == ["Lakeside Back Clinic"]
    physicians = next(m for m in at.multiselect if m.label == "Physician")
    lakeside = sample_cases[sample_cases["clinic"] == "Lakeside Back Clinic"]
    assert list(physicians.options) == sorted(lakeside["physician"].unique())
    assert "Northgate" not in _text(at)


def test_launch_refuses_a_public_address_without_sign_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(
        ["dashboard", "--db", str(tmp_path / "x.duckdb"), "--address", "0.0.0.0"]
    )
    assert run(args) == 2
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0 without sign-in" in err
    assert "fbss users add" in err
    assert "--oidc" in err
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("10.0.0.5")


def test_admin_reaches_import_and_the_audit_trail_others_do_not(
    signed_app: tuple[AppFactory, Path], sample_store: Path
) -> None:
    make, _ = signed_app
    at = _sign_in(make(sample_store), "ada@clinic.org")
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception
    assert "Audit trail" in [t.value for t in at.title]
    at.switch_page("app_pages/import_data.py").run()
    assert not at.exception
    assert "Import" in " ".join(t.value for t in at.title)

    other = _sign_in(make(sample_store), "lee@clinic.org")
    for hidden in ("app_pages/audit.py", "app_pages/import_data.py", "app_pages/quality.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            other.switch_page(hidden)  # not registered for a manager
    assert "Sign out" in [b.label for b in other.sidebar.button]


def test_headline_counts_are_rounded_and_rates_recomputed_from_them() -> None:
    import datetime as dt

    from statsmodels.stats.proportion import proportion_confint

    from analytics.overview import Headline
    from analytics.published import rounded_headline

    h = Headline(
        as_of=dt.date(2026, 1, 1), n_cases=99, n_recent=7, recent_days=90, timepoint="12m",
        followup_due=61, followup_returned=42, followup_assessed=40, followup_rate=42 / 61,
        followup_ci=(0.5, 0.8), responder_label="x", responder_measure="odi", responder_n=37,
        responders=12, responder_rate=12 / 37, responder_ci=(0.2, 0.5),
        reoperation_free_12m=0.9137, reoperation_free_12m_ci=(0.8712, 0.9461),
    )  # fmt: skip
    r = rounded_headline(h, 5)
    assert (r.n_cases, r.n_recent, r.followup_due, r.followup_returned) == (100, 5, 60, 40)
    assert (r.responders, r.responder_n) == (10, 35)
    assert r.responder_rate == pytest.approx(10 / 35)
    assert r.responder_ci == pytest.approx(proportion_confint(10, 35, method="wilson"))
    assert r.followup_rate == pytest.approx(40 / 60)
    # an exact Kaplan-Meier estimate gives n back: whole percent (review F1)
    assert r.reoperation_free_12m == 0.91
    assert r.reoperation_free_12m_ci == (0.87, 0.95)


def test_the_report_action_follows_the_account_scope(
    signed_app: tuple[AppFactory, Path], sample_store: Path
) -> None:
    """A physician choosing a peer (or nothing) in the filters still gets only their own
    report offered; the sidebar caption names whose report it is."""
    make, _ = signed_app
    at = _sign_in(make(sample_store, {"physician": "Dr C. Halvorsen"}), "kim@clinic.org")
    assert not at.exception
    captions = [c.value for c in at.sidebar.caption]
    offered = [c for c in captions if c.startswith("For **")]
    assert offered, captions
    assert "Dr K. Adeyemi" in offered[0]
    assert "Halvorsen" not in " ".join(captions)


def test_a_manager_is_offered_their_clinic_not_the_network(
    signed_app: tuple[AppFactory, Path], sample_store: Path
) -> None:
    make, _ = signed_app
    at = _sign_in(make(sample_store), "lee@clinic.org")
    captions = [c.value for c in at.sidebar.caption]
    offered = [c for c in captions if c.startswith("For **")]
    assert offered, captions
    assert "Lakeside Back Clinic" in offered[0]
    assert "whole network" not in offered[0]


def _new_cases_csv(sample_cases: pd.DataFrame, clinics: list[str]) -> bytes:
    """A cases file with one new case per clinic named (copied from a sample case)."""
    rows = pd.concat(
        [sample_cases[sample_cases["clinic"] == c].iloc[[0]] for c in clinics], ignore_index=True
    )
    rows["case_id"] = [f"NEW{i:04d}" for i in range(len(rows))]
    return rows.to_csv(index=False).encode()


def test_a_manager_granted_import_loads_only_their_clinics_records(
    make_app: AppFactory,
    store_copy: Path,
    sample_cases: pd.DataFrame,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = tmp_path / "fbss-users.toml"
    lakeside = ("Lakeside Back Clinic",)
    add_account(users, "lee@clinic.org", role="manager", password=PASSWORD, clinics=lakeside,
                can_import=True)  # fmt: skip
    add_account(users, "max@clinic.org", role="manager", password=PASSWORD, clinics=lakeside)
    monkeypatch.setenv("FBSS_USERS", str(users))
    monkeypatch.setenv("FBSS_AUDIT", str(tmp_path / "audit.jsonl"))

    ungranted = _sign_in(make_app(store_copy), "max@clinic.org")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        ungranted.switch_page("app_pages/import_data.py")

    at = _sign_in(make_app(store_copy), "lee@clinic.org")
    at.switch_page("app_pages/import_data.py").run()
    assert not at.exception
    assert "Import" in [t.value for t in at.title]
    assert "Only records of **Lakeside Back Clinic** can be loaded." in _text(at)
    assert str(store_copy) not in _text(at)  # the store path is for admins only
    assert "How each clinic's events are captured" not in [s.value for s in at.subheader]

    csv = _new_cases_csv(sample_cases, ["Lakeside Back Clinic", "Northgate Spine Centre"])
    at.file_uploader(key="w_upload").upload("cases.csv", csv, "text/csv")
    at.run()
    assert not at.exception
    assert any("1 problem found" in e.value for e in at.error)
    report = next(d.value for d in at.dataframe if "problem" in d.value.columns)
    assert report["kind"].tolist() == ["outside your clinics"]
    assert "you may import only your own clinics' records" in report["problem"].iloc[0]
    load = next(b for b in at.button if b.label == "Load into the store")
    assert load.disabled

    own = _new_cases_csv(sample_cases, ["Lakeside Back Clinic"])
    at.file_uploader(key="w_upload").set_value(("cases.csv", own, "text/csv"))
    at.run()
    assert any("No problems found" in s.value for s in at.success)
    next(b for b in at.button if b.label == "Load into the store").click()
    at.run()
    assert not at.exception
    assert any(s.value.startswith("**Loaded**") for s in at.success)
    entries, _ = audit.read(tmp_path / "audit.jsonl")
    assert [e["what"] for e in entries if e["action"] == "import"] == [{"accepted": True}]


def test_without_a_store_only_an_admin_is_told_its_path(
    make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    users = tmp_path / "fbss-users.toml"
    for email, spec in ACCOUNTS.items():
        add_account(users, email, password=PASSWORD, **spec)  # type: ignore[arg-type]
    monkeypatch.setenv("FBSS_USERS", str(users))
    monkeypatch.setenv("FBSS_AUDIT", str(tmp_path / "audit.jsonl"))
    missing = tmp_path / "not-loaded-yet.duckdb"

    def infos(at: AppTest) -> str:
        return "\n".join([i.value for i in at.info] + [m.value for m in at.markdown])

    for email in ("kim@clinic.org", "lee@clinic.org"):
        at = _sign_in(make_app(missing), email)
        assert not at.exception
        assert "No data loaded yet." in infos(at)
        assert str(missing) not in infos(at) + _text(at)
        assert "fbss load" not in infos(at)
    admin = _sign_in(make_app(missing), "ada@clinic.org")
    assert f"in `{missing}`" in infos(admin)
    assert "fbss load data/sample" in infos(admin)


@pytest.mark.parametrize(
    ("claims", "can_import"),
    [
        ({"fbss_role": "manager", "fbss_clinics": ["N"]}, False),
        ({"fbss_role": "manager", "fbss_clinics": ["N"], "fbss_can_import": True}, True),
        ({"fbss_role": "manager", "fbss_clinics": "N", "fbss_can_import": "true"}, True),
        ({"fbss_role": "manager", "fbss_clinics": ["N"], "fbss_can_import": "yes"}, False),
        # only a manager holds the grant: a physician's claim is ignored
        ({"fbss_role": "physician", "fbss_physician": "Dr A", "fbss_can_import": True}, False),
    ],
)
def test_the_import_grant_can_come_from_an_oidc_claim(
    claims: dict[str, object], can_import: bool
) -> None:
    from dashboard.auth import _claims_scope

    scope = _claims_scope(claims)
    assert scope is not None
    assert scope.can_import is can_import


@pytest.mark.parametrize("how", ["password reset", "signed out in another tab"])
def test_an_open_tab_ends_with_a_reset_or_a_sign_out_elsewhere(
    signed_app: tuple[AppFactory, Path], sample_store: Path, how: str
) -> None:
    """Independent review F5: the tab kept its session after `fbss users reset` or a
    sign-out in another tab, and re-issued its cookie bound to the new password."""
    from access import session_token
    from access.accounts import reset_password
    from dashboard.auth import SESSION_KEY

    make, audit_file = signed_app
    at = _sign_in(make(sample_store), "lee@clinic.org")
    assert [t.value for t in at.title] != ["Sign in"]
    users = audit_file.parent / "fbss-users.toml"
    if how == "password reset":
        reset_password(users, "lee@clinic.org", "a brand new passphrase")
    else:
        session_token.sign_out(users, at.session_state[SESSION_KEY]["sid"], now=time.time())
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    ended = [e for e in audit.read(audit_file)[0] if e["action"] == "sign_out"]
    what = ended[-1]["what"]  # an audit record's fields are typed `object`
    assert isinstance(what, dict)
    assert what["reason"] == "signed out or password reset"


def test_a_physicians_view_numbers_peers_with_the_deployments_key(
    signed_app: tuple[AppFactory, Path], sample_store: Path
) -> None:
    """Independent review F3: the dashboard's scopes carried no key, so "Peer N" followed a
    plain hash of the name and the staff list undid it."""
    from access.peer_key import peer_key
    from dashboard.auth import VIEWER_KEY

    make, audit_file = signed_app
    at = _sign_in(make(sample_store), "kim@clinic.org")
    _, found = at.session_state[VIEWER_KEY]
    users = audit_file.parent / "fbss-users.toml"
    assert found.scope.peer_key == peer_key(users)
    assert found.scope.peer_key  # not empty
    manager = _sign_in(make(sample_store), "lee@clinic.org")
    _, boss = manager.session_state[VIEWER_KEY]
    assert not boss.scope.peer_key  # a manager sees names; no peers to number
