"""What one account may see, as a restriction applied in SQL with bound parameters.

A Scope is derived from an account, never from a page, a URL or a chart selection, so
nothing the user does can widen it. Wiring it into every analytics query is a later step
(issue 10, point 2): `analytics.filters.Filters` carries a Scope, and the one cohort
query (analytics/sql/cohort.sql) ANDs `params()` into its WHERE clause, so every figure,
export and report is cut to the scope before any filter is applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from access.accounts import ROLES, AccessError, Account, check_import_grant

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass(frozen=True)
class Scope:
    """Role, clinics and physician of the person looking; admin sees everything."""

    role: str
    clinics: tuple[str, ...] = ()
    physician: str | None = None
    # Import: always for admin; for a manager only when granted (`fbss users grant-import`)
    import_granted: bool = False
    # Orders a physician's anonymous peers (access.peer_key): secret, so never in a repr
    peer_key: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise AccessError(f"unknown role {self.role!r}")
        if self.role == "manager" and not self.clinics:
            raise AccessError("a manager's scope needs at least one clinic")
        if self.role == "physician" and not self.physician:
            raise AccessError("a physician's scope needs the physician's name")
        check_import_grant(self.role, self.import_granted)
        object.__setattr__(self, "clinics", tuple(dict.fromkeys(self.clinics)))

    @classmethod
    def of(cls, account: Account) -> Scope:
        """The scope an account signs in with."""
        return cls(account.role, account.clinics, account.physician, account.can_import)

    @classmethod
    def everything(cls) -> Scope:
        """The operator's scope (the CLI, single-user local mode)."""
        return cls("admin")

    @property
    def is_everything(self) -> bool:
        return self.role == "admin"

    @property
    def can_import(self) -> bool:
        """May load records: an admin always, a manager when granted, a physician never."""
        return self.role == "admin" or (self.role == "manager" and self.import_granted)

    def import_clinics(self) -> tuple[str, ...] | None:
        """The clinics whose records this scope may load (None: any clinic).

        Passed to the load (`pipelines.load.load_paths(clinics=...)`), which refuses any
        other clinic's record; raises AccessError when this scope may not import at all.
        """
        if not self.can_import:
            raise AccessError("this account may not import records")
        return None if self.role == "admin" else self.clinics

    def sql(
        self, *, clinic_column: str = "clinic", physician_column: str = "physician"
    ) -> tuple[str, dict[str, object]]:
        """A boolean SQL clause and its bound parameters (`$scope_clinics`, `$scope_physician`).

        admin: true. manager: the case's clinic is one of theirs. physician: the case is
        their own (and in one of their clinics, when the account names clinics). Column
        names are checked identifiers; every value is a bound parameter.
        """
        for column in (clinic_column, physician_column):
            if not _IDENTIFIER.match(column):
                raise AccessError(f"{column!r} is not a column name")
        if self.role == "admin":
            return "true", {}
        clauses: list[str] = []
        params: dict[str, object] = {}
        if self.clinics:
            clauses.append(f"list_contains($scope_clinics::varchar[], {clinic_column})")
            params["scope_clinics"] = list(self.clinics)
        if self.role == "physician":
            clauses.append(f"{physician_column} = $scope_physician")
            params["scope_physician"] = self.physician
        return "(" + " and ".join(clauses) + ")", params

    def params(self) -> dict[str, object]:
        """Fixed bound parameters for the cohort query.

        `$s_clinics` (empty list: every clinic) and `$s_physician` (null: every
        physician) restrict the cases; `$s_peers_of` (null: nobody) names the physician
        whose peers are shown as "Peer 1", "Peer 2"... A physician sees the network as
        aggregates (the dashboard shows no case-level row) with every other physician
        anonymised, their own name kept: their own results, compared with anonymous peers.
        `$s_peer_key` keys the peers' order (access.peer_key), so the staff list alone
        does not give the labels back.
        """
        return {
            "s_clinics": list(self.clinics) if self.role == "manager" else [],
            "s_physician": None,
            "s_peers_of": self.physician if self.role == "physician" else None,
            "s_peer_key": self.peer_key,
        }

    def allows(self, *, clinic: str | None = None, physician: str | None = None) -> bool:
        """Whether a single case of this clinic and physician is within the scope."""
        if self.role == "admin":
            return True
        if self.clinics and clinic not in self.clinics:
            return False
        return self.role != "physician" or physician == self.physician
