"""The fast path of `fbss load`: DuckDB reads, types and checks a plain CSV export itself.

Why: at a million cases the checked path (readers -> parsing -> pandera -> crosscheck ->
an Arrow upsert) spent most of its time moving text between Arrow, pandas and DuckDB
(issue 7; docs/performance.md). Here each CSV goes from the file into its store table in
one DuckDB statement that reads the text, types it with the same normalisations as
`parsing.py` and refuses the batch on the first row that breaks any rule.

It only ever says "this batch has no problem at all": any doubt (a file that is not
plain ASCII comma-separated text with exactly the contract's header, a cell written in
an unusual but valid way, any rule broken) raises `Doubt`, the caller drops its staged
copy of the store and runs the checked path, which writes the same store or produces
the detailed per-row report. So the fast path may be stricter than the checked path,
never laxer; tests/pipelines/test_fastpath.py compares the two.

The SQL is derived from the pandera models (`schemas.MODELS`): a column's dtype gives
its typing expression, its Field checks (by pandera's check name and statistics) and
`nullable` its conditions, `Config.unique` the keys checked. The models' own Python
checks are translated by name in `_CUSTOM`; a model check not known here disables the
fast path for good (a test pins that every one is known).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandera.pandas as pa

from pipelines import limits as L
from pipelines import vocabulary as vocab
from pipelines.facts import literal, quote
from pipelines.parsing import kind_of
from pipelines.readers import TABLES, _has_blank_line, table_for_name
from pipelines.schemas import MEASURE_COLUMNS, MODELS, load_day


class Doubt(Exception):
    """The fast path cannot vouch for the batch: the checked path must decide."""


@dataclass
class CsvFile:
    table: str
    path: Path
    sha256: str
    header: list[str]
    rows: int


@dataclass
class Plan:
    """The batch's files, each already found plain enough for DuckDB to read."""

    files: list[CsvFile]


# Bytes a plain export may hold besides printable ASCII: the line ends and tabs.
_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n\r"
# Whitespace `parsing._clean_text` trims (Arrow's utf8_trim_whitespace) among those
# bytes; pinned against Arrow by a test.
_TRIMMED = " \t\n\r"


def plan(paths: Sequence[Path], limits: L.Limits) -> Plan | None:
    """The batch's CSV files when every one is plain enough for the fast path, else None.

    Conservative on purpose: a file of another kind, a folder holding anything but the
    contract's CSVs, two files of one table, or any file the checks below doubt sends
    the whole batch down the checked path, which knows how to explain it.
    """
    if _rules() is None:
        return None
    found: list[Path] = []
    for path in paths:
        if path.is_symlink():
            return None
        if path.is_dir():
            children = sorted(c for c in path.iterdir() if not c.name.startswith("."))
            found.extend(children)
        elif path.is_file():
            found.append(path)
        else:
            return None
    files: list[CsvFile] = []
    for path in found:
        table = table_for_name(path)
        if path.is_symlink() or path.suffix != ".csv" or table is None:
            return None
        if table in {f.table for f in files}:
            return None
        if L.check_path(path, limits) is not None or L.sniff(path) is not None:
            return None
        checked = _plain_csv(path, table, limits)
        if checked is None:
            return None
        files.append(checked)
    return Plan(files) if files else None


def _plain_csv(path: Path, table: str, limits: L.Limits) -> CsvFile | None:
    """Hash the file and check it is plain: ASCII, no quotes, no blank lines, the header
    exactly contract names (every required one present) and within the row limit."""
    data = path.read_bytes()
    if not data.isascii() or data.translate(None, _PLAIN) or b'"' in data:
        return None  # other characters, quoting, control bytes: the checked path reads them
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # line ends other than LF or CRLF
    if _has_blank_line(data):
        return None
    first, _, rest = data.partition(b"\n")
    header = first.removesuffix(b"\r").decode("ascii").split(",")
    schema = MODELS[table].to_schema()
    required = {n for n, c in schema.columns.items() if not c.nullable}
    if len(set(header)) != len(header) or not set(header) <= set(schema.columns):
        return None
    if not required <= set(header):
        return None
    rows = rest.count(b"\n") + (1 if rest and not rest.endswith(b"\n") else 0)
    if rows == 0 or rows > limits.max_rows:
        return None
    return CsvFile(table, path, hashlib.sha256(data).hexdigest(), header, rows)


# ---- the SQL, derived from the models ------------------------------------------------


def _trimmed(name: str) -> str:
    chars = " || ".join(f"chr({ord(c)})" for c in _TRIMMED)
    return f"nullif(trim({quote(name)}, {chars}), '')"


def _text(name: str) -> str:
    return quote(f"_t_{name}")


def _value(kind: str, normalise: str | None, t: str, v: str) -> tuple[str, str]:
    """The typed value of trimmed text `t`, and the condition that the text was read exactly
    as `parsing.py` reads it, over `t` and the typed column `v` (stricter where DuckDB's
    cast is laxer than Arrow's: see each line)."""
    if normalise == "levels":
        return rf"regexp_replace(upper({t}), '\s+', '', 'g')", "true"
    if kind == "text":
        return t, "true"
    if kind == "code":
        return f"lower({t})", "true"
    if kind == "int":  # DuckDB rounds '.5' and reads '1_000', '0x10': only canonical digits
        return f"try_cast({t} as bigint)", f"cast({v} as varchar) = {t}"
    if kind == "float":  # DuckDB reads '1_000'; Arrow does not
        return f"(try_cast({t} as double) + 0.0)", f"isfinite({v}) and not contains({t}, '_')"
    if kind == "bool":
        value = (
            f"case lower({t}) when 'true' then true when 'yes' then true when '1' then true "
            f"when 'false' then false when 'no' then false when '0' then false end"
        )
        return value, f"{v} is not null"
    if kind == "date":  # DuckDB reads '2023-1-5' and '2023/01/05': only YYYY-MM-DD
        return f"try_cast({t} as date)", (
            f"length({t}) = 10 and cast({v} as varchar) = {t} and {v} >= date '1678-01-01'"
        )
    raise KeyError(kind)


def _check(check: pa.Check, v: str) -> str:
    """One pandera check on value `v` as SQL (KeyError: not known here)."""
    s = check.statistics or {}
    if check.name == "greater_than_or_equal_to":
        return f"{v} >= {float(s['min_value'])!r}"
    if check.name == "less_than_or_equal_to":
        return f"{v} <= {float(s['max_value'])!r}"
    if check.name == "isin":
        return f"{v} in ({', '.join(literal(str(x)) for x in s['allowed_values'])})"
    if check.name == "str_matches":  # anchored patterns: RE2 and Python's re agree
        pattern = str(s["pattern"])
        if not (pattern.startswith("^") and pattern.endswith("$")):
            raise KeyError(pattern)
        return f"regexp_matches({v}, {literal(pattern)})"
    if check.name == "str_length":  # ASCII only (see _plain_csv): characters = bytes
        low, high = s.get("min_value"), s.get("max_value")
        parts = [f"length({v}) >= {int(low)}" if low is not None else "true"]
        parts.append(f"length({v}) <= {int(high)}" if high is not None else "true")
        return " and ".join(parts)
    return _CUSTOM_COLUMN[check.name or ""](v)


# The models' own checks (Python functions in schemas.py), by name.
_CUSTOM_COLUMN = {"_not_future": lambda v: f"{v} <= $today"}
_CUSTOM_FRAME = {
    "_presented_after_surgery": "not coalesce(presentation_date < index_surgery_date, false)",
    "_treated_after_presentation": "not coalesce(treatment_date < presentation_date, false)",
    "_has_a_measure": "(" + " or ".join(f"{c} is not null" for c in MEASURE_COLUMNS) + ")",
}


@dataclass(frozen=True)
class _Column:
    value: str  # over the trimmed text _t_<name>
    ok: str  # the cell passes every rule, over _t_<name> and the typed column


@functools.cache
def _rules() -> dict[str, tuple[dict[str, _Column], list[str]]] | None:
    """Per table, each contract column's SQL and the row-level conditions; None if a
    model has a check not known here (then the fast path is never taken)."""
    out: dict[str, tuple[dict[str, _Column], list[str]]] = {}
    try:
        for table, model in MODELS.items():
            schema = model.to_schema()
            columns: dict[str, _Column] = {}
            for name, column in schema.columns.items():
                t, v = _text(name), quote(name)
                normalise = (column.metadata or {}).get("normalise")
                value, read = _value(kind_of(column), normalise, t, v)
                conds = " and ".join(
                    f"({c})" for c in [read, *(_check(c, v) for c in column.checks)]
                )
                missing = "true" if column.nullable else "false"
                columns[name] = _Column(
                    value, f"case when {t} is null then {missing} else {conds} end"
                )
            out[table] = (columns, [_CUSTOM_FRAME[c.name or ""] for c in schema.checks])
    except KeyError:
        return None
    return out


# ---- reading, checking and writing in the staged copy ---------------------------------


def _select(table: str, csv: CsvFile) -> str:
    """One statement's SELECT: the file's text, trimmed, typed, every cell and row rule
    checked; a row that breaks one raises DuckDB's error() and the statement fails."""
    rules = _rules()
    assert rules is not None  # plan() returns None otherwise
    columns, frame_checks = rules[table]
    spec = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in csv.header) + "}"
    read = (
        f"read_csv($path, columns = {spec}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true)"
    )
    trimmed = ", ".join(f"{_trimmed(n)} as {_text(n)}" for n in csv.header)
    typed = ", ".join(
        f"{c.value} as {quote(n)}, {_text(n)}"
        if n in csv.header
        else f"null as {quote(n)}, null::varchar as {_text(n)}"
        for n, c in columns.items()
    )
    ok = " and ".join([*(f"({c.ok})" for c in columns.values()), *frame_checks])
    names = list(columns)
    out = [f"case when {ok} then {quote(names[0])} else error('fbss: fast path doubt') end"]
    out += [quote(n) for n in names[1:]]
    if table == "cases":  # the store derives the pathway from the treatment
        pairs = " ".join(
            f"when {literal(t)} then {literal(pw)}" for t, (pw, _) in vocab.TREATMENTS.items()
        )
        out.append(f"case treatment {pairs} end")
        names.append("pathway")
    selected = ", ".join(f"{e} as {quote(n)}" for e, n in zip(out, names, strict=True))
    return f"select {selected} from (select {typed} from (select {trimmed} from {read}))"


def _insert(con: duckdb.DuckDBPyConnection, target: str, table: str, csv: CsvFile) -> None:
    names = [*MODELS[table].to_schema().columns, *(["pathway"] if table == "cases" else [])]
    sql = f"insert into {target} ({', '.join(map(quote, names))}) {_select(table, csv)}"
    try:
        row = con.execute(sql, {"path": str(csv.path), "today": load_day()}).fetchone()
    except duckdb.Error as exc:  # a broken rule, a ragged row, ...: the checked path says which
        raise Doubt(str(exc).splitlines()[0]) from None
    if row is None or row[0] != csv.rows:
        raise Doubt(f"{csv.path}: DuckDB read {row} rows, the file has {csv.rows}")


def _unique(con: duckdb.DuckDBPyConnection, source: str, table: str) -> None:
    keys = ", ".join(quote(k) for k in MODELS[table].to_schema().unique or [])
    twice = con.execute(
        f"select 1 from {source} group by {keys} having count(*) > 1 limit 1"
    ).fetchone()
    if twice is not None:
        raise Doubt(f"a repeated key in {table}")


# Rules between tables, on the store as it is after the writes: every pair is checked,
# not only pairs with a side from the batch as crosscheck.py does (stricter, and a store
# only ever holds rows that passed them).
_CROSS = """
select
  (select count(*) from assessments a anti join cases c using (case_id))
+ (select count(*) from events e anti join cases c using (case_id))
+ (select count(*) from assessments a join cases c using (case_id)
   where case when a.timepoint = 'baseline' then a.assessment_date > c.treatment_date
              else a.assessment_date <= c.treatment_date end)
+ (select count(*) from events e join cases c using (case_id)
   where e.event_date < c.treatment_date)
"""


def write(
    con: duckdb.DuckDBPyConnection,
    batch: Plan,
    *,
    replace: bool,
    merge: Callable[[duckdb.DuckDBPyConnection, str, bool], dict[str, int]],
) -> dict[str, dict[str, int]]:
    """Type, check and write the batch in `con` (a staged copy); the counts per table.

    `merge` upserts the temp table `incoming` into a table (load.py's, shared with the
    checked path). Raises Doubt at the first sign of a problem; the caller then drops
    the copy.
    """
    files = {f.table: f for f in batch.files}
    if replace and not {"cases", "assessments"} <= set(files):
        raise Doubt("--replace without a full export: the checked path explains")
    counts: dict[str, dict[str, int]] = {}
    for table in TABLES:
        csv = files.get(table)
        if csv is None and not replace:
            continue
        empty = con.execute(f"select count(*) = 0 from {table}").fetchone()
        if csv is not None and empty is not None and empty[0]:
            # A first load of the table: straight in, as the checked path does.
            _insert(con, table, table, csv)
            _unique(con, table, table)
            out = {"inserted": csv.rows, "updated": 0, "unchanged": 0}
            counts[table] = {**out, "deleted": 0} if replace else out
            continue
        con.execute(f"create or replace temp table incoming as select * from {table} limit 0")
        if csv is not None:
            _insert(con, "incoming", table, csv)
            _unique(con, "incoming", table)
        counts[table] = merge(con, table, replace)
    crossed = con.execute(_CROSS).fetchone()
    if crossed is None or crossed[0]:
        raise Doubt("a rule between tables")
    return counts


def files_of(batch: Plan) -> list[dict[str, object]]:
    """The load log's list of files, as the checked path writes it."""
    return [
        {"path": str(f.path), "table": f.table, "sha256": f.sha256, "rows": f.rows}
        for f in batch.files
    ]
