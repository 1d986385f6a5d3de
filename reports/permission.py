"""`fbss report --as EMAIL`: may this account have this report? (issue 10's scopes)

A physician may have their own report only; a manager the reports of their clinics, and
of a physician whose cases all lie in those clinics; an admin any report. The decision
uses the account's scope from the accounts file, never anything the request says about
itself. A report made for an account is written to the audit trail ("download").
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from access.accounts import AccessError, load_accounts, normalise_email, users_path_from
from access.scope import Scope as AccountScope
from analytics import overview


def account_scope(email: str, *, users: str | None, db: Any) -> tuple[str, AccountScope]:
    """The account's normalised e-mail and its scope; unknown accounts are refused."""
    path = users_path_from(users, db)
    wanted = normalise_email(email)
    account = load_accounts(path).get(wanted)
    if account is None:
        raise AccessError(f"no account {wanted!r} in {path}")
    return wanted, AccountScope.of(account)


def _clinics_by_physician(db: Any) -> dict[str, set[str]]:
    """Every physician in the store -> the clinics of their cases (never printed)."""
    frame = overview.cases_by_period(db, by=("physician", "clinic"), period="year", min_cell=0)
    counts = pd.to_numeric(frame["n_cases"]).fillna(0)
    found: dict[str, set[str]] = {}
    for physician, clinic in frame.loc[counts > 0, ["physician", "clinic"]].itertuples(index=False):
        found.setdefault(str(physician), set()).add(str(clinic))
    return found


def _same(a: str, b: str) -> bool:
    # the report resolves names ignoring case and surrounding spaces (reports/scope.py),
    # so the permission must compare them the same way, or a variant slips past it
    return a.strip().casefold() == b.strip().casefold()


def check(scope: AccountScope, kind: str, name: str | None, db: Any) -> None:
    """Refuse, in plain words, a report outside the account's scope.

    Names are compared as the report resolves them (case and spaces ignored). A name the
    account cannot see gets the same refusal whether or not it exists, so the refusal
    never tells a non-admin who works elsewhere.
    """
    if scope.is_everything:
        return
    if scope.role == "physician":
        if kind == "physician" and name is not None and _same(name, scope.physician or ""):
            return
        raise AccessError(f"a physician's account may have only its own report ({scope.physician})")
    # a manager
    if kind == "clinic" and name is not None and any(_same(name, c) for c in scope.clinics):
        return
    if kind == "physician" and name:
        clinics = [c for p, c in _clinics_by_physician(db).items() if _same(p, name)]
        # an unknown name has no clinics: refused like a name of another clinic (an empty
        # set would otherwise pass the subset test)
        if clinics and all(c <= set(scope.clinics) for c in clinics):
            return
    raise AccessError(
        f"this account may have reports of {', '.join(scope.clinics)} and of physicians "
        "working only there"
    )


def audit(email: str, db: Any, what: dict[str, object], audit_file: str | None = None) -> None:
    """One audit record of a report made for an account."""
    from access.audit import audit_path_from, record

    record(audit_path_from(audit_file, db), user=email, action="download", what=what)
