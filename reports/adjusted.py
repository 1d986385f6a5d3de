"""The report's case-mix adjusted sections (issue 9): pathway comparison and funnel position.

HOOK (issue 9): the adjusted analytics live in `analytics.adjust` (branch `adjust`). Until
that package is on main, `build` returns None and the report leaves both sections out
(the PDF says so in its appendix). When it lands, `build` fills `Adjusted` from
`analytics.adjust.compare` and `analytics.adjust.providers(adjusted=True)`.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from reports.scope import Scope


@dataclass
class Adjusted:
    """The adjusted pathway comparison, its balance, and the unit's adjusted funnel row."""

    comparison: dict[str, Any] | None = None
    balance: pd.DataFrame | None = None
    funnel: pd.DataFrame | None = None  # peers already anonymised
    unit: str = "physician"
    notes: list[str] = field(default_factory=list)


def available() -> bool:
    """True once issue 9's adjusted analytics are installed."""
    return importlib.util.find_spec("analytics.adjust") is not None


def build(
    db: Any, scope: Scope, *, as_of: dt.date, min_cell: int, options: dict[str, object]
) -> Adjusted | None:
    """The adjusted sections for this scope, or None while issue 9 is not on main."""
    if not available():
        return None  # HOOK (issue 9): filled in when analytics.adjust is merged
    return None
