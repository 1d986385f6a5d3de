"""The SQL files in sql/ and the only ways text is ever put into them.

`{{marker}}`s are replaced by fragments built in code from the vocabulary and the
whitelists in definitions.py: quoted identifiers and literals of constants, never user
text. Every value from a user reaches DuckDB as a bound parameter (`$name`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from importlib import resources

_MARKER = re.compile(r"\{\{(\w+)\}\}")


@functools.cache
def text(name: str) -> str:
    """The text of sql/<name>.sql."""
    return resources.files("analytics").joinpath(f"sql/{name}.sql").read_text("utf-8")


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(constant: str) -> str:
    """A single-quoted SQL string literal, for constants defined in code only."""
    return "'" + constant.replace("'", "''") + "'"


def fill(sql: str, fragments: Mapping[str, str]) -> str:
    """Replace every {{marker}}; a marker without a fragment is an error."""

    def replace(match: re.Match[str]) -> str:
        if match[1] not in fragments:
            raise KeyError(f"no fragment for {{{{{match[1]}}}}}")
        return fragments[match[1]]

    return _MARKER.sub(replace, sql)
