"""The load's fast path (pipelines/fastpath.py) against the checked path.

For good exports both paths must leave the same store, row for row and type for type
(facts and load log included); for anything the fast path cannot vouch for it must step
aside, so the user gets the checked path's store or its report, word for word.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from pipelines import fastpath, fastrules, fastrules_cache, store
from pipelines.load import LoadResult, load_paths
from pipelines.parsing import _PARSERS, kind_of
from pipelines.sample.writing import write as write_sample
from pipelines.schemas import MODELS
from tests.pipelines.helpers import assessment, batch, case, event

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
AS_OF = dt.date(2026, 11, 1)

# Tables compared between the two stores (load_log apart: it has timestamps).
COMPARED = ("cases", "assessments", "events", "case_facts", "facts_meta", "last_rejection")


def _store(db: Path) -> dict[str, object]:
    with store.reader(db) as con:
        out: dict[str, object] = {}
        for table in COMPARED:
            out[f"{table} types"] = con.execute(f"describe {table}").fetchall()
            # text of every value: -0.0 and 0.0 differ here, as do 1 and 1.0
            out[table] = con.execute(
                f"select * from (select columns(*)::varchar from {table}) order by all"
            ).fetchall()
        out["load_log"] = con.execute(
            "select load_id, outcome, mode, files, counts, n_problems, dropped_columns "
            "from load_log order by load_id"
        ).fetchall()
    return out


def _both(
    tmp_path: Path, steps: list[tuple[Path, bool]]
) -> tuple[list[LoadResult], list[LoadResult], Path, Path]:
    """Run the same loads (folder, replace) into two stores, one per path."""
    fast_db, checked_db = tmp_path / "fast.duckdb", tmp_path / "checked.duckdb"
    fast = [load_paths([f], fast_db, replace=r, fast=True) for f, r in steps]
    checked = [load_paths([f], checked_db, replace=r, fast=False) for f, r in steps]
    return fast, checked, fast_db, checked_db


def _same(tmp_path: Path, steps: list[tuple[Path, bool]], *, fast_taken: bool = True) -> None:
    fast, checked, fast_db, checked_db = _both(tmp_path, steps)
    for f, c in zip(fast, checked, strict=True):
        assert f.fast is fast_taken
        assert c.fast is False
        assert (f.accepted, f.counts, f.files, f.ignored, f.dropped) == (
            c.accepted,
            c.counts,
            c.files,
            c.ignored,
            c.dropped,
        )
        assert [p.__dict__ for p in f.problems] == [p.__dict__ for p in c.problems]
    assert _store(fast_db) == _store(checked_db)


def _csv(folder: Path, table: str) -> Path:
    return folder / f"{table}.csv"


def _edit(folder: Path, table: str, old: str, new: str, count: int = 1) -> None:
    path = _csv(folder, table)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "export"
    write_sample(folder, 400, seed=5, as_of=AS_OF)
    return folder


def _copy(sample: Path, to: Path) -> Path:
    to.mkdir(parents=True)
    for table in store.RECORD_TABLES:
        _csv(to, table).write_bytes(_csv(sample, table).read_bytes())
    return to


def test_every_rule_of_the_models_is_known_to_the_fast_path() -> None:
    rules = fastrules.derive()
    assert rules is not None, "a model has a check the fast path cannot translate"
    assert {t: list(r["columns"]) for t, r in rules.items()} == {
        t: list(m.to_schema().columns) for t, m in MODELS.items()
    }


def test_the_cached_rules_are_the_models_rules() -> None:
    """The fast path reads its SQL from a generated file (no pandera at load time); the
    models stay the one statement of the contract: a stale cache fails here."""
    assert fastrules.derive() == fastrules_cache.RULES, (
        f"pipelines/fastrules_cache.py is stale: run `{fastrules.COMMAND}`"
    )
    assert fastpath._rules() is fastrules_cache.RULES
    # the file is exactly what the command writes (so it is never edited by hand)
    assert fastrules.CACHE.read_text("utf-8") == fastrules._source(fastrules.derive())


def test_generated_export_first_load_and_reload(sample: Path, tmp_path: Path) -> None:
    _same(tmp_path, [(sample, False), (sample, False)])


def test_committed_sample_with_its_readme(tmp_path: Path) -> None:
    _same(tmp_path, [(SAMPLE, False)])


def test_corrections_new_rows_and_replace(sample: Path, tmp_path: Path) -> None:
    corrected = _copy(sample, tmp_path / "corrected")
    cases = _csv(corrected, "cases").read_text().splitlines()
    row = cases[1].split(",")
    row[5] = str(int(row[5]) + 1)  # age of the first case corrected
    cases[1] = ",".join(row)
    new = cases[2].split(",")
    new[0] = "NEW-1"  # a new case
    cases.append(",".join(new))
    _csv(corrected, "cases").write_text("\n".join(cases) + "\n")
    smaller = _copy(sample, tmp_path / "smaller")
    lines = _csv(smaller, "events").read_text().splitlines()
    _csv(smaller, "events").write_text("\n".join(lines[:-3]) + "\n")
    _same(tmp_path, [(sample, False), (corrected, False), (smaller, True), (sample, False)])


def test_plain_variants_the_fast_path_reads_as_the_checked_path(
    sample: Path, tmp_path: Path
) -> None:
    variant = _copy(sample, tmp_path / "variant")
    cases = _csv(variant, "cases").read_text().splitlines()
    header = cases[0].split(",")
    first = dict(zip(header, cases[1].split(","), strict=True))
    # yes/no/1/0, a number written 31.0, a missing optional value
    first.update(smoker="yes", diabetes="0", bmi="31.0", index_levels="")
    cases[1] = ",".join(first[h] for h in header)
    _csv(variant, "cases").write_text("\r\n".join(cases) + "\r\n")  # CRLF line ends
    _edit(variant, "assessments", ",0,", ",-0,")  # opioid_mme -0 is 0
    # columns in another order
    lines = _csv(variant, "events").read_text().splitlines()
    swapped = [",".join([*(p := line.split(","))[2:], *p[:2]]) for line in lines]
    _csv(variant, "events").write_text("\n".join(swapped) + "\n")
    _same(tmp_path, [(variant, False)])


@pytest.mark.parametrize(
    ("table", "old", "new"),
    [
        ("cases", ",61,", ",61.0,"),  # a whole number written as spreadsheets do
        ("cases", ",61,", ",+61,"),
        ("cases", "Riverside", "Ríverside"),  # not ASCII
        ("cases", "Riverside", '"Riverside"'),  # quoted
        ("cases", ",61,", ",\t61,"),  # a tab
        ("cases", ",female,", ",FEMALE,"),  # vocabulary in capitals
        ("cases", "Riverside", "  Riverside"),  # spaces around free text
        ("cases", ",L4-L5,", ",l4-l5 ; L5-s1,"),  # levels written loosely
        ("cases", ",true,", ",TRUE,"),
        ("assessments", "\n", "\n\n"),  # a blank line
        ("assessments", "\n", "\n   \n"),  # a line of spaces
        ("assessments", ",2026-", ", 2026-"),  # a space before a date
        # cells the fast path leaves to `verify` (fastrules._verified): as written they
        # match no case or timepoint, so the batch goes the checked path, which reads them
        ("assessments", "\nC", "\n C"),  # a space before an assessment's case_id
        ("assessments", ",6w,", ",6w ,"),  # and after its timepoint
        ("assessments", ",12m,", ",12M,"),  # a timepoint in capitals
        ("events", "\nC", "\n C"),  # a space before an event's case_id
    ],
)
def test_unusual_but_valid_cells_go_the_checked_path(
    sample: Path, tmp_path: Path, table: str, old: str, new: str
) -> None:
    folder = _copy(sample, tmp_path / "odd")
    text = _csv(folder, table).read_text()
    if old not in text:
        pytest.skip(f"the sample has no {old!r}")
    # in the middle of the file: the fast path must not stop at its first lines
    at = text.index(old, len(text) // 2)
    _csv(folder, table).write_text(text[:at] + new + text[at + len(old) :])
    _same(tmp_path, [(folder, False)], fast_taken=False)


def test_a_bom_goes_the_checked_path(sample: Path, tmp_path: Path) -> None:
    folder = _copy(sample, tmp_path / "bom")
    _csv(folder, "cases").write_bytes(b"\xef\xbb\xbf" + _csv(folder, "cases").read_bytes())
    _same(tmp_path, [(folder, False)], fast_taken=False)


BAD_CELLS = [
    ("cases", {"age": "17"}),
    ("cases", {"age": ".5"}),  # DuckDB alone would read 1
    ("cases", {"age": "1_8"}),  # DuckDB alone would read 18
    ("cases", {"age": "0x20"}),
    ("cases", {"bmi": "1_5"}),
    ("cases", {"bmi": "inf"}),
    ("cases", {"bmi": "nan"}),
    ("cases", {"treatment_date": "2023-3-1"}),  # DuckDB alone would read it
    ("cases", {"treatment_date": "2023/03/01"}),
    ("cases", {"treatment_date": "2999-01-01"}),  # after the day of the load
    ("cases", {"presentation_date": "2021-01-01"}),  # before the index surgery
    ("cases", {"sex": "f"}),
    ("cases", {"smoker": "maybe"}),
    ("cases", {"index_levels": "L4-L6"}),
    ("cases", {"case_id": "C 1"}),
    ("cases", {"patient_id": ""}),
    ("cases", {"clinic": "x" * 101}),
    ("assessments", {"back_pain": "11"}),
    ("assessments", {"eq5d": "-0.7"}),
    ("assessments", {"timepoint": "7m"}),
    ("assessments", {"timepoint": ""}),  # these three: left to `verify` by the fast path
    ("assessments", {"case_id": ""}),
    ("events", {"case_id": ""}),
    ("assessments", {"case_id": "C9"}),  # no such case
    ("assessments", {"assessment_date": "2023-03-05"}),  # baseline after treatment
    ("assessments", {"back_pain": "", "leg_pain": "", "odi": "", "eq5d": ""}),
    ("events", {"event_date": "2023-01-01"}),  # before the treatment
    ("events", {"event": "death"}),
    ("events", {"detail": "y" * 201}),
    ("events", {"case_id": "C9"}),
]


@pytest.mark.parametrize(("table", "changes"), BAD_CELLS)
def test_a_broken_rule_gets_the_checked_paths_report(
    tmp_path: Path, table: str, changes: dict[str, str]
) -> None:
    rows = {
        "cases": [case(), case(case_id="C2")],
        "assessments": [assessment(), assessment(case_id="C2")],
        "events": [event(), event(case_id="C2")],
    }
    rows[table][1] = {**rows[table][1], **changes}
    folder = batch(tmp_path / "bad", **rows)  # type: ignore[arg-type]
    fast, checked, _, _ = _both(tmp_path, [(folder, False)])
    assert not checked[0].accepted
    assert checked[0].problems
    assert not fast[0].accepted
    assert fast[0].fast is False
    assert [p.__dict__ for p in fast[0].problems] == [p.__dict__ for p in checked[0].problems]


@pytest.mark.parametrize("table", ["cases", "assessments", "events"])
def test_a_repeated_key_gets_the_checked_paths_report(tmp_path: Path, table: str) -> None:
    rows = {
        "cases": [case(), case(case_id="C2")],
        "assessments": [assessment(), assessment(case_id="C2")],
        "events": [event(), event(case_id="C2")],
    }
    rows[table].append(dict(rows[table][0]))
    folder = batch(tmp_path / "dup", **rows)  # type: ignore[arg-type]
    fast, checked, _, _ = _both(tmp_path, [(folder, False)])
    assert not fast[0].accepted
    assert fast[0].fast is False
    assert [p.__dict__ for p in fast[0].problems] == [p.__dict__ for p in checked[0].problems]


def test_a_repeated_key_in_an_upsert_that_changes_nothing(tmp_path: Path) -> None:
    """A repeat of a stored row changes nothing in the store, yet the batch is refused."""
    first = batch(tmp_path / "first", cases=[case()], assessments=[assessment()])
    again = batch(tmp_path / "again", cases=[case()], assessments=[assessment(), assessment()])
    fast, checked, fast_db, checked_db = _both(tmp_path, [(first, False), (again, False)])
    assert fast[0].fast
    assert not fast[1].fast
    assert not fast[1].accepted
    assert [p.__dict__ for p in fast[1].problems] == [p.__dict__ for p in checked[1].problems]
    assert _store(fast_db) == _store(checked_db)


def test_an_order_rule_against_the_stored_rows(tmp_path: Path) -> None:
    """A corrected treatment date that a stored assessment contradicts."""
    first = batch(tmp_path / "first", cases=[case()], assessments=[assessment()])
    later = batch(tmp_path / "later", cases=[case(treatment_date="2023-02-10")])
    fast, checked, fast_db, checked_db = _both(tmp_path, [(first, False), (later, False)])
    assert not fast[1].accepted
    assert not fast[1].fast
    assert [p.__dict__ for p in fast[1].problems] == [p.__dict__ for p in checked[1].problems]
    assert _store(fast_db) == _store(checked_db)


def test_the_row_limit_holds(sample: Path, tmp_path: Path) -> None:
    from pipelines.limits import Limits

    db = tmp_path / "s.duckdb"
    result = load_paths([sample], db, fast=True, limits=Limits(max_rows=100))
    assert not result.accepted
    assert not result.fast
    assert any("more than 100 rows" in p.problem for p in result.problems)


# Cells of every shape near a number or a date: the fast path must read each exactly as
# parsing.py does, or not at all (then the checked path decides).
ODD_CELLS = [
    *(
        [
            "7",
            "+7",
            "-7",
            "07",
            "7.0",
            "7.",
            ".5",
            "0.5",
            "1e1",
            "1E1",
            "1e+1",
            "1_0",
            "0x10",
            "0b1",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "Infinity",
        ]
    ),
    *(
        [
            "1e400",
            "-0",
            "+0",
            "-0.0",
            "00",
            "9007199254740993",
            "1,5",
            "1.5e",
            "7a",
            "a7",
            "-",
            "+",
            ".",
            "e",
        ]
    ),
    *(
        [
            "2023-01-05",
            "2023-1-5",
            "2023-01-5",
            "2023/01/05",
            "20230105",
            "2023-02-29",
            "2024-02-29",
        ]
    ),
    *(["12023-01-01", "0999-01-01", "1677-12-31", "1678-01-01", "2023-01-05T00:00"]),
    *(["infinity", "-infinity", "2023-01-05 (BC)", " 2023-01-05", "2023-01-05 "]),
    *(["true", "false", "TRUE", "yes", "No", "1", "0", "t", "f", "y", "n", "on"]),
]


@pytest.mark.parametrize("kind", ["int", "float", "date", "bool"])
def test_cells_read_as_parsing_reads_them_or_not_at_all(kind: str) -> None:
    _t, name = next(
        (t, n)
        for t, m in MODELS.items()
        for n, c in m.to_schema().columns.items()
        if kind_of(c) == kind
    )
    con = duckdb.connect()
    con.execute(f"create table cells (i integer, {fastpath.text_column(name)} varchar)")
    con.executemany("insert into cells values (?, ?)", list(enumerate(ODD_CELLS)))
    # the value and whether it was read as parsing.py reads it (before any range rule)
    value, read = fastrules.value_sql(kind, None, fastpath.text_column(name), f'"{name}"')
    rows = con.execute(
        f'select i, "{name}", ({read}) is true from '
        f'(select i, {value} as "{name}", {fastpath.text_column(name)} from cells) order by i'
    ).fetchall()
    values, failed = _PARSERS[kind](pa.array(ODD_CELLS, pa.string()))
    taken = 0
    for (i, got, ok), want, bad in zip(rows, values, failed, strict=True):
        if not ok:
            continue  # not read: the checked path decides
        taken += 1
        assert not bad, f"{ODD_CELLS[i]!r}: read by the fast path only"
        assert not pd.isna(want), ODD_CELLS[i]
        if kind == "date":
            want = want.date()
        assert (got, type(got) is float and math.copysign(1, got)) == (
            want,
            type(got) is float and math.copysign(1, want),
        ), ODD_CELLS[i]
    assert taken >= 3  # the plain forms are read


def test_load_log_lists_files_as_the_checked_path(sample: Path, tmp_path: Path) -> None:
    fast, _, fast_db, _ = _both(tmp_path, [(sample, False)])
    with store.reader(fast_db) as con:
        files = json.loads(con.execute("select files from load_log").fetchone()[0])  # type: ignore[index]
    assert files == fast[0].files
    assert {f["table"] for f in files} == set(store.RECORD_TABLES)


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b"a,b\n1,2\n3,4\n", 2),
        (b"a,b\n1,2\n3,4", 2),  # no line end at the end
        (b"a,b\r\n1,2\r\n3,4\r\n", 2),  # CRLF, straddling pieces at every offset below
        (b"a,b\r\n1,2\r\n3,4\r", None),  # a CR at the very end
        (b"a,b\r\n1,2\r3,4\r\n", None),  # a lone CR inside
        (b"a,b\n1,2\n\r\n3,4\n", 3),  # a blank line: counted (DuckDB's count then differs)
        (b'a,b\n1,"2"\n', None),  # a quote
        (b"a,b\n1,\t2\n", None),  # a tab
        (b"a,b\n1,\x002\n", None),  # a control byte
        ("a,b\n1,é\n".encode(), None),  # not ASCII
    ],
)
@pytest.mark.parametrize("piece", [1, 2, 3, 5, 1 << 20])
def test_vetting_in_pieces_is_vetting_whole(
    data: bytes, lines: int | None, piece: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is vetted a piece at a time; the verdict, line count and sha256 are those
    of the whole file (a CRLF may fall across two pieces)."""
    path = tmp_path / "cases.csv"
    path.write_bytes(data)
    monkeypatch.setattr(fastpath, "_CHUNK", piece)
    whole = None if lines is None else (lines, hashlib.sha256(data).hexdigest())
    assert fastpath._vet_file(path) == whole
