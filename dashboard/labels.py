"""Clinical wording for codes and numbers: what the dashboard writes on axes, legends, tables.

Codes stay codes in the data (and in the URL); everything a reader sees goes through here,
so a cause or treatment reads the same on every page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import SupportsFloat, TypeGuard

from analytics.definitions import AGE_BANDS, PRESETS, SEVERITY_BANDS, SEVERITY_MISSING
from pipelines import vocabulary as vocab


def _short(label: str) -> str:
    """'Epidural fibrosis (scarring around nerve roots)' -> 'Epidural fibrosis'."""
    return label.split(" (")[0]


CAUSE: dict[str, str] = {code: _short(label) for code, label in vocab.CAUSES.items()}
PATHWAY: dict[str, str] = dict(vocab.PATHWAYS)
TREATMENT: dict[str, str] = {code: _short(label) for code, (_, label) in vocab.TREATMENTS.items()}
INDEX_SURGERY: dict[str, str] = dict(vocab.INDEX_SURGERIES)
SEX: dict[str, str] = {code: code.capitalize() for code in vocab.SEXES}
AGE_BAND: dict[str, str] = {code: code.replace("-", "–") for code, _, _ in AGE_BANDS}
_SEVERITY_WORDS = {"bed_bound": "Bed-bound"}
SEVERITY: dict[str, str] = {}
_low: float = 0
for _code, _high in SEVERITY_BANDS:
    _word = _SEVERITY_WORDS.get(_code, _code.capitalize())
    SEVERITY[_code] = f"{_word} (ODI {_low:g}–{_high:g})"
    _low = _high + 1
SEVERITY[SEVERITY_MISSING] = "No baseline ODI"
TIMEPOINT: dict[str, str] = {code: tp.label for code, tp in vocab.TIMEPOINTS.items()}


class _MeasureLabels(dict[str, str]):
    """Measure labels; a joint rule's name (`leg_pain+back_pain`) reads "A and B"."""

    def __missing__(self, key: str) -> str:
        parts = key.split("+")
        if len(parts) > 1 and all(p in self for p in parts):
            return " and ".join(self[p] for p in parts)
        raise KeyError(key)


MEASURE: dict[str, str] = _MeasureLabels({code: m.label for code, m in vocab.MEASURES.items()})
# Axis titles: the label, shortened where a vertical axis cannot hold it.
MEASURE_AXIS: dict[str, str] = {**MEASURE, "opioid_mme": "Opioid use (MME per day)"}
EVENT: dict[str, str] = dict(vocab.EVENTS)
RESPONDER: dict[str, str] = {code: p.label for code, p in PRESETS.items()}

# How each groupable column is named and how its values read.
GROUP_TITLE: dict[str, str] = {
    "cause": "Cause",
    "pathway": "Pathway",
    "treatment": "Treatment",
    "index_surgery": "Index surgery",
    "clinic": "Clinic",
    "physician": "Physician",
    "sex": "Sex",
    "age_band": "Age band",
    "baseline_severity": "Baseline disability",
}
GROUP_VALUES: dict[str, Mapping[str, str]] = {
    "cause": CAUSE,
    "pathway": PATHWAY,
    "treatment": TREATMENT,
    "index_surgery": INDEX_SURGERY,
    "sex": SEX,
    "age_band": AGE_BAND,
    "baseline_severity": SEVERITY,
}


def value_label(column: str, code: object) -> str:
    """How a value of a group column reads (clinic and physician names are their own)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return ""
    return GROUP_VALUES.get(column, {}).get(str(code), str(code))


def measure_short(measure: str) -> str:
    """'Leg pain (NRS 0–10)' -> 'Leg pain' (for sentences)."""
    return _short(MEASURE[measure])


_PROPER = ("odi", "eq5d")  # instrument names keep their capitals inside a sentence


def measure_words(measure: str) -> str:
    """'leg pain', 'Oswestry Disability Index', 'opioid use' (inside a sentence)."""
    short = measure_short(measure)
    return short if measure in _PROPER else short.lower()


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(math.isnan(float(value)))  # type: ignore[arg-type]  # probing on purpose
    except (TypeError, ValueError):
        return value.__class__.__name__ in ("NAType", "NaTType")


def _present(value: object) -> TypeGuard[SupportsFloat]:
    """A number (Python, numpy or pandas), not None, NaN or pd.NA."""
    return not _missing(value)


def percent(value: object, digits: int = 0) -> str:
    """0.3698 -> '37%'; missing -> '–'."""
    if not _present(value):
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def interval(low: object, high: object, digits: int = 0) -> str:
    """A 95% interval of two fractions: '33–41%'; missing -> ''."""
    if not (_present(low) and _present(high)):
        return ""
    return f"{float(low) * 100:.{digits}f}–{float(high) * 100:.{digits}f}%"


def count(value: object) -> str:
    """1234 -> '1,234'; missing -> '–'."""
    if not _present(value):
        return "–"
    return f"{int(float(value)):,}"


def n_of(numerator: object, denominator: object) -> str:
    """'169 of 457'; missing -> '–'."""
    if not (_present(numerator) and _present(denominator)):
        return "–"
    return f"{int(float(numerator)):,} of {int(float(denominator)):,}"


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 problem', '3 problems', '1,200 problems'."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


# The data contract's tables and columns in clinical words (Data quality page), so no
# raw name such as "assessments · opioid_mme" reaches a reader.
TABLE: dict[str, str] = {"cases": "Case", "assessments": "Assessment", "events": "Event"}
COLUMN: dict[str, str] = {
    **{code: _short(label) for code, label in MEASURE.items()},
    "case_id": "Case ID",
    "patient_id": "Patient ID",
    "clinic": "Clinic",
    "physician": "Physician",
    "sex": "Sex",
    "age": "Age",
    "bmi": "Body-mass index",
    "smoker": "Smoker",
    "diabetes": "Diabetes",
    "prior_surgeries": "Previous spine operations",
    "index_surgery": "Index surgery",
    "index_levels": "Levels operated",
    "index_surgery_date": "Index surgery date",
    "presentation_date": "Presentation date",
    "cause": "Cause",
    "treatment": "Treatment",
    "treatment_date": "Treatment date",
    "timepoint": "Timepoint",
    "assessment_date": "Assessment date",
    "opioid_mme": "Opioid dose (MME per day)",
    "working": "Working",
    "satisfaction": "Satisfaction",
    "event_date": "Event date",
    "event": "Event type",
    "detail": "Event detail",
}


def column_label(table: str, column: str) -> str:
    """'assessments', 'opioid_mme' -> 'Assessment: Opioid dose (MME per day)'."""
    name = COLUMN.get(column, column.replace("_", " ").capitalize())
    return f"{TABLE.get(table, table.capitalize())}: {name}"
