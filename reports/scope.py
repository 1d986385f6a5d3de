"""Who a report is about (a clinic, a physician or the network) and who its peers are.

A physician's report never names another physician: peers are "Peer 1", "Peer 2", ...
numbered as the CLI and the dashboard number them (a keyed hash of the name, never its
size or its place in the alphabet). A clinic's report likewise anonymises other clinics.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from analytics.definitions import AnalyticsError
from analytics.filters import Filters

Kind = Literal["clinic", "physician", "network"]


@dataclass(frozen=True)
class Scope:
    """The unit a report is about; `name` is None for the network."""

    kind: Kind
    name: str | None = None

    @property
    def title(self) -> str:
        if self.kind == "network":
            return "The whole network"
        return f"{'Clinic' if self.kind == 'clinic' else 'Physician'}: {self.name}"

    @property
    def short(self) -> str:
        return "the network" if self.name is None else self.name

    def filters(self) -> Filters:
        """The cases of this unit."""
        if self.kind == "clinic":
            return Filters(clinic=(self.name or "",))
        if self.kind == "physician":
            return Filters(physician=(self.name or "",))
        return Filters()

    def rest(self, options: Mapping[str, object]) -> Filters | None:
        """The cases of every other unit of the same kind (None for the network)."""
        if self.kind == "network":
            return None
        others = tuple(str(v) for v in _names(options, self.kind) if v != self.name)
        if not others:
            return None
        return Filters(clinic=others) if self.kind == "clinic" else Filters(physician=others)


def _names(options: Mapping[str, object], kind: str) -> list[str]:
    values = options.get(kind) or []
    return [str(v) for v in values] if isinstance(values, Sequence) else []


def resolve(kind: Kind, name: str | None, options: Mapping[str, object]) -> Scope:
    """Check a clinic or physician name against the store; a plain message when unknown."""
    if kind == "network":
        return Scope("network")
    name = (name or "").strip()
    known = _names(options, kind)
    if name in known:
        return Scope(kind, name)
    # Names differ in case or spacing more often than in substance.
    folded = {k.casefold(): k for k in known}
    if name.casefold() in folded:
        return Scope(kind, folded[name.casefold()])
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if kind == "clinic" and not close:
        hint = f"; clinics in the store: {', '.join(known)}" if known else "; the store is empty"
    raise AnalyticsError(f"no {kind} named {name!r} in the store{hint}")


def peer_labels(
    names: Sequence[str], own: str | None, *, key: str, everyone: Sequence[str] = ()
) -> dict[str, str]:
    """Each name other than `own` -> 'Peer N', N as the CLI and the dashboard number them.

    N is the rank of SHA-256(key + name) among every name of that kind in the store
    (`everyone`, plus `names`) other than `own`: the order of analytics.queries'
    peer_name_sql, keyed by the deployment's secret (access.peer_key). The report's
    labels used to follow size, largest first, ties by real name (review 5, F8), which
    told each peer's size and differed from the dashboard's "Peer N" for the same person.
    """
    pool = sorted(
        {str(n) for n in [*everyone, *names] if n != own},
        key=lambda n: hashlib.sha256((key + n).encode("utf-8")).hexdigest(),
    )
    labels = {n: f"Peer {i}" for i, n in enumerate(pool, start=1)}
    if own is not None:
        labels[own] = own
    return labels
