"""Two report jobs reading the store at the same moment get the figures they get alone.

The report once ran the adjusted comparisons and the completeness table one after the
other, because both attached the facts sidecar under one alias ("database with name
facts_db already exists"). The facts now live in the store and every query has its
own read_only cursor, so reports/content.py runs them side by side (issue 11's
network report at a million cases). Here each thread's first connection waits at a
barrier until the other thread has opened its own: both are provably open together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics import overview, readers
from analytics.adjust.pathways import compare
from analytics.filters import Filters

AS_OF = dt.date(2025, 12, 31)


def _completeness(db: Path) -> pd.DataFrame:
    return overview.completeness(db, as_of=AS_OF, filters=Filters())


def _compare(db: Path) -> dict[str, Any]:
    return compare(db, timepoint="12m", responder="odi_mic", min_cell=5, as_of=AS_OF)


def _meeting_reader(met: list[int]) -> Callable[[Any], Any]:
    """The shared readers' cursor (analytics/readers.py, every query's) whose first cursor
    in each thread waits until two are open."""
    barrier = threading.Barrier(2, timeout=60)
    first = threading.local()
    real_reader = readers.shared.cursor

    @contextlib.contextmanager
    def reader(path: Any) -> Iterator[Any]:
        with real_reader(path) as con:
            if not getattr(first, "done", False):
                first.done = True
                met.append(barrier.wait())  # raises BrokenBarrierError if alone
            yield con

    return reader


def test_adjusted_and_completeness_read_the_store_at_once(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone_completeness, alone_compare = _completeness(sample_db), _compare(sample_db)
    # the figures are real ones, not two empty answers agreeing
    assert alone_completeness["n_rows"].gt(0).all()
    assert alone_compare["balance"]

    met: list[int] = []
    monkeypatch.setattr(readers.shared, "cursor", _meeting_reader(met))
    jobs: list[Callable[[Path], Any]] = [_completeness, _compare]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = [f.result() for f in [pool.submit(job, sample_db) for job in jobs]]
    assert sorted(met) == [0, 1]  # both connections were open at the same time
    pd.testing.assert_frame_equal(together[0], alone_completeness)
    assert together[1] == alone_compare
