"""Report periods: a year (`2025`), a half (`2026-H1`) or a quarter (`2026-Q3`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from analytics.definitions import AnalyticsError

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?P<kind>[QqHh])(?P<part>\d))?$")
_MONTHS = {"Y": 12, "H": 6, "Q": 3}
_PARTS = {"Y": 1, "H": 2, "Q": 4}


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period; its as-of date (the snapshot the report shows) is its last day."""

    year: int
    kind: str  # "Y", "H" or "Q"
    part: int  # 1 for a year; 1-2 for a half; 1-4 for a quarter

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1 + (self.part - 1) * _MONTHS[self.kind], 1)

    @property
    def end(self) -> dt.date:
        months = self.part * _MONTHS[self.kind]
        if months == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, months + 1, 1) - dt.timedelta(days=1)

    @property
    def as_of(self) -> dt.date:
        return self.end

    @property
    def code(self) -> str:
        return str(self.year) if self.kind == "Y" else f"{self.year}-{self.kind}{self.part}"

    @property
    def label(self) -> str:
        """Words for the cover: '2025', 'First half of 2026', 'Third quarter of 2026'."""
        if self.kind == "Y":
            return str(self.year)
        ordinal = ("First", "Second", "Third", "Fourth")[self.part - 1]
        what = "half" if self.kind == "H" else "quarter"
        return f"{ordinal} {what} of {self.year}"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        if self.part > 1:
            return Period(self.year, self.kind, self.part - 1)
        return Period(self.year - 1, self.kind, _PARTS[self.kind])


def parse_period(text: str) -> Period:
    """'2026-Q3', '2026-H1' or '2026' -> Period; anything else is a plain-words error."""
    match = _PATTERN.match(text.strip())
    if match is None:
        raise AnalyticsError(
            f"period {text!r} is not a year (2025), a half (2026-H1) or a quarter (2026-Q3)"
        )
    year = int(match["year"])
    kind = (match["kind"] or "Y").upper()
    part = int(match["part"] or 1)
    if not 1 <= part <= _PARTS[kind]:
        what = "quarters run Q1 to Q4" if kind == "Q" else "halves are H1 and H2"
        raise AnalyticsError(f"period {text!r} does not exist: {what}")
    if year < 1900:
        raise AnalyticsError(f"period {text!r}: the year looks wrong")
    return Period(year, kind, part)
