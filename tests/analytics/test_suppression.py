"""Small-cell suppression, its secondary step and rounding: hand-worked tables, properties."""

from __future__ import annotations

from itertools import combinations, product

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.suppression import (
    _lines,
    _values,
    apply_suppression,
    round_counts,
    round_to_base,
    suppression_mask,
)
from analytics.suppression_audit import pinned_figures


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
    # exactly min_cell is shown; 0 is an empty group, left out of suppression (issue 10)
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [False, False]
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
    # every small cell is hidden; empty ones (0) never are
    assert mask[(frame["n"] > 0) & (frame["n"] < min_cell)].all()
    assert not mask[frame["n"] == 0].any()
    # a total (overall or any margin) over hidden cells: at least two of them, together
    # at least min_cell, or else the total itself is below min_cell (so it is hidden
    # wherever it is published) -- the total minus the shown cells is their sum
    for size in range(len(keys)):
        for margin in combinations(keys, size):
            groups = frame.groupby(list(margin)) if margin else [((), frame)]
            for _, part in groups:
                cells = part[mask[part.index]]
                if len(cells) and len(part) >= 2:
                    protected = len(cells) >= 2 and cells["n"].sum() >= min_cell
                    # the known gap: one hidden row whose line holds nothing else but
                    # empty rows equals that line's total, which must be hidden where
                    # it is published (docs/analytics.md)
                    others_empty = (part.loc[~mask[part.index], "n"] == 0).all()
                    assert protected or part["n"].sum() < min_cell or others_empty


@pytest.mark.parametrize("min_cell", [1, 5, 11])
def test_no_change_when_all_cells_are_large(min_cell: int) -> None:
    frame = pd.DataFrame({"cause": list("abc"), "n": [20, 30, 40]})
    assert not any(hidden(frame, keys=["cause"], denominator="n", min_cell=min_cell))


def test_hidden_cells_of_a_line_must_reach_the_limit_together() -> None:
    # a and b are small and together 2: the total minus c and d gives "2 between them"
    frame = pd.DataFrame({"cause": list("abcd"), "n": [1, 1, 30, 40]})
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [True, True, True, False]


def test_hidden_numerators_must_not_total_zero() -> None:
    # a and b hold 7 together but nobody responded: hide c (it has responders), not d
    frame = pd.DataFrame({"cause": list("abcd"), "n": [3, 4, 20, 25], "responders": [0, 0, 5, 0]})
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [True, True, True, False]


def test_hidden_numerators_must_not_total_the_whole_denominator() -> None:
    # everyone in a and b responded; c (10 of 20) is the smallest that mends it
    frame = pd.DataFrame({"cause": list("abcd"), "n": [3, 4, 20, 25], "responders": [3, 4, 10, 0]})
    assert hidden(frame, keys=["cause"], denominator="n", min_cell=5) == [True, True, True, False]


def test_numerator_rule_can_be_switched_off() -> None:
    frame = pd.DataFrame({"cause": list("abc"), "n": [3, 4, 20], "responders": [0, 0, 5]})
    kwargs = {"keys": ["cause"], "denominator": "n", "min_cell": 5}
    assert hidden(frame, numerators=(), **kwargs) == [True, True, False]


def test_structurally_empty_group_is_left_out_and_forces_nothing() -> None:
    # nobody without a baseline ODI is ever assessable: that 0 is shown, not hidden, and
    # bed_bound (3) takes the next smallest group with it, not the empty one
    frame = pd.DataFrame(
        {
            "baseline_severity": ["minimal", "moderate", "bed_bound", "no_baseline_odi"],
            "n": [28, 135, 3, 0],
        }
    )
    kwargs = {"keys": ["baseline_severity"], "denominator": "n", "min_cell": 5}
    assert hidden(frame, **kwargs) == [True, False, True, False]
    alone = pd.DataFrame({"baseline_severity": ["a", "b", "c"], "n": [0, 20, 30]})
    assert hidden(alone, **kwargs) == [False, False, False]


def test_an_empty_group_with_a_small_other_count_is_hidden() -> None:
    # no denominator, but 3 cases: the 3 is a small count, so the row is hidden and
    # protected like any other (b joins it)
    frame = pd.DataFrame({"cause": list("abc"), "n": [0, 20, 30], "n_cases": [3, 25, 40]})
    kwargs = {"keys": ["cause"], "denominator": "n", "min_cell": 5}
    assert hidden(frame, counts=["n_cases"], **kwargs) == [True, True, False]


def test_a_row_equal_to_a_public_total_is_the_secondary_cell_last() -> None:
    # cause x has one pathway only: x/p equals cause x's published total, so hiding it
    # would hide nothing. z/p goes instead; then causes y and z need their other cell.
    frame = pd.DataFrame(
        {
            "cause": ["x", "y", "y", "z", "z"],
            "pathway": ["p", "p", "q", "p", "q"],
            "n": [8, 2, 20, 10, 11],
        }
    )
    mask = hidden(frame, keys=["cause", "pathway"], denominator="n", min_cell=5)
    assert mask == [False, True, True, True, True]


@pytest.mark.parametrize(
    ("base", "values", "expected"),
    [
        (5, [0, 1, 2, 3, 7, 8, 12, 13], [0, 0, 0, 5, 5, 10, 10, 15]),
        (10, [4, 5, 14, 15], [0, 10, 10, 20]),  # halves go up
        (1, [3, 7], [3, 7]),  # base 1: unchanged
    ],
)
def test_round_to_base(base: int, values: list[int], expected: list[int]) -> None:
    out = round_to_base(pd.Series(values, dtype="Int64"), base)
    assert out.tolist() == expected


def test_rounding_keeps_nulls() -> None:
    out = round_to_base(pd.Series([7, None], dtype="Int64"), 5)
    assert out.iloc[0] == 5
    assert pd.isna(out.iloc[1])


def test_rates_are_recomputed_from_rounded_counts() -> None:
    frame = pd.DataFrame(
        {
            "n_cases": pd.array([17, None], dtype="Int64"),
            "n_due": pd.array([13, None], dtype="Int64"),
            # issue 8: completion is returned / due; 1 returned without a baseline
            "n_followup_returned": pd.array([9, None], dtype="Int64"),
            "n_no_baseline": pd.array([1, None], dtype="Int64"),
            "n_assessed": pd.array([8, None], dtype="Int64"),
            "n_excluded": pd.array([1, None], dtype="Int64"),
            "responders": pd.array([3, None], dtype="Int64"),
            "followup_rate": [9 / 13, None],
            "responder_rate": [3 / 7, None],
            "responder_ci_low": [0.1, None],
            "responder_ci_high": [0.8, None],
            "mean_change": [-9.5, None],
        }
    )
    out = round_counts(frame, 5)
    row = out.iloc[0]
    assert [row[c] for c in ("n_cases", "n_due", "n_assessed", "n_excluded", "responders")] == [
        15,
        15,
        10,
        0,
        5,
    ]
    assert [row["n_followup_returned"], row["n_no_baseline"]] == [10, 0]
    assert row["followup_rate"] == pytest.approx(10 / 15)
    assert row["responder_rate"] == pytest.approx(5 / 10)
    # Wilson 95% interval for 5 of 10, worked by hand: (0.2366, 0.7634)
    assert row["responder_ci_low"] == pytest.approx(0.2366, abs=1e-4)
    assert row["responder_ci_high"] == pytest.approx(0.7634, abs=1e-4)
    assert row["mean_change"] == -9.5  # not a count
    assert out.iloc[1].isna().all()  # a suppressed row stays suppressed
    assert frame.loc[0, "n_cases"] == 17  # the input is not changed


def test_a_rounded_rate_never_passes_one() -> None:
    # 12 assessed -> 10, 3 excluded -> 5: denominator 5; 9 responders -> 10
    frame = pd.DataFrame(
        {"n_assessed": [12], "n_excluded": [3], "responders": [9], "responder_rate": [1.0]}
    )
    assert round_counts(frame, 5).loc[0, "responder_rate"] == 1.0


def test_rounding_base_zero_is_off_and_negative_is_refused() -> None:
    frame = pd.DataFrame({"n_cases": [7]})
    assert round_counts(frame, 0).equals(frame)
    with pytest.raises(ValueError, match="0 or more"):
        round_counts(frame, -5)


def test_an_empty_row_hidden_for_a_small_count_gets_a_partner_in_its_line() -> None:
    # x/q has nobody assessable but 1 case: hidden. x/p is then not "the only row of
    # cause x" (x/q is not left shown), so it can and must join x/q; the pathway lines
    # then take y/p and y/q. (Found on the sample: arachnoiditis x repeat surgery.)
    frame = pd.DataFrame(
        {
            "cause": ["x", "x", "y", "y"],
            "pathway": ["p", "q", "p", "q"],
            "n": [20, 0, 30, 40],
            "n_cases": [25, 1, 35, 45],
        }
    )
    kwargs = {"keys": ["cause", "pathway"], "denominator": "n", "min_cell": 5}
    assert hidden(frame, counts=["n_cases"], **kwargs) == [True, True, True, True]


def test_a_row_equal_to_a_public_total_is_hidden_when_nothing_else_can_be() -> None:
    # every cause has one pathway: y/p is the only partner x/p can get. Hiding it helps
    # because the one-way result by cause then hides cause y's total as well.
    frame = pd.DataFrame({"cause": ["x", "y"], "pathway": ["p", "p"], "n": [1, 11]})
    kwargs = {"keys": ["cause", "pathway"], "denominator": "n", "min_cell": 4}
    assert hidden(frame, **kwargs) == [True, True]
    one_way = hidden(frame[["cause", "n"]], keys=["cause"], denominator="n", min_cell=4)
    assert one_way == [True, True]


COUNTS = ["n_cases", "n_due", "n_followup_returned", "n_no_baseline", "n_assessed",
          "n_excluded", "responders"]  # fmt: skip


def _summary_rows(rows: dict[str, tuple[int, ...]]) -> pd.DataFrame:
    """A one-way summary result: group -> the seven counts in COUNTS order."""
    frame = pd.DataFrame([(k, *v) for k, v in rows.items()], columns=["g", *COUNTS])
    return frame.assign(_den=frame["n_assessed"] - frame["n_excluded"])


def test_counts_tied_together_are_audited_together() -> None:
    # a (3 assessed) is hidden and takes b (6) with it: the line rules hold (9 together,
    # 3 responders of 9). But returned - assessed over a and b is 9 - 9 = 0, so each of
    # them has nobody without a baseline, although neither count alone is pinned. The
    # audit hides c, the smallest row with someone without a baseline.
    frame = _summary_rows(
        {
            "a": (8, 5, 3, 0, 3, 0, 1),
            "b": (11, 8, 6, 0, 6, 0, 2),
            "c": (14, 11, 9, 1, 8, 0, 3),
            "d": (27, 24, 22, 2, 20, 0, 10),
        }
    )
    mask = hidden(frame, keys=["g"], denominator="_den", min_cell=5, counts=COUNTS)
    assert mask == [True, True, True, False]


def test_a_zero_by_construction_is_not_chased_through_the_table() -> None:
    # The sample's one-way result by baseline severity at 12 months, as of 2024-06-30.
    # Only the no_baseline_odi group (empty: nobody assessable) has anyone without a
    # baseline, so the hidden bands' n_no_baseline is 0 whatever is hidden: hiding more
    # bands cannot change that and would hide the whole result (it did: 5 of 6 rows).
    frame = _summary_rows(
        {
            "bed_bound": (13, 6, 4, 0, 4, 0, 0),
            "crippling": (84, 46, 34, 0, 34, 0, 9),
            "minimal": (27, 15, 9, 0, 9, 0, 7),
            "moderate": (135, 78, 54, 0, 54, 0, 21),
            "no_baseline_odi": (43, 26, 19, 19, 0, 0, 0),
            "severe": (173, 99, 68, 0, 68, 0, 23),
        }
    )
    mask = hidden(frame, keys=["g"], denominator="_den", min_cell=5, counts=COUNTS)
    assert frame.loc[mask, "g"].tolist() == ["bed_bound", "minimal"]


def test_linked_partitions_hide_a_group_in_every_partition() -> None:
    # Two measures over the same cases: a is small for leg pain only. Unlinked, a's case
    # count shown under ODI would give back the count hidden under leg pain.
    frame = pd.DataFrame(
        {
            "measure": ["leg_pain"] * 3 + ["odi"] * 3,
            "g": ["a", "b", "c"] * 2,
            "n": [3, 10, 12, 8, 10, 12],
        }
    )
    kwargs = {"keys": ["g"], "denominator": "n", "min_cell": 5, "partition_by": ["measure"]}
    assert hidden(frame, **kwargs) == [True, True, False, False, False, False]
    assert hidden(frame, **kwargs, linked=True) == [True, True, False, True, True, False]


def test_a_small_group_among_empty_groups_takes_one_of_them_as_partner() -> None:
    # "none" (no baseline ODI) groups have nobody assessable: empty, left shown. But a's
    # is small (4 cases) and hidden, and the "none" line would give its 4 cases back as
    # the band's total (31) minus b's 15 and c's 12 unless one of them is hidden too.
    rows = {
        ("a", "mild"): (20, 20, 16, 0, 16, 0, 6),
        ("a", "severe"): (30, 30, 25, 0, 25, 0, 9),
        ("a", "none"): (4, 4, 3, 3, 0, 0, 0),
        ("b", "mild"): (25, 25, 20, 0, 20, 0, 8),
        ("b", "severe"): (35, 35, 30, 0, 30, 0, 12),
        ("b", "none"): (15, 15, 11, 11, 0, 0, 0),
        ("c", "mild"): (22, 22, 18, 0, 18, 0, 7),
        ("c", "severe"): (28, 28, 24, 0, 24, 0, 10),
        ("c", "none"): (12, 12, 8, 8, 0, 0, 0),
    }
    frame = pd.DataFrame([(c, b, *v) for (c, b), v in rows.items()], columns=["c", "b", *COUNTS])
    frame = frame.assign(_den=frame["n_assessed"] - frame["n_excluded"])
    mask = suppression_mask(frame, keys=["c", "b"], denominator="_den", min_cell=5, counts=COUNTS)
    none = frame["b"] == "none"
    assert mask[none].tolist() == [True, True, False]  # b's (15) is the smaller partner
    lines = _lines(frame, ["c", "b"], ())
    values = {c: _values(frame, c) for c in ["_den", *COUNTS]}
    assert list(pinned_figures(values, mask.to_numpy(), lines)) == []


def _grid_candidates(row: pd.Series, shown_n: int) -> list[int]:
    """The attack of the review: n whose mean x n is a whole number of tenths (one-decimal
    scores), among the five n that round to the shown count."""
    return [
        n
        for n in range(shown_n - 2, shown_n + 3)
        if all(abs(row[c] * n * 10 - round(row[c] * n * 10)) < 1e-6 for c in ("baseline_mean", "followup_mean"))
    ]  # fmt: skip


def test_rounded_counts_come_with_means_that_do_not_give_n_back() -> None:
    # 32 assessed, baseline sum 1709.0 and follow-up sum 1734.5 (tenths of ODI points):
    # exact means 53.40625 and 54.203125 fit only n = 32 of 28..32 (the review's attack).
    frame = pd.DataFrame(
        {
            "n_assessed": [32],
            "baseline_mean": [1709.0 / 32],
            "followup_mean": [1734.5 / 32],
            "mean_change": [(1709.0 - 1734.5) / 32],
            "mean_change_ci_low": [-5.929383959572789],
            "mean_change_ci_high": [4.335633959572789],
        }
    )
    assert _grid_candidates(frame.iloc[0], 30) == [32]
    out = round_counts(frame, 5).iloc[0]
    assert out["n_assessed"] == 30
    assert [out["baseline_mean"], out["followup_mean"], out["mean_change"]] == [53.4, 54.2, -0.8]
    assert [out["mean_change_ci_low"], out["mean_change_ci_high"]] == [-5.9, 4.3]
    # 53.4 x n is a whole number of tenths for every n: the attack no longer picks one
    assert _grid_candidates(out, 30) == [28, 29, 30, 31, 32]
    # admins (base 0) keep the exact means
    assert round_counts(frame, 0).loc[0, "baseline_mean"] == 1709.0 / 32


def test_rounded_counts_come_with_survival_in_whole_percent() -> None:
    # 1 - 3/139 = 0.97841...: exact, only n = 139 of 137..141 gives it as (n - d) / n
    frame = pd.DataFrame(
        {
            "n_cases": [139],
            "km_free_12m": [136 / 139],
            "km_free_12m_ci_low": [0.9371],
            "km_free_12m_ci_high": [0.9926],
            "km_free_24m": [0.9441467283859349],
        }
    )
    out = round_counts(frame, 5).iloc[0]
    assert out["n_cases"] == 140
    assert [out["km_free_12m"], out["km_free_12m_ci_low"], out["km_free_12m_ci_high"]] == [
        0.98, 0.94, 0.99,
    ]  # fmt: skip
    assert out["km_free_24m"] == 0.94
    fits = [
        n
        for n in range(138, 143)
        for d in range(1, n)
        if abs((n - d) / n - out["km_free_12m"]) < 1e-12
    ]
    assert fits == []  # no n near the shown count gives 0.98 exactly: n is not recovered


def test_plain_intervals_are_coarsened_by_what_they_bound() -> None:
    curve = pd.DataFrame(
        {"survival": [0.97841], "ci_low": [0.9371], "ci_high": [0.9926], "at_risk": [139]}
    )
    out = round_counts(curve, 5).iloc[0]
    assert [out["survival"], out["ci_low"], out["ci_high"], out["at_risk"]] == [
        0.98,
        0.94,
        0.99,
        140,
    ]
    means = pd.DataFrame(
        {
            "n_values": [32],
            "mean": [53.40625],
            "sd": [12.345],
            "ci_low": [49.06],
            "ci_high": [57.75],
        }
    )
    out = round_counts(means, 5).iloc[0]
    assert [out["n_values"], out["mean"], out["sd"], out["ci_low"], out["ci_high"]] == [
        30,
        53.4,
        12.3,
        49.1,
        57.8,
    ]
