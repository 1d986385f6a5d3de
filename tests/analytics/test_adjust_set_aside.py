"""Groups set aside by the pathway comparison never name a count under the small-cell limit
(review finding: "1 cases with sex=other (all had repeat_surgery)" described one patient)."""

from __future__ import annotations

import numpy as np

from analytics.adjust.design import Design, one_sided_groups


def _design(column: list[float], name: str) -> Design:
    matrix = np.asfortranarray(np.array(column, dtype=float).reshape(-1, 1))
    return Design(
        matrix=matrix, names=(name,), dropped=(), binary=(True,),
        means=np.zeros(1), sds=np.ones(1),
    )  # fmt: skip


def test_a_small_one_sided_group_is_named_without_its_count() -> None:
    # 1 case with sex=other, all in the first arm; the other 9 cases are mixed.
    design = _design([1] + [0] * 9, "sex=other")
    arm = np.array([1, 1, 0, 1, 0, 1, 0, 0, 1, 0], dtype=float)
    rows, notes = one_sided_groups(design, arm, ("repeat surgery", "less invasive"))
    assert rows.tolist() == [True] + [False] * 9
    assert notes == ["fewer than 5 cases with sex=other (all repeat surgery)"]


def test_a_large_one_sided_group_keeps_its_count() -> None:
    design = _design([1] * 6 + [0] * 6, "cause=arachnoiditis")
    arm = np.array([0] * 6 + [1, 0, 1, 0, 1, 0], dtype=float)
    _, notes = one_sided_groups(design, arm, ("repeat surgery", "less invasive"))
    assert notes == ["6 cases with cause=arachnoiditis (all less invasive)"]
