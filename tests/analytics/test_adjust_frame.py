"""The adjusted figures' case frame and design matrix, made with less memory, are the same.

Issue 7 (the server's memory against the number of cases): the case frame is read
through Arrow instead of DuckDB's `.df()`, and the design matrix is written in place
instead of being collected and copied. These tests compare each with the plain
formulation it replaced, exactly (dtypes, categories and every bit of every value).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from access.scope import Scope
from analytics import queries
from analytics.adjust import data
from analytics.adjust.design import build_design
from analytics.filters import Filters
from pipelines import facts, store
from tests.analytics.adjust_stores import (
    PHYSICIANS,
    confounded_rows,
    drop_case_columns,
    fast_store,
    set_case_column,
)


def _store(path: Path) -> Path:
    """2,000 cases; ASA grade recorded for some; two risk factors absent (older store)."""
    cases, rows = confounded_rows(2000, seed=11)
    fast_store(path, cases, rows)
    rng = np.random.default_rng(3)
    asa = {c["case_id"]: None if rng.random() < 0.3 else int(rng.integers(1, 4)) for c in cases}
    set_case_column(path, "asa_grade", asa)
    drop_case_columns(path, ("litigation", "depression"))
    return path


@pytest.fixture(scope="module")
def confounded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store with its facts built in the file, as `fbss load` leaves it (ENUMs)."""
    path = _store(tmp_path_factory.mktemp("frame") / "confounded.duckdb")
    con = store.connect(path, read_only=False)
    try:
        facts.build(con)
    finally:
        con.close()
    return path


def _by_df(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    """The formulation before issue 7's change: DuckDB's own DataFrame conversion."""
    return con.execute(sql, params).df()


def _doubles(present: dict[str, str]) -> str:
    """The risk factors as the query read them before: every one a double."""
    return "".join(
        f'k."{f}"::{"double" if f in data.NUMERIC_FACTORS else "boolean::integer::double"}'
        f' as "{f}",\n'
        for f in data.RISK_FACTORS
        if f in present
    )


def _before(monkeypatch: pytest.MonkeyPatch) -> None:
    """case_frame as it was: the physician as text, doubles, and `.df()`."""
    monkeypatch.setattr(data, "_fetch", _by_df)
    monkeypatch.setattr(data, "_risk_sql", _doubles)
    monkeypatch.setattr(data, "_physician_sql", lambda con, values: "c.physician")


VIEWS = {
    "all cases": Filters(),
    "two physicians": Filters(physician=PHYSICIANS[:2]),
    "two treatments": Filters(treatment=("revision_fusion", "spinal_cord_stimulation")),
    "nobody": Filters(physician=("Dr Nobody",)),
    "a physician's view (peers renamed)": Filters(
        scope=Scope("physician", (), PHYSICIANS[0], peer_key="k")
    ),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_frame_through_arrow_is_the_frame_dataframe_conversion_gives(
    confounded: Path, monkeypatch: pytest.MonkeyPatch, view: str
) -> None:
    ours = data.case_frame(confounded, timepoint="12m", responder="odi:30%", filters=VIEWS[view])
    _before(monkeypatch)
    before = data.case_frame(confounded, timepoint="12m", responder="odi:30%", filters=VIEWS[view])
    pd.testing.assert_frame_equal(ours.cases, before.cases, check_exact=True)
    for column in ours.cases.columns:  # ordered categoricals (the facts' ENUMs) both ways
        assert ours.cases[column].dtype == before.cases[column].dtype, column
    assert isinstance(ours.cases["pathway"].dtype, pd.CategoricalDtype)
    assert ours.cases["pathway"].dtype.ordered
    assert ours.absent_factors == before.absent_factors == ("litigation", "depression")
    if view == "nobody":
        assert ours.cases.empty
    else:
        assert len(ours.cases) > 100
        assert ours.cases["asa_grade"].isna().any()
        assert ours.cases["asa_grade"].notna().any()
    assert ours.cases["physician"].dtype == object
    if view.startswith("a physician's"):
        assert set(ours.cases["physician"]) - {PHYSICIANS[0]} <= {
            f"Peer {i}" for i in range(1, len(PHYSICIANS))
        }


def test_the_physician_goes_through_the_sort_as_the_facts_enum_only_when_safe(
    confounded: Path, tmp_path: Path
) -> None:
    admin = {**Filters().params(), "as_of": None}
    peers = {**VIEWS["a physician's view (peers renamed)"].params(), "as_of": None}
    with queries.connection(confounded) as con:
        assert data._physician_sql(con, admin) == 'c.physician::"case_facts_physician"'
        assert data._physician_sql(con, peers) == "c.physician"  # "Peer N" is no ENUM value
    with queries.connection(_store(tmp_path / "old.duckdb")) as con:  # facts in memory: text
        assert data._physician_sql(con, admin) == "c.physician"


def test_the_frame_through_arrow_from_facts_built_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store from before the facts were stored: its readers' facts have text, not ENUMs."""
    old = _store(tmp_path / "old.duckdb")
    ours = data.case_frame(old, timepoint="12m", responder="odi:30%")
    _before(monkeypatch)
    before = data.case_frame(old, timepoint="12m", responder="odi:30%")
    pd.testing.assert_frame_equal(ours.cases, before.cases, check_exact=True)
    assert ours.cases["pathway"].dtype == before.cases["pathway"].dtype == object
    assert len(ours.cases) > 100


def _plain_design(frame: pd.DataFrame, numeric: tuple[str, ...], categories: tuple[str, ...]):
    """build_design's matrix as first written: collect columns, stack, standardise."""
    columns = []
    for col in numeric:
        values = frame[col].to_numpy(dtype=float)
        seen = ~np.isnan(values)
        filled = np.where(seen, values, values[seen].mean())
        if np.ptp(filled) > 0:
            columns.append(filled)
        if not seen.all():
            columns.append((~seen).astype(float))
    for col in categories:
        codes, levels = pd.factorize(frame[col])
        reference = int(np.argmax(np.bincount(codes)))
        for code in sorted(range(len(levels)), key=lambda c: str(levels[c])):
            if code != reference:
                columns.append((codes == code).astype(float))
    matrix = np.asfortranarray(np.column_stack(columns))  # column slices contiguous, as before
    return (matrix - matrix.mean(axis=0)) / matrix.std(axis=0)


def test_the_design_written_in_place_is_the_stacked_and_standardised_matrix() -> None:
    rng = np.random.default_rng(5)
    n = 60_000
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n).astype(float),
            "bmi": np.where(rng.random(n) < 0.2, np.nan, rng.normal(28, 5, n)),
            "smoker": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) < 0.3).astype(float),
            "constant": np.where(rng.random(n) < 0.5, np.nan, 1.0),  # only its indicator
            "cause": pd.Categorical(rng.choice(["a", "b", "c", "d"], n, p=[0.1, 0.2, 0.3, 0.4])),
            "sex": rng.choice(["female", "male"], n, p=[0.6, 0.4]),
        }
    )
    numeric, categories = ("age", "bmi", "smoker", "constant"), ("cause", "sex")
    design = build_design(frame, numeric=numeric, categories=categories)
    assert design.names == (
        "age", "bmi", "bmi missing", "smoker", "smoker missing", "constant missing",
        "cause=a", "cause=b", "cause=c", "sex=male",
    )  # fmt: skip
    assert design.matrix.flags.f_contiguous
    assert np.array_equal(design.matrix, _plain_design(frame, numeric, categories))
