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

The SQL is derived from the pandera models (`schemas.MODELS`) by fastrules.py and read
here from its generated cache (fastrules_cache.py), so the fast path imports neither
pandas nor pandera; a test re-derives it and fails when the cache is stale. A model check
not known to the derivation disables the fast path for good (a test pins that every one
is known).

Over 300 lines, on purpose: the gate, the SQL derived from the models and the writes
are one promise (the same store as the checked path, or step aside), read in one place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipelines import facts, fastrules_cache
from pipelines import limits as L
from pipelines import vocabulary as vocab
from pipelines.facts import literal, quote
from pipelines.filenames import FORMATS, table_for_name
from pipelines.vocabulary import load_day

TABLES: tuple[str, ...] = vocab.RECORD_TABLES


class Doubt(Exception):
    """The fast path cannot vouch for the batch: the checked path must decide."""


@dataclass
class CsvFile:
    table: str
    path: Path
    header: list[str]
    sha256: str = ""  # these three are set by vet() and write()
    rows: int = -1  # data lines in the file
    read: int = -1  # rows DuckDB read from it


@dataclass
class Plan:
    """The batch's files, their headers found plain enough for DuckDB to read."""

    files: list[CsvFile]
    ignored: list[str]  # files of a folder passed over, as readers.py lists them


def _passed_over(child: Path) -> str | None:
    """Why readers.py passes over a folder's entry that is no table file (None: it may be)."""
    if child.is_symlink():
        return None if child.suffix.lower() in FORMATS else "a symbolic link (not followed)"
    if not child.is_file():
        return "a folder (folders are not searched)"
    if child.suffix.lower() not in FORMATS:
        return "not a .csv, .xlsx or .parquet file"
    return None


# Bytes a plain export may hold besides printable ASCII: the line ends. (A tab, which
# `parsing.py` would trim around a value, sends the file down the checked path.)
_PLAIN = bytes(range(0x20, 0x7F)) + b"\n\r"
_HEAD = 65536  # a header line longer than this is not plain


def plan(paths: Sequence[Path], limits: L.Limits) -> Plan | None:
    """The batch's CSV files when every one looks plain enough for the fast path, else None.

    Only the first line of each file is read here; `vet` reads the rest while DuckDB
    does. Conservative on purpose: a file of another kind, a folder holding anything but
    the contract's CSVs, or two files of one table send the whole batch down the
    checked path, which knows how to explain it.
    """
    if _rules() is None:
        return None
    found: list[Path] = []
    ignored: list[str] = []
    for path in paths:
        if path.is_symlink():
            return None
        if path.is_dir():
            for child in sorted(c for c in path.iterdir() if not c.name.startswith(".")):
                why = _passed_over(child)
                if why:
                    ignored.append(f"{child}: {why}")  # as readers.py words it
                else:
                    found.append(child)
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
        header = _header(path, table)
        if header is None:
            return None
        files.append(CsvFile(table, path, header))
    return Plan(files, ignored) if files else None


def _header(path: Path, table: str) -> list[str] | None:
    """The header when it is exactly contract names, each once, every required one there."""
    with open(path, "rb") as fh:
        head = fh.read(_HEAD)
    end = head.find(b"\n")
    if end < 0 or not head[:end].isascii():
        return None
    header = head[:end].removesuffix(b"\r").decode("ascii").split(",")
    rules = _rules()
    assert rules is not None  # plan() returns None otherwise
    required, columns = set(rules[table]["required"]), set(rules[table]["columns"])
    if len(set(header)) != len(header) or not set(header) <= columns:
        return None
    return header if required <= set(header) else None


def vet(batch: Plan, limits: L.Limits) -> bool:
    """Hash each file and check that it is plain: ASCII without control bytes or quotes,
    LF or CRLF line ends, and rows within the limit. Runs beside DuckDB's reading (the
    hash and DuckDB release the GIL); `verify` waits for it.

    Blank lines are not searched for (a search per pattern cost seconds at 1M cases):
    DuckDB skips an empty line and refuses one of spaces, so the rows it reads then
    differ from the line count here, which `verify` compares.
    """
    for csv in batch.files:
        found = _vet_file(csv.path)
        if found is None:
            return False
        csv.rows, csv.sha256 = found
        if csv.rows > limits.max_rows:
            return False
    return True


_CHUNK = 1 << 20  # a file is read and checked a piece at a time (see _vet_file)


def _vet_file(path: Path) -> tuple[int, str] | None:
    """The file's data lines and sha256 when it is plain (see `vet`), else None.

    Read in 1 MiB pieces rather than whole: at 1M cases reading the 219 MB assessments
    file into one new bytes object cost more than hashing it (fresh pages for each
    file), and held it in memory beside DuckDB's work."""
    digest = hashlib.sha256()
    newlines = crs = pairs = 0
    last = b""  # the previous piece's last byte: a CRLF may straddle two pieces
    with open(path, "rb") as fh:
        while piece := fh.read(_CHUNK):
            if not piece.isascii() or piece.translate(None, _PLAIN) or b'"' in piece:
                return None  # other characters, quoting, tabs, control bytes: checked path
            if b"\r" in piece or last == b"\r":
                crs += piece.count(b"\r")
                pairs += piece.count(b"\r\n") + (last == b"\r" and piece[:1] == b"\n")
            newlines += piece.count(b"\n")
            digest.update(piece)
            last = piece[-1:]
    if crs != pairs:
        return None  # line ends other than LF or CRLF
    return newlines - (last == b"\n"), digest.hexdigest()


# ---- the SQL, derived from the models (fastrules.py) and cached --------------------


def text_column(name: str) -> str:
    """The column of a cell's text as read (NULL when empty, as DuckDB reads an empty cell)."""
    return quote(f"_t_{name}")


def _rules() -> dict[str, dict[str, Any]] | None:
    """Per table: "columns" {name: [typed value SQL, "the cell passes" SQL]}, "required",
    "unique" and "frame" (row-level conditions); None when a model has a check the fast
    path cannot translate (then it is never taken). Read from the generated cache, so a
    load imports neither pandas nor pandera (fastrules.py derives it from the models)."""
    return fastrules_cache.RULES


# ---- reading, checking and writing in the staged copy ---------------------------------


def _select(table: str, csv: CsvFile) -> str:
    """One statement's SELECT: the file's text, typed, every cell and row rule checked;
    a row that breaks one raises DuckDB's error() and the statement fails."""
    rules = _rules()
    assert rules is not None  # plan() returns None otherwise
    columns: dict[str, list[str]] = rules[table]["columns"]
    frame_checks: list[str] = rules[table]["frame"]
    spec = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in csv.header) + "}"
    read = (
        f"read_csv($path, columns = {spec}, header = true, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', strict_mode = true)"
    )
    texts = ", ".join(f"{quote(n)} as {text_column(n)}" for n in csv.header)
    typed = ", ".join(
        f"{value} as {quote(n)}, {text_column(n)}"
        if n in csv.header
        else f"null as {quote(n)}, null::varchar as {text_column(n)}"
        for n, (value, _) in columns.items()
    )
    ok = " and ".join([*(f"({ok})" for _, ok in columns.values()), *frame_checks])
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
    return f"select {selected} from (select {typed} from (select {texts} from {read}))"


def _insert(con: duckdb.DuckDBPyConnection, target: str, table: str, csv: CsvFile) -> None:
    rules = _rules()
    assert rules is not None  # plan() returns None otherwise
    names = [*rules[table]["columns"], *(["pathway"] if table == "cases" else [])]
    sql = f"insert into {target} ({', '.join(map(quote, names))}) {_select(table, csv)}"
    try:
        row = con.execute(sql, {"path": str(csv.path), "today": load_day()}).fetchone()
    except duckdb.Error as exc:  # a broken rule, a ragged row, ...: the checked path says which
        raise Doubt(str(exc).splitlines()[0]) from None
    csv.read = -1 if row is None else int(row[0])


def _unique(con: duckdb.DuckDBPyConnection, source: str, table: str) -> None:
    rules = _rules()
    assert rules is not None  # plan() returns None otherwise
    keys = ", ".join(quote(k) for k in rules[table]["unique"])
    twice = con.execute(
        f"select 1 from {source} group by {keys} having count(*) > 1 limit 1"
    ).fetchone()
    if twice is not None:
        raise Doubt(f"a repeated key in {table}")


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
    the copy. The rules between tables are left to `verify`, after the facts are built.
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
            # A first load of the table: straight in, as the checked path does. Then the
            # table is the batch: `verify` finds a repeated assessment key in the facts.
            _insert(con, table, table, csv)
            if table != "assessments":
                _unique(con, table, table)
            out = {"inserted": csv.read, "updated": 0, "unchanged": 0}
            counts[table] = {**out, "deleted": 0} if replace else out
            continue
        con.execute(f"create or replace temp table incoming as select * from {table} limit 0")
        if csv is not None:
            _insert(con, "incoming", table, csv)
            _unique(con, "incoming", table)
        counts[table] = merge(con, table, replace)
    return counts


def _verdicts() -> list[str]:
    """Conditions on the store after the load, each true when all is well; the rules
    between tables (crosscheck.py's), read off the per-case facts where they can be.

    Every pair is checked, not only pairs with a side from the batch as crosscheck.py
    does: stricter, and a store only ever holds rows that passed them.
    """
    tps = list(vocab.TIMEPOINTS)
    dated = " + ".join(f"count({quote(facts.date_column(tp))})" for tp in tps)
    out_of_order = [
        f"{quote(facts.date_column(tp))} {'>' if tp == 'baseline' else '<='} treatment_date"
        for tp in tps
    ] + [f"{quote(facts.event_column(e))} < treatment_date" for e in vocab.EVENTS]
    return [
        # one facts row per case: no case joined two assessments of one timepoint
        f"(select count(*) from {facts.TABLE}) = (select count(*) from cases)",
        # every assessment joined its case: none of an unknown case
        f"(select count(*) from assessments) = (select {dated} from {facts.TABLE})",
        "not exists (select 1 from events anti join cases using (case_id))",
        f"not exists (select 1 from {facts.TABLE} where {' or '.join(out_of_order)})",
    ]


def verify(con: duckdb.DuckDBPyConnection, batch: Plan, vetted: bool) -> None:
    """After `write` and the facts: raise Doubt unless the files were plain (`vet`),
    DuckDB read every line of them, and the store keeps every rule between tables."""
    if not vetted:
        raise Doubt("a file is not plain ASCII comma-separated text")
    for csv in batch.files:
        if csv.read != csv.rows:
            raise Doubt(f"{csv.path}: DuckDB read {csv.read} rows of {csv.rows} lines")
    row = con.execute("select " + " and ".join(f"({v})" for v in _verdicts())).fetchone()
    if row is None or not row[0]:
        raise Doubt("a rule between tables")


def files_of(batch: Plan) -> list[dict[str, object]]:
    """The load log's list of files, as the checked path writes it."""
    return [
        {"path": str(f.path), "table": f.table, "sha256": f.sha256, "rows": f.rows}
        for f in batch.files
    ]
