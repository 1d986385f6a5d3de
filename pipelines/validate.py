"""Validate a batch: parse text (stage one), run the pandera models lazily (stage two),
and turn every failure into a plain-words `Problem` naming file, row, column and value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa

from pipelines import problems as P
from pipelines.parsing import parse_frame, rule_of
from pipelines.problems import Problem
from pipelines.readers import Batch
from pipelines.schemas import FUTURE_ERROR, MODELS, load_day


@dataclass
class Validated:
    """A batch after validation: typed frames per table (RangeIndex), where each row came
    from (`origin`: file, row), and every problem found."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    origin: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (file, column)
    rows: dict[str, int] = field(default_factory=dict)  # file label -> rows read
    incomplete: frozenset[str] = frozenset()  # tables with a file that could not be used


def validate_batch(batch: Batch) -> Validated:
    """Run every single-table rule over the batch; cross-table rules come later.

    Each table's cells as text are released once its rules have run (the file frames of
    `batch` are left empty), so the text and the typed frames of a large batch are not
    all held at once.
    """
    result = Validated(problems=list(batch.problems))
    for table, model in MODELS.items():
        schema = model.to_schema()
        typed_parts: list[pd.DataFrame] = []
        origin_parts: list[pd.DataFrame] = []
        failed_parts: list[pd.DataFrame] = []
        for tf in (f for f in batch.files if f.table == table):
            result.rows[tf.label] = len(tf.frame)
            missing = [
                name
                for name, col in schema.columns.items()
                if not col.nullable and name not in tf.frame.columns
            ]
            for name in missing:
                result.problems.append(
                    Problem(
                        tf.label,
                        1,
                        name,
                        None,
                        f"the required column {name} is missing",
                        P.MISSING_COLUMN,
                    )
                )
            extra = [c for c in tf.frame.columns if c not in schema.columns]
            result.dropped.extend((tf.label, c or "(unnamed column)") for c in extra)
            if missing:
                batch.incomplete.add(table)
                continue
            typed, failed = parse_frame(tf.frame, schema)
            offset = sum(len(part) for part in typed_parts)
            failed["index"] += offset
            typed_parts.append(typed)
            origin_parts.append(pd.DataFrame({"file": tf.label, "row": tf.frame.index.to_numpy()}))
            failed_parts.append(failed)
        if not typed_parts:
            continue
        frame = _stacked(typed_parts)
        origin = _stacked(origin_parts)
        unreadable = _stacked(failed_parts)
        result.frames[table] = frame
        result.origin[table] = origin
        result.problems.extend(_parse_problems(unreadable, origin, schema))
        raw = {tf.label: tf.frame for tf in batch.files if tf.table == table}
        result.problems.extend(_schema_problems(frame, origin, schema, unreadable, raw))
        del raw
        for tf in batch.files:
            if tf.table == table:  # checked: let the text go (a gigabyte at 1M cases)
                # a new empty frame: an empty slice would keep the Arrow buffers alive
                tf.frame = pd.DataFrame(columns=tf.frame.columns)
    result.problems.sort(key=lambda p: (p.file, p.row or 0, p.column or ""))
    result.incomplete = frozenset(batch.incomplete)
    return result


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The parts one under the other, indexed 0..n-1; one part is not copied (concat
    copies, which cost seconds on a million cases' assessments)."""
    if len(parts) == 1:
        parts[0].index = pd.RangeIndex(len(parts[0]))
        return parts[0]
    return pd.concat(parts, ignore_index=True)


def _parse_problems(
    unreadable: pd.DataFrame, origin: pd.DataFrame, schema: pa.DataFrameSchema
) -> list[Problem]:
    out = []
    for idx, column, value in unreadable.itertuples(index=False):
        out.append(
            Problem(
                origin.at[idx, "file"],
                int(origin.at[idx, "row"]),
                column,
                value,
                f"{column} must be {rule_of(schema.columns[column])}",
                P.INVALID_VALUE,
            )
        )
    return out


def _schema_problems(
    frame: pd.DataFrame,
    origin: pd.DataFrame,
    schema: pa.DataFrameSchema,
    unreadable: pd.DataFrame,
    raw: dict[str, pd.DataFrame],
) -> list[Problem]:
    try:
        # inplace: the frame already has the models' types (parsing.py), and pandera's
        # defensive copy of a million cases' columns cost seconds (measured, cProfile).
        schema.validate(frame, lazy=True, inplace=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    already = set(zip(unreadable["index"], unreadable["column"], strict=True))
    out: list[Problem] = []
    seen: set[tuple[int, str]] = set()
    duplicate_rows: set[int] = set()
    for rec in cases.itertuples(index=False):
        check = str(rec.check)
        idx = None if pd.isna(rec.index) else int(rec.index)
        if check in _UNIQUENESS:
            if idx is not None:
                duplicate_rows.add(idx)
            continue
        if idx is None:
            continue  # a dtype-level failure; stage one already reported each cell
        column = str(rec.column)
        model_check = _check_of(rec, schema)
        kind = _kind_of(model_check)
        if rec.schema_context == "DataFrameSchema" and model_check is not None:
            column, words = _blame(model_check)
            if (idx, column) in seen:
                continue  # pandera repeats a dataframe check's failure once per column
            problem = words if kind == P.NO_MEASURE else f"{column} {words}"
        elif check == "not_nullable":
            if (idx, column) in already:
                continue  # unreadable, so missing: the first line says why
            problem, kind = f"{column} is required", P.MISSING_VALUE
        elif kind == P.FUTURE_DATE:
            problem = f"{column} {FUTURE_ERROR} ({load_day().isoformat()})"
        else:
            problem = f"{column} must be {rule_of(schema.columns[column])}"
        seen.add((idx, column))
        file, row = origin.at[idx, "file"], int(origin.at[idx, "row"])
        # Show the cell as the clinic wrote it ("9", not the parsed 9.0).
        text = raw[file]
        value = text.at[row, column] if column in text.columns else _shown(frame.at[idx, column])
        out.append(Problem(file, row, column, _shown(value), problem, kind))
    out.extend(_duplicate_problems(frame, origin, list(schema.unique or []), duplicate_rows))
    return out


# pandera's own names for its uniqueness checks (Config.unique and Field(unique=True)).
_UNIQUENESS = frozenset({"multiple_fields_uniqueness", "field_uniqueness"})

# The kind of problem each of the models' own checks finds, by the check's name (the
# function that defines it in schemas.py); a check may instead declare it in its
# `statistics` ({"kind": ..., "column": ...}), which wins. Every other check is a
# single-cell rule (range, vocabulary, pattern): an invalid value.
_KIND_OF_CHECK: dict[str, str] = {
    "_not_future": P.FUTURE_DATE,
    "_has_a_measure": P.NO_MEASURE,
    "_presented_after_surgery": P.ORDER,
    "_treated_after_presentation": P.ORDER,
}


def _check_of(rec: Any, schema: pa.DataFrameSchema) -> pa.Check | None:
    """The model's Check object behind one failure case (None for pandera's built-ins)."""
    if rec.check_number is None or pd.isna(rec.check_number):
        return None
    if rec.schema_context == "DataFrameSchema":
        checks = schema.checks
    elif rec.schema_context == "Column" and rec.column in schema.columns:
        checks = schema.columns[rec.column].checks
    else:
        return None
    number = int(rec.check_number)
    return checks[number] if number < len(checks) else None


def _kind_of(check: pa.Check | None) -> str:
    if check is None:
        return P.INVALID_VALUE
    declared = (check.statistics or {}).get("kind")
    return str(declared or _KIND_OF_CHECK.get(check.name or "", P.INVALID_VALUE))


def _blame(check: pa.Check) -> tuple[str, str]:
    """The column a dataframe check blames and its words for the report.

    Declared in the check's `statistics["column"]`, else by the models' convention that a
    dataframe check's error starts with the column it blames ("treatment_date: must ...").
    """
    error = check.error or check.name or "failed a rule"
    column = (check.statistics or {}).get("column")
    if column is not None:
        return str(column), error
    blamed, _, words = error.partition(": ")
    return blamed, words


def _duplicate_problems(
    frame: pd.DataFrame, origin: pd.DataFrame, keys: list[str], rows: set[int]
) -> list[Problem]:
    """One line per row involved in a duplicate, each naming the other rows."""
    if not rows:
        return []
    dup = frame.loc[sorted(rows), keys].dropna()  # a missing key is reported on its own
    if dup.empty:
        return []
    dup = dup.copy()
    dup["_where"] = [f"{origin.at[i, 'file']} row {origin.at[i, 'row']}" for i in dup.index]
    out = []
    for _, group in dup.groupby(keys, sort=False, dropna=False):
        for idx in group.index:
            others = [w for j, w in zip(group.index, group["_where"], strict=True) if j != idx]
            key_text = " / ".join(str(_shown(frame.at[idx, k])) for k in keys)
            out.append(
                Problem(
                    origin.at[idx, "file"],
                    int(origin.at[idx, "row"]),
                    "+".join(keys),
                    key_text,
                    f"duplicate record: the same {' + '.join(keys)} is also in {'; '.join(others)}",
                    P.DUPLICATE,
                )
            )
    return out


def _shown(value: object) -> str | None:
    """A value as the report shows it: dates as YYYY-MM-DD, missing as None."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if not pd.isna(value) else None
    return str(value)
