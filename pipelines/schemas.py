"""The case-record contract as pandera models: the single statement of the rules.

Each column's dtype says how its text is read (see `parsing.py`), its `Field` holds the
single-column rules and `metadata["rule"]` the plain words a clinic administrator reads
("a whole number from 0 to 10"). Rules across columns are dataframe checks whose
`error` starts with the column they blame. Rules across tables (a case must exist, an
assessment must follow its treatment) need the store and live in `crosscheck.py`.

Validation runs in two stages so pandera's lazy coercion trap cannot bite: `parsing.py`
turns text into typed columns first (recording what it cannot read), so by the time a
dataframe check runs every column already has its declared type, with missing cells
where a value could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, TypeAlias

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipelines import vocabulary as vocab
from pipelines.vocabulary import load_day  # re-exported (validate.py; the fast path)

# Text columns use pandas' Arrow-backed strings (see parsing.py for why).
Text: TypeAlias = pd.StringDtype
ARROW = {"storage": "pyarrow"}

ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
ID_RULE = "1–64 characters, only letters, digits, '-', '_' or '.'"


def _one_of(values: Iterable[str]) -> str:
    return "one of: " + ", ".join(values)


def _measure(code: str, *, whole: bool) -> Any:
    """A measure's Field: its range and rule words from the vocabulary, blank allowed."""
    m = vocab.MEASURES[code]
    kind = "a whole number" if whole else "a number"
    return pa.Field(
        ge=m.low, le=m.high, nullable=True, metadata={"rule": f"{kind} from {m.low} to {m.high}"}
    )


_LEVEL = "(?:" + "|".join(vocab.LEVELS) + ")"
LEVELS_PATTERN = rf"^{_LEVEL}(?:;{_LEVEL})*$"


def _not_after_load_day(series: pd.Series) -> pd.Series:
    return series <= pd.Timestamp(load_day())


FUTURE_ERROR = "must not be after the day of the load"
FLAG_RULE = "true/false, yes/no or 1/0"  # how parsing.py reads a boolean cell
ASA_GRADES = (1, 5)  # ASA physical status I (healthy) to V (moribund)
SYMPTOM_MONTHS = (0, 600)  # months of the current pain; 600 = 50 years


class _Record(pa.DataFrameModel):
    class Config:
        coerce = True  # a no-op after parsing.py; kept so a stray dtype is still reported
        strict = False  # columns outside the contract are dropped before, never stored


class Cases(_Record):
    case_id: Series[Text] = pa.Field(
        dtype_kwargs=ARROW, str_matches=ID_PATTERN, metadata={"rule": ID_RULE}
    )
    patient_id: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        str_length={"min_value": 1, "max_value": 64},
        metadata={"rule": "a pseudonymous id of 1–64 characters"},
    )
    clinic: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        str_length={"min_value": 1, "max_value": 100},
        metadata={"rule": "1–100 characters"},
    )
    physician: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        str_length={"min_value": 1, "max_value": 100},
        metadata={"rule": "1–100 characters"},
    )
    sex: Series[Text] = pa.Field(
        dtype_kwargs=ARROW, isin=vocab.SEXES, metadata={"rule": _one_of(vocab.SEXES)}
    )
    age: Series[pd.Int64Dtype] = pa.Field(
        ge=18, le=110, metadata={"rule": "a whole number of years from 18 to 110"}
    )
    bmi: Series[pd.Float64Dtype] = pa.Field(
        ge=12, le=80, nullable=True, metadata={"rule": "a number from 12 to 80"}
    )
    smoker: Series[pd.BooleanDtype] = pa.Field(nullable=True, metadata={"rule": FLAG_RULE})
    diabetes: Series[pd.BooleanDtype] = pa.Field(nullable=True, metadata={"rule": FLAG_RULE})
    prior_surgeries: Series[pd.Int64Dtype] = pa.Field(
        ge=1, le=20, nullable=True, metadata={"rule": "a whole number from 1 to 20"}
    )
    index_surgery: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        isin=list(vocab.INDEX_SURGERIES),
        metadata={"rule": _one_of(vocab.INDEX_SURGERIES)},
    )
    index_levels: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        nullable=True,
        str_matches=LEVELS_PATTERN,
        metadata={
            "rule": "lumbar levels separated by ';' such as L4-L5;L5-S1 (T12-L1 … L5-S1)",
            "normalise": "levels",
        },
    )
    index_surgery_date: Series[pd.Timestamp] = pa.Field(
        metadata={"rule": "a date written YYYY-MM-DD"}
    )
    presentation_date: Series[pd.Timestamp] = pa.Field(
        metadata={"rule": "a date written YYYY-MM-DD"}
    )
    cause: Series[Text] = pa.Field(
        dtype_kwargs=ARROW, isin=list(vocab.CAUSES), metadata={"rule": _one_of(vocab.CAUSES)}
    )
    treatment: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        isin=list(vocab.TREATMENTS),
        metadata={"rule": _one_of(vocab.TREATMENTS)},
    )
    treatment_date: Series[pd.Timestamp] = pa.Field(metadata={"rule": "a date written YYYY-MM-DD"})
    # Risk factors for case-mix adjustment (issue 9; the US Quality Outcomes Database's
    # list, McGirt 2017). Optional: a clinic may leave the cells blank or omit the
    # columns. They come after treatment_date so that schema.sql's ALTER statements give
    # an older store the same column order as a new one.
    asa_grade: Series[pd.Int64Dtype] = pa.Field(
        ge=ASA_GRADES[0],
        le=ASA_GRADES[1],
        nullable=True,
        metadata={"rule": f"a whole number from {ASA_GRADES[0]} to {ASA_GRADES[1]}"},
    )
    symptom_months: Series[pd.Int64Dtype] = pa.Field(
        ge=SYMPTOM_MONTHS[0],
        le=SYMPTOM_MONTHS[1],
        nullable=True,
        metadata={
            "rule": f"a whole number of months from {SYMPTOM_MONTHS[0]} to {SYMPTOM_MONTHS[1]}"
        },
    )
    workers_compensation: Series[pd.BooleanDtype] = pa.Field(
        nullable=True, metadata={"rule": FLAG_RULE}
    )
    litigation: Series[pd.BooleanDtype] = pa.Field(nullable=True, metadata={"rule": FLAG_RULE})
    depression: Series[pd.BooleanDtype] = pa.Field(nullable=True, metadata={"rule": FLAG_RULE})

    class Config:
        unique = ["case_id"]

    @pa.check("index_surgery_date", "presentation_date", "treatment_date", error=FUTURE_ERROR)
    def _not_future(cls, series: Series[pd.Timestamp]) -> Series[bool]:
        return _not_after_load_day(series)

    # Cross-column rules: defensive, a missing side passes (it is reported on its own).
    @pa.dataframe_check(error="presentation_date: must be on or after index_surgery_date")
    def _presented_after_surgery(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["presentation_date"] < df["index_surgery_date"]).fillna(False)

    @pa.dataframe_check(error="treatment_date: must be on or after presentation_date")
    def _treated_after_presentation(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["treatment_date"] < df["presentation_date"]).fillna(False)


MEASURE_COLUMNS: tuple[str, ...] = ("back_pain", "leg_pain", "odi", "eq5d")


class Assessments(_Record):
    case_id: Series[Text] = pa.Field(
        dtype_kwargs=ARROW, str_matches=ID_PATTERN, metadata={"rule": ID_RULE}
    )
    timepoint: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        isin=list(vocab.TIMEPOINTS),
        metadata={"rule": _one_of(vocab.TIMEPOINTS)},
    )
    assessment_date: Series[pd.Timestamp] = pa.Field(metadata={"rule": "a date written YYYY-MM-DD"})
    back_pain: Series[pd.Int64Dtype] = _measure("back_pain", whole=True)
    leg_pain: Series[pd.Int64Dtype] = _measure("leg_pain", whole=True)
    odi: Series[pd.Float64Dtype] = _measure("odi", whole=False)
    eq5d: Series[pd.Float64Dtype] = _measure("eq5d", whole=False)
    opioid_mme: Series[pd.Float64Dtype] = _measure("opioid_mme", whole=False)
    working: Series[pd.BooleanDtype] = pa.Field(
        nullable=True, metadata={"rule": "true/false, yes/no or 1/0"}
    )
    satisfaction: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        isin=vocab.SATISFACTION,
        nullable=True,
        metadata={"rule": _one_of(vocab.SATISFACTION)},
    )

    class Config:
        unique = ["case_id", "timepoint"]

    @pa.check("assessment_date", error=FUTURE_ERROR)
    def _not_future(cls, series: Series[pd.Timestamp]) -> Series[bool]:
        return _not_after_load_day(series)

    @pa.dataframe_check(
        error="back_pain: a row must carry at least one of back_pain, leg_pain, odi, eq5d"
    )
    def _has_a_measure(cls, df: pd.DataFrame) -> Series[bool]:
        return df[list(MEASURE_COLUMNS)].notna().any(axis=1)


class Events(_Record):
    case_id: Series[Text] = pa.Field(
        dtype_kwargs=ARROW, str_matches=ID_PATTERN, metadata={"rule": ID_RULE}
    )
    event_date: Series[pd.Timestamp] = pa.Field(metadata={"rule": "a date written YYYY-MM-DD"})
    event: Series[Text] = pa.Field(
        dtype_kwargs=ARROW, isin=list(vocab.EVENTS), metadata={"rule": _one_of(vocab.EVENTS)}
    )
    detail: Series[Text] = pa.Field(
        dtype_kwargs=ARROW,
        nullable=True,
        str_length={"max_value": 200},
        metadata={"rule": "text of at most 200 characters"},
    )

    class Config:
        unique = ["case_id", "event_date", "event"]

    @pa.check("event_date", error=FUTURE_ERROR)
    def _not_future(cls, series: Series[pd.Timestamp]) -> Series[bool]:
        return _not_after_load_day(series)


# The table names are the vocabulary's; the columns of each are its model's fields.
MODELS: dict[str, type[_Record]] = dict(
    zip(vocab.RECORD_TABLES, (Cases, Assessments, Events), strict=True)
)
# Columns the store derives and keeps beside the contract's (never supplied by a clinic).
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {"cases": ("pathway",)}


@cache
def columns(table: str) -> tuple[str, ...]:
    """The contract's columns of a record table, in order: its pandera model's fields."""
    return tuple(MODELS[table].to_schema().columns)


REQUIRED_TABLES: tuple[str, ...] = ("cases", "assessments")  # events are optional
