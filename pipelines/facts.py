"""The per-case fact table (`case_facts`) that every outcome figure reads, built by the load.

Joining cases to assessments and events on text case ids costs DuckDB about 0.5 s per
query at a million cases on two cores. So the join is done once, by `fbss load`, in the
staged copy of the store before the atomic swap: `case_facts` (sql/case_facts.sql, one
row per case, measures pivoted per timepoint, first date of each event type, last
contact) lives in the store file itself, so the records and their facts always change
together and the first query after a load costs what any other does.

`facts_meta` records the definition's version (a hash of the SQL, the vocabulary and the
ENUM columns). A store written by an older fbss has no facts or facts of another version;
readers then build them in their own connection (see analytics/facts.py) and say so, and
`fbss migrate` or the next load rebuilds them in the file.

Here, in the write side, because pipelines may not import analytics; analytics imports
the column names from this module.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from importlib import resources

import duckdb

from pipelines import vocabulary as vocab

TABLE = "case_facts"
META_TABLE = "facts_meta"
# Text columns stored as DuckDB ENUMs: grouping on a one-byte code is about five times
# faster than on text at a million cases. Each type lists the values present.
ENUM_COLUMNS: tuple[str, ...] = (
    "cause", "pathway", "treatment", "index_surgery", "sex", "clinic", "physician",
)  # fmt: skip

_MARKER = re.compile(r"\{\{(\w+)\}\}")


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(constant: str) -> str:
    """A single-quoted SQL string literal, for constants defined in code only."""
    return "'" + constant.replace("'", "''") + "'"


def _fill(sql: str, fragments: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[1] not in fragments:
            raise KeyError(f"no fragment for {{{{{match[1]}}}}}")
        return fragments[match[1]]

    return _MARKER.sub(replace, sql)


@functools.cache
def _sql_text() -> str:
    return resources.files("pipelines").joinpath("sql/case_facts.sql").read_text("utf-8")


def value_column(measure: str, timepoint: str) -> str:
    """Name of the fact column holding `measure` at `timepoint` (e.g. odi__12m)."""
    assert measure in vocab.MEASURES
    assert timepoint in vocab.TIMEPOINTS
    return f"{measure}__{timepoint}"


def has_column(timepoint: str) -> str:
    """Name of the fact column saying an assessment row exists at `timepoint`."""
    assert timepoint in vocab.FOLLOWUP_TIMEPOINTS
    return f"has__{timepoint}"


def date_column(timepoint: str) -> str:
    """Name of the fact column holding the assessment date at `timepoint` (as-of snapshots)."""
    assert timepoint in vocab.TIMEPOINTS
    return f"date__{timepoint}"


def event_column(event: str) -> str:
    """Name of the fact column holding the date of the first `event`."""
    assert event in vocab.EVENTS
    return f"first__{event}"


def _at(timepoint: str) -> str:
    """The alias of a timepoint's joined assessment."""
    return quote(f"at_{timepoint}")


def build_sql(source: str) -> str:
    """sql/case_facts.sql with the vocabulary's pivot columns filled in."""
    q, lit = quote, literal
    measures = ",\n        ".join(
        f"{_at(tp)}.{q(m)} as {q(value_column(m, tp))}"
        for m in vocab.MEASURES
        for tp in vocab.TIMEPOINTS
    )
    found = [f"{_at(tp)}.case_id" for tp in vocab.TIMEPOINTS]
    any_assessment = f"coalesce({', '.join(found)}) is not null"
    has = ",\n        ".join(
        f"case when {any_assessment} then {_at(tp)}.case_id is not null end as {q(has_column(tp))}"
        for tp in vocab.FOLLOWUP_TIMEPOINTS
    )
    dates = ",\n        ".join(
        f"{_at(tp)}.assessment_date as {q(date_column(tp))}" for tp in vocab.TIMEPOINTS
    )
    events = ",\n        ".join(
        f"min(event_date) filter (where event = {lit(e)}) as {q(event_column(e))}"
        for e in vocab.EVENTS
    )
    picked = ", ".join(["case_id", *map(q, vocab.MEASURES), "assessment_date"])
    joins = "\n    ".join(
        f"left join (select {picked} from {source}.assessments where timepoint = {lit(tp)}) "
        f"as {_at(tp)} on {_at(tp)}.case_id = c.case_id"
        for tp in vocab.TIMEPOINTS
    )
    last = f"greatest({', '.join(f'{_at(tp)}.assessment_date' for tp in vocab.TIMEPOINTS)})"
    return _fill(
        _sql_text(),
        {
            "measure_columns": measures,
            "has_columns": has,
            "date_columns": dates,
            "event_columns": events,
            "timepoint_joins": joins,
            "last_assessment": last,
            "source": source,
        },
    )


@functools.cache
def version() -> str:
    """Changes whenever the fact table's definition (SQL, vocabulary, ENUMs) changes."""
    definition = build_sql("src") + repr(ENUM_COLUMNS)
    return hashlib.sha256(definition.encode()).hexdigest()[:12]


def _enum_type(column: str) -> str:
    return quote(f"{TABLE}_{column}")


def stored_version(con: duckdb.DuckDBPyConnection, schema: str = "main") -> str | None:
    """The version of the facts in `schema` (None: no facts, an older store)."""
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = $schema "
        "and database_name = current_database() and table_name in ($meta, $facts)",
        {"schema": schema, "meta": META_TABLE, "facts": TABLE},
    ).fetchone()
    if found is None or found[0] < 2:
        return None
    row = con.execute(f"select version from {schema}.{META_TABLE}").fetchone()
    return None if row is None else str(row[0])


def is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's store holds facts of this code's definition."""
    return stored_version(con) == version()


def build(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)build `case_facts` from the store's tables in this writable connection.

    Called by the load on its staged copy, before the swap. The ENUM types are made from
    the cases first, so the table is written once with its final column types (altering
    each column afterwards rewrote the table seven times).
    """
    con.execute(f"drop table if exists {TABLE}")
    for column in ENUM_COLUMNS:
        con.execute(f"drop type if exists {_enum_type(column)}")
    for column in ENUM_COLUMNS:
        con.execute(
            f"create type {_enum_type(column)} as enum ("
            f"select distinct {quote(column)}::varchar from main.cases "
            f"where {quote(column)} is not null order by 1)"
        )
    casts = ", ".join(f"{quote(c)}::{_enum_type(c)} as {quote(c)}" for c in ENUM_COLUMNS)
    # case_id, the one text column, is stored uncompressed: one distinct id per row, so
    # DuckDB's dictionary + FSST analysis cost about 0.2 s CPU at 1M cases for little
    # space (the record tables' ids are declared so in schema.sql). Same values and type.
    con.execute("set disabled_compression_methods = 'dict_fsst'")
    try:
        con.execute(
            f"create table {TABLE} as select * replace ({casts}) from ({build_sql('main')})"
        )
    finally:
        con.execute("reset disabled_compression_methods")
    con.execute(f"create or replace table {META_TABLE} (version varchar not null)")
    con.execute(f"insert into {META_TABLE} values ($v)", {"v": version()})


def build_temporary(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """`case_facts` as a temp table of this connection, from the tables in `source`.

    For readers of a store without current facts: they may not write the file. Plain
    text group columns here (no ENUMs): the table lives as long as the connection.
    """
    con.execute(f"create or replace temp table {TABLE} as {build_sql(source)}")
