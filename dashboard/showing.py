""" "Showing: <filters>, as of <date>": what a page, a printout or a download is about.

No streamlit here. The same words head every page and name every exported file, so a
CSV opened next week or a printout passed round still says which cases it counts.
"""

from __future__ import annotations

import datetime as dt
import re

from dashboard import labels
from dashboard.state import View

_SLUG = re.compile(r"[^a-z0-9]+")


def _dates(view: View) -> str | None:
    start, end = view.treatment_from, view.treatment_to
    if start is None and end is None:
        return None
    if start is None:
        return f"treated up to {end:%d %b %Y}"
    if end is None:
        return f"treated from {start:%d %b %Y}"
    return f"treated {start:%d %b %Y} to {end:%d %b %Y}"


def filter_parts(view: View) -> list[str]:
    """Each active sidebar filter in words, in the sidebar's order."""
    parts = [_dates(view)]
    for name, title, mapping in (
        ("clinic", "clinic", None),
        ("physician", "physician", None),
        ("cause", "cause", labels.CAUSE),
        ("index_surgery", "index surgery", labels.INDEX_SURGERY),
        ("sex", "sex", labels.SEX),
        ("age_band", "age", labels.AGE_BAND),
    ):
        values = getattr(view, name)
        if values:
            words = [mapping.get(v, v) if mapping else v for v in values]
            parts.append(f"{title} {' or '.join(words)}")
    return [p for p in parts if p]


def showing_line(view: View, as_of: dt.date | None) -> str:
    """'Showing: clinic Northgate, age 60–74 · data as of 02 Dec 2026'."""
    parts = filter_parts(view)
    what = ", ".join(parts) if parts else "all cases"
    when = f" · data as of {as_of:%d %b %Y}" if as_of is not None else ""
    return f"Showing: {what}{when}"


def file_suffix(view: View, as_of: dt.date | None) -> str:
    """The same for a file name: 'clinic-northgate_age-60-74_2026-12-02' (at most 80 chars)."""
    parts = filter_parts(view) or ["all cases"]
    slug = "_".join(_SLUG.sub("-", p.lower()).strip("-") for p in parts)[:80].strip("-_")
    return slug + (f"_{as_of.isoformat()}" if as_of is not None else "")
