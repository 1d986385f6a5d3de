"""One statement of the contract: the store's DDL (pipelines/sql/schema.sql) equals the
pandera models — the same tables, columns in the same order, types and nullability — and
table names and measure ranges come from the vocabulary (issue 7).

schema.sql stays hand-written (it is what clinic IT staff read, with the key rules and
the load log beside the tables); this test is what keeps it from drifting.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import readers, schemas, store
from pipelines import vocabulary as vocab

# How each pandera dtype is stored (DuckDB's information_schema names).
STORED_TYPE = {
    "string[pyarrow]": "VARCHAR",
    "Int64": "INTEGER",
    "Float64": "DOUBLE",
    "boolean": "BOOLEAN",
    "datetime64[ns]": "DATE",
}


def stored_columns(tmp_path: Path, table: str) -> list[tuple[str, str, bool]]:
    """(name, type, nullable) of a table in a store created by pipelines.store."""
    con = store.connect(tmp_path / "fbss.duckdb", read_only=False)
    try:
        store.create_schema(con)
        rows = con.execute(
            "select column_name, data_type, is_nullable = 'YES' from information_schema.columns"
            " where table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    finally:
        con.close()
    return [(str(n), str(t), bool(null)) for n, t, null in rows]


@pytest.mark.parametrize("table", vocab.RECORD_TABLES)
def test_store_ddl_equals_the_pandera_model(tmp_path: Path, table: str) -> None:
    model = schemas.MODELS[table].to_schema().columns
    expected = [(name, STORED_TYPE[str(col.dtype)], col.nullable) for name, col in model.items()]
    derived = schemas.DERIVED_COLUMNS.get(table, ())
    stored = [c for c in stored_columns(tmp_path, table) if c[0] not in derived]
    assert stored == expected
    # derived columns are stored, required, and never part of what a clinic supplies
    extra = [c for c in stored_columns(tmp_path, table) if c[0] in derived]
    assert [(name, nullable) for name, _, nullable in extra] == [(d, False) for d in derived]
    assert not set(derived) & set(model)


def test_table_names_are_stated_once() -> None:
    assert tuple(schemas.MODELS) == vocab.RECORD_TABLES
    assert readers.TABLES is vocab.RECORD_TABLES
    assert store.RECORD_TABLES is vocab.RECORD_TABLES


@pytest.mark.parametrize("measure", list(vocab.MEASURES))
def test_measure_ranges_come_from_the_vocabulary(measure: str) -> None:
    column = schemas.MODELS["assessments"].to_schema().columns[measure]
    bounds = {check.name: check.statistics for check in column.checks}
    info = vocab.MEASURES[measure]
    assert bounds["greater_than_or_equal_to"] == {"min_value": info.low}
    assert bounds["less_than_or_equal_to"] == {"max_value": info.high}
    assert column.nullable
