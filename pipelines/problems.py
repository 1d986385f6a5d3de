"""A problem found in a batch: one line of the error report."""

from __future__ import annotations

from dataclasses import dataclass

# Kinds, as counted in the terminal summary.
FILE = "file problem"
MISSING_COLUMN = "missing required column"
MISSING_VALUE = "missing value"
INVALID_VALUE = "invalid value"
FUTURE_DATE = "date after the day of the load"
DUPLICATE = "duplicate record"
ORDER = "dates out of order"
NO_MEASURE = "no outcome measure"
UNKNOWN_CASE = "unknown case"


@dataclass(frozen=True, order=True)
class Problem:
    """One failure: where it is (file, spreadsheet row, column), the value and the rule."""

    file: str
    row: int | None  # as a spreadsheet shows it: the header is row 1
    column: str | None
    value: str | None
    problem: str  # plain words, e.g. "leg_pain must be a whole number from 0 to 10"
    kind: str
    rule: str | None = None  # the problem without record values, where `problem` quotes any

    def value_free(self) -> str:
        """The words to keep in the store: never a value from the batch."""
        return self.rule or self.problem

    def as_line(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        value = "" if self.value is None else f" (value: {self.value!r})"
        return f"{where}: {self.problem}{value}"
