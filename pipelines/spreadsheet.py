"""The one rule against spreadsheet formula injection, for every file a person may open
in Excel or LibreOffice: `fbss validate/load --report`, `fbss summary --format csv`, the
dashboard's CSV downloads and any export added later.

A text cell whose first character is `=`, `+`, `-` or `@` can run as a formula when the
file is opened; so can one starting with a tab or carriage return (some spreadsheets strip
them), or with spaces before such a character (OWASP, "CSV Injection"). Such a cell gets
a leading apostrophe, which spreadsheets show as plain text. Text that is a plain number
("-0.7", "+3", "1e-3") is left alone: it cannot run, and a spreadsheet would show the
apostrophe literally in a column of numbers. Values that are not text pass unchanged.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@")
_STRIPPED_FIRST = ("\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """The cell as a spreadsheet should read it: formula-like text prefixed with `'`."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_STRIPPED_FIRST) or value.lstrip(" ").startswith(FORMULA_STARTS):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value
