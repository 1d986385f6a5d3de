"""The cases in view: a frozen, hashable set of filters and its bound SQL parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

from access.scope import Scope
from analytics.definitions import AGE_BANDS, SEVERITY_BANDS, SEVERITY_MISSING
from analytics.definitions import AnalyticsError as _AnalyticsError
from pipelines import vocabulary as vocab

# Filter fields whose values must come from a closed vocabulary.
_VOCABULARIES: dict[str, tuple[str, ...]] = {
    "cause": tuple(vocab.CAUSES),
    "pathway": tuple(vocab.PATHWAYS),
    "treatment": tuple(vocab.TREATMENTS),
    "index_surgery": tuple(vocab.INDEX_SURGERIES),
    "sex": vocab.SEXES,
    "age_band": tuple(code for code, _, _ in AGE_BANDS),
    "baseline_severity": (*(code for code, _ in SEVERITY_BANDS), SEVERITY_MISSING),
}
LIST_FIELDS: tuple[str, ...] = (
    "clinic",
    "physician",
    "cause",
    "index_surgery",
    "sex",
    "age_band",
    "pathway",
    "treatment",
    "baseline_severity",
)


@dataclass(frozen=True)
class Filters:
    """Which cases are in view; an empty tuple means no restriction on that column."""

    treatment_from: dt.date | None = None
    treatment_to: dt.date | None = None
    clinic: tuple[str, ...] = ()
    physician: tuple[str, ...] = ()
    cause: tuple[str, ...] = ()
    index_surgery: tuple[str, ...] = ()
    sex: tuple[str, ...] = ()
    age_band: tuple[str, ...] = ()
    pathway: tuple[str, ...] = ()
    treatment: tuple[str, ...] = ()
    baseline_severity: tuple[str, ...] = ()
    # Who is looking (access/scope.py): applied in the cohort query before the filters.
    # Built by the caller from the signed-in account, never from a URL or a widget.
    scope: Scope = field(default_factory=Scope.everything)

    def __post_init__(self) -> None:
        # Lists become tuples so a Filters stays hashable (st.cache_data keys on it).
        for name in LIST_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            value = tuple(dict.fromkeys(str(v) for v in (value or ())))
            allowed = _VOCABULARIES.get(name)
            if allowed is not None:
                unknown = [v for v in value if v not in allowed]
                if unknown:
                    raise _AnalyticsError(
                        f"unknown {name.replace('_', ' ')} {unknown[0]!r}; "
                        f"choose from {', '.join(allowed)}"
                    )
            object.__setattr__(self, name, value)
        for name in ("treatment_from", "treatment_to"):
            value = getattr(self, name)
            if isinstance(value, dt.datetime):
                object.__setattr__(self, name, value.date())
        if self.treatment_from and self.treatment_to and self.treatment_from > self.treatment_to:
            raise _AnalyticsError(
                f"treatment date range is empty: {self.treatment_from} is after {self.treatment_to}"
            )

    def params(self) -> dict[str, object]:
        """Bound parameters for sql/cohort.sql (`$f_<field>`)."""
        out: dict[str, object] = self.scope.params()
        for f in fields(self):
            if f.name == "scope":
                continue
            value = getattr(self, f.name)
            out[f"f_{f.name}"] = list(value) if isinstance(value, tuple) else value
        return out

    def is_empty(self) -> bool:
        """True when no filter is set (every case in view)."""
        return all(not getattr(self, f.name) for f in fields(self) if f.name != "scope")
