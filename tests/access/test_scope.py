"""Scope: derived from an account, applied in SQL with bound parameters on a real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from access.accounts import AccessError, Account
from access.scope import Scope

CASES = [
    ("C1", "North", "Dr Ana"),
    ("C2", "North", "Dr Bo"),
    ("C3", "South", "Dr Ana"),
    ("C4", "South", "Dr Cy"),
    ("C5", "East", "Dr O'Hara"),  # a quote in a name must not break or widen the clause
]


def _visible(scope: Scope) -> list[str]:
    con = duckdb.connect()
    con.execute("create table cases (case_id varchar, clinic varchar, physician varchar)")
    con.executemany("insert into cases values (?, ?, ?)", CASES)
    clause, params = scope.sql()
    rows = con.execute(f"select case_id from cases where {clause} order by 1", params).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope("admin"), ["C1", "C2", "C3", "C4", "C5"]),
        (Scope("manager", clinics=("North",)), ["C1", "C2"]),
        (Scope("manager", clinics=("North", "East")), ["C1", "C2", "C5"]),
        (Scope("physician", physician="Dr Ana"), ["C1", "C3"]),
        (Scope("physician", clinics=("South",), physician="Dr Ana"), ["C3"]),
        (Scope("physician", physician="Dr O'Hara"), ["C5"]),
        # a name that tries to widen the clause is just a name: nothing matches
        (Scope("physician", physician="x' or '1'='1"), []),
        (Scope("manager", clinics=("North') or true or ('",)), []),
    ],
)
def test_sql_restriction(scope: Scope, expected: list[str]) -> None:
    assert _visible(scope) == expected


def test_values_are_bound_never_in_the_text() -> None:
    clause, params = Scope("physician", clinics=("North",), physician="Dr Ana").sql()
    assert "Dr Ana" not in clause
    assert "North" not in clause
    assert params == {"scope_clinics": ["North"], "scope_physician": "Dr Ana"}
    assert Scope("admin").sql() == ("true", {})


def test_from_account_and_column_names() -> None:
    account = Account("a@x.org", "manager", ("North",), None, "hash")
    scope = Scope.of(account)
    assert scope == Scope("manager", ("North",))
    clause, _ = scope.sql(clinic_column="c.clinic")
    assert "c.clinic" in clause
    with pytest.raises(AccessError, match="not a column name"):
        scope.sql(clinic_column="clinic; drop table cases")


def test_scope_is_frozen_and_checked() -> None:
    scope = Scope("physician", physician="Dr Ana")
    with pytest.raises(AttributeError):
        scope.role = "admin"  # type: ignore[misc]
    with pytest.raises(AccessError, match="needs at least one clinic"):
        Scope("manager")
    with pytest.raises(AccessError, match="needs the physician's name"):
        Scope("physician")
    with pytest.raises(AccessError, match="unknown role"):
        Scope("owner")


@pytest.mark.parametrize(
    ("clinic", "physician", "allowed"),
    [("North", "Dr Ana", True), ("North", "Dr Bo", False), ("South", "Dr Ana", False)],
)
def test_allows(clinic: str, physician: str, allowed: bool) -> None:
    scope = Scope("physician", clinics=("North",), physician="Dr Ana")
    assert scope.allows(clinic=clinic, physician=physician) is allowed
    assert Scope.everything().allows(clinic=clinic, physician=physician)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": " Lee@Clinic.org ", "email_verified": True}, "lee@clinic.org"),
        ({"email": "lee@clinic.org"}, "lee@clinic.org"),  # Entra ID sends no such claim
        ({"email": "lee@clinic.org", "email_verified": False}, None),
        ({"email": "lee@clinic.org", "email_verified": "false"}, None),
    ],
)
def test_an_unverified_oidc_address_matches_no_account(
    claims: dict[str, object], expected: str | None
) -> None:
    from access.accounts import AccessError
    from access.viewer import verified_email

    if expected is None:
        with pytest.raises(AccessError, match="not verified"):
            verified_email(claims)
    else:
        assert verified_email(claims) == expected
