"""Small-cell suppression and its secondary step; property tests with hypothesis."""

from __future__ import annotations

from itertools import combinations, product

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.suppression import apply_suppression, suppression_mask


def hidden(frame: pd.DataFrame, **kwargs: object) -> list[bool]:
    return suppression_mask(frame, **kwargs).tolist()  # type: ignore[arg-type]


def test_one_small_group_takes_the_next_smallest_with_it() -> None:
    frame = pd.DataFrame({"cause": ["a", "b", "c", "d"], "n": [9, 3, 12, 6]})
    # b (3) is below 5; alone, the total minus a, c, d would give it away: d (6) goes too
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [
        False,
        True,
        False,
        True,
    ]


def test_two_small_groups_need_no_secondary_step() -> None:
    frame = pd.DataFrame({"cause": ["a", "b", "c"], "n": [2, 3, 12]})
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [True, True, False]


def test_off_and_boundary() -> None:
    frame = pd.DataFrame({"cause": ["a", "b"], "n": [0, 5]})
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=0) == [False, False]
    # exactly min_cell is shown; 0 is below it
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [True, True]
    single = pd.DataFrame({"n": [4]})
    assert hidden(single, keys=[], denominator="n", min_cell=5) == [True]


def test_ties_take_the_first_row_in_result_order() -> None:
    frame = pd.DataFrame({"cause": ["a", "b", "c"], "n": [7, 7, 1]})
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [True, False, True]


def test_margins_of_a_two_column_grouping() -> None:
    # cause x pathway; x/p is small. The overall total reveals it -> y/p (the smallest
    # shown) goes; cause x's total would reveal x/p -> x/q goes; cause y's total would
    # reveal y/p -> y/q goes. Pathway totals then each cover two hidden cells: stable.
    frame = pd.DataFrame(
        {
            "cause": ["x", "x", "y", "y", "z", "z"],
            "pathway": ["p", "q", "p", "q", "p", "q"],
            "n": [2, 20, 8, 30, 12, 40],
        }
    )
    assert hidden(frame, keys=["cause", "pathway"], denominator="n", min_cell=5) == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_partitions_are_independent() -> None:
    frame = pd.DataFrame(
        {
            "event": ["reop", "reop", "reop", "comp", "comp", "comp"],
            "cause": ["a", "b", "c"] * 2,
            "n": [3, 6, 9, 10, 6, 9],
        }
    )
    mask = hidden(frame, keys=["cause"], denominator="n", min_cell=5, partition_by=["event"])
    assert mask == [True, True, False, False, False, False]


def test_apply_nulls_figures_and_keeps_keys() -> None:
    frame = pd.DataFrame(
        {"cause": ["a", "b"], "n": pd.array([3, 30], dtype="Int64"), "rate": [0.5, 0.4]}
    )
    out = apply_suppression(
        frame, keys=["cause"], denominator="n", min_cell=5, value_columns=["n", "rate"]
    )
    assert out["cause"].tolist() == ["a", "b"]
    assert out["suppressed"].tolist() == [True, True]
    assert out["n"].isna().all()
    assert out["rate"].isna().all()
    assert str(out["n"].dtype) == "Int64"


@st.composite
def grouped_tables(draw: st.DrawFn) -> tuple[pd.DataFrame, list[str], int]:
    """A grouped result: 1-3 key columns, some cells of the grid absent, random counts."""
    n_keys = draw(st.integers(1, 3))
    keys = [f"k{i}" for i in range(n_keys)]
    levels = [[f"{key}{v}" for v in range(draw(st.integers(1, 4)))] for key in keys]
    grid = [dict(zip(keys, cell, strict=True)) for cell in product(*levels)]
    present = draw(st.lists(st.booleans(), min_size=len(grid), max_size=len(grid)))
    rows = [row for row, keep in zip(grid, present, strict=True) if keep] or grid[:1]
    counts = draw(st.lists(st.integers(0, 30), min_size=len(rows), max_size=len(rows)))
    frame = pd.DataFrame(rows).assign(n=counts)
    return frame, keys, draw(st.integers(1, 12))


@settings(max_examples=300, deadline=None)
@given(grouped_tables())
def test_shown_totals_never_reveal_a_suppressed_cell(
    table: tuple[pd.DataFrame, list[str], int],
) -> None:
    frame, keys, min_cell = table
    mask = suppression_mask(frame, keys=keys, denominator="n", min_cell=min_cell)
    # every small cell is hidden
    assert mask[frame["n"] < min_cell].all()
    # no total (overall or any margin) covers exactly one hidden cell among several: the
    # total minus the shown cells would otherwise be that cell's value
    for size in range(len(keys)):
        for margin in combinations(keys, size):
            groups = frame.groupby(list(margin)) if margin else [((), frame)]
            for _, part in groups:
                if len(part) >= 2:
                    assert mask[part.index].sum() != 1


@pytest.mark.parametrize("min_cell", [1, 5, 11])
def test_no_change_when_all_cells_are_large(min_cell: int) -> None:
    frame = pd.DataFrame({"cause": list("abc"), "n": [20, 30, 40]})
    assert not any(hidden(frame, keys=["cause"], denominator="n", min_cell=min_cell))
