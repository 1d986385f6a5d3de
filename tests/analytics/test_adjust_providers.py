"""`providers`: indirect standardisation and shrinkage against direct formulas (issue 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.meta_analysis import combine_effects

from analytics import funnel
from analytics.adjust import data
from analytics.adjust.design import build_design
from analytics.adjust.providers import FIELDS, providers
from analytics.definitions import AnalyticsError
from tests.analytics.adjust_stores import confounded_rows, fast_store
from tests.analytics.builders import assessment, case, make_store

TOL = 1e-6


@pytest.fixture(scope="module")
def with_effects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,400 confounded cases; Dr A's patients improve more, Dr B's less."""
    cases, rows = confounded_rows(2400, seed=5, physician_effect={"Dr A": 0.2, "Dr B": -0.2})
    return fast_store(tmp_path_factory.mktemp("providers") / "effects.duckdb", cases, rows)


def _reference(db: Path) -> pd.DataFrame:
    """O, E, variance per physician from a statsmodels GLM on the same covariates."""
    cf = data.case_frame(db, timepoint="12m", responder="odi_mic")
    frame = cf.cases
    design = build_design(
        frame, numeric=("age", "baseline_value", *data.RISK_FACTORS), categories=data.CATEGORIES
    )
    y = frame["is_responder"].to_numpy(dtype=float)
    glm = sm.GLM(y, sm.add_constant(design.raw), family=sm.families.Binomial())
    p = np.asarray(glm.fit(tol=1e-13).fittedvalues)
    ref = (
        pd.DataFrame({"physician": frame["physician"], "o": y, "e": p, "v": p * (1 - p)})
        .groupby("physician", observed=True)
        .sum()
    )
    ref["overall"] = y.mean()
    return ref


def test_indirect_standardisation_matches_a_reference_glm(with_effects: Path) -> None:
    ours = providers(with_effects, by="physician", adjusted=True).set_index("physician")
    ref = _reference(with_effects)
    assert ours["responders"].tolist() == ref["o"].astype(int).tolist()
    assert np.allclose(ours["expected"], ref["e"], atol=TOL)
    assert np.allclose(ours["oe_ratio"], ref["o"] / ref["e"], atol=TOL)
    assert np.allclose(ours["adjusted_rate"], ref["o"] / ref["e"] * ref["overall"], atol=TOL)
    # Limits for O given E (normal approximation), and the positions they give.
    for tag, z in (("95", 1.959963984540054), ("998", 3.090232306167813)):
        low = ref["e"] - z * np.sqrt(ref["v"])
        high = ref["e"] + z * np.sqrt(ref["v"])
        assert np.allclose(ours[f"o_low_{tag}"], low, atol=TOL)
        expected = np.where(ref["o"] < low, "below", np.where(ref["o"] > high, "above", "within"))
        assert ours[f"position_{tag}"].tolist() == expected.tolist()
    assert ours.loc["Dr A", "position_998"] == "above"
    assert ours.loc["Dr B", "position_998"] == "below"


def test_shrunken_rate_is_dersimonian_laird_empirical_bayes(with_effects: Path) -> None:
    ours = providers(with_effects, by="physician", adjusted=True).set_index("physician")
    ref = _reference(with_effects)
    ratio = ref["o"] / ref["e"]
    v = ref["v"] / ref["e"] ** 2
    w = 1 / v
    fixed = (w * ratio).sum() / w.sum()
    q = (w * (ratio - fixed) ** 2).sum()
    tau2 = max(0.0, (q - (len(ratio) - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    assert tau2 > 0
    # statsmodels' meta-analysis gives the same between-unit variance and mean.
    meta = combine_effects(ratio.to_numpy(), v.to_numpy(), method_re="dl")
    assert float(meta.tau2) == pytest.approx(tau2, rel=1e-9)
    w_re = 1 / (v + tau2)
    mean = (w_re * ratio).sum() / w_re.sum()
    assert float(meta.mean_effect_re) == pytest.approx(mean, rel=1e-9)
    shrunk = mean + tau2 / (tau2 + v) * (ratio - mean)
    assert np.allclose(ours["shrunken_rate"], shrunk * ref["overall"], atol=TOL)
    # Every unit moves toward the mean, never past it.
    gap = ours["adjusted_rate"] - mean * ref["overall"]
    assert ((ours["shrunken_rate"] - mean * ref["overall"]).abs() <= gap.abs() + 1e-12).all()


def test_crude_rows_are_the_funnel(with_effects: Path) -> None:
    ours = providers(with_effects, by="clinic").set_index("clinic")
    points = funnel(with_effects, unit="clinic").points.set_index("clinic")
    assert ours["n"].tolist() == points["n"].tolist()
    assert ours["rate"].tolist() == points["responder_rate"].tolist()
    assert ours["position_95"].tolist() == points["position_95"].tolist()
    assert ours[["expected", "oe_ratio", "adjusted_rate", "shrunken_rate"]].isna().all().all()
    assert list(ours.reset_index().columns) == ["clinic", *FIELDS]


def test_a_group_with_one_outcome_gets_its_observed_probability(tmp_path: Path) -> None:
    # Every pseudarthrosis case responded: the fit's limit gives them p = 1 exactly.
    cases, rows = [], []
    for i in range(12):
        cause = "pseudarthrosis" if i < 4 else "epidural_fibrosis"
        cid = f"C{i}"
        cases.append(case(cid, cause=cause, age=40 + 3 * i, physician=f"Dr {i % 2}"))
        follow = 10 if (cause == "pseudarthrosis" or i % 3 == 0) else 45
        rows += [assessment(cid, "baseline", odi=50), assessment(cid, "12m", odi=follow)]
    db = make_store(tmp_path / "pure.duckdb", cases, rows)
    ours = providers(db, by="physician", adjusted=True, min_cell=0).set_index("physician")
    frame = data.case_frame(db, timepoint="12m", responder="odi_mic").cases
    rest = frame[frame["cause"] != "pseudarthrosis"]
    y = rest["is_responder"].to_numpy(dtype=float)
    glm = sm.GLM(y, sm.add_constant(rest[["age"]].to_numpy()), family=sm.families.Binomial())
    p = pd.Series(np.asarray(glm.fit(tol=1e-13).fittedvalues), index=rest.index)
    pure = (frame["cause"] == "pseudarthrosis").astype(float)
    expected = (
        (p.reindex(frame.index).fillna(pure)).groupby(frame["physician"], observed=True).sum()
    )
    assert np.allclose(ours["expected"], expected, atol=TOL)


def test_small_units_are_suppressed_and_bad_units_refused(with_effects: Path) -> None:
    ours = providers(with_effects, by="physician", adjusted=True, min_cell=1000)
    assert ours["suppressed"].all()
    assert ours[["n", "expected", "position_95"]].isna().all().all()
    with pytest.raises(AnalyticsError, match="--by must be one of"):
        providers(with_effects, by="treatment", adjusted=True)
