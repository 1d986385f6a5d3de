"""`compare`: the adjusted pathway comparison on real stores, against independent fits (issue 9)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from analytics import summary
from analytics.adjust import data
from analytics.adjust.pathways import DIFFERENCE_FIELDS, PATHWAY_FIELDS, compare, covariates
from analytics.definitions import AnalyticsError
from analytics.filters import Filters
from tests.analytics.adjust_stores import (
    confounded_rows,
    drop_case_columns,
    fast_store,
    set_case_column,
)
from tests.analytics.builders import assessment, case, make_store

TOL = 1e-6
ABSENT = ("symptom_months", "workers_compensation", "litigation", "depression")


@pytest.fixture(scope="module")
def confounded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 confounded cases with a true effect of zero; ASA grade recorded for some; a
    store from before the contract had the other new risk factors (so they are absent)."""
    cases, rows = confounded_rows(3000, seed=7)
    path = fast_store(tmp_path_factory.mktemp("adjust") / "confounded.duckdb", cases, rows)
    rng = np.random.default_rng(1)
    asa = {c["case_id"]: None if rng.random() < 0.2 else int(rng.integers(1, 4)) for c in cases}
    set_case_column(path, "asa_grade", asa)
    drop_case_columns(path, ABSENT)
    return path


def test_simulation_with_no_true_effect(confounded: Path) -> None:
    result = compare(confounded)
    diff = result["difference"]
    # Sicker patients got repeat surgery and do worse: crude is clearly below zero ...
    assert diff["unadjusted_ci_high"] < -0.1
    # ... while the treatment did nothing: the adjusted intervals cover zero,
    assert diff["adjusted_ci_low"] < 0 < diff["adjusted_ci_high"]
    assert diff["doubly_robust_ci_low"] < 0 < diff["doubly_robust_ci_high"]
    assert diff["mean_change_adjusted_ci_low"] < 0 < diff["mean_change_adjusted_ci_high"]
    # and weighting balances every covariate (overlap weights: exactly).
    assert max(abs(b["smd_adjusted"]) for b in result["balance"]) < 1e-9
    assert max(abs(b["smd_unadjusted"]) for b in result["balance"]) > 0.3
    assert not any("still differ" in w for w in result["warnings"])


def test_adjusted_figures_match_an_independent_reference_fit(confounded: Path) -> None:
    result = compare(confounded)
    frame = data.case_frame(confounded, timepoint="12m", responder="odi_mic").cases
    t = (frame["pathway"] == "repeat_surgery").to_numpy(dtype=float)
    y = frame["is_responder"].to_numpy(dtype=float)
    change = frame["improvement"].to_numpy(dtype=float)
    design = covariates(frame, ABSENT, "odi")
    x = sm.add_constant(design.raw)  # unstandardised: the same fitted probabilities
    e = np.asarray(
        sm.GLM(t, x, family=sm.families.Binomial()).fit(tol=1e-13).fittedvalues, dtype=float
    )
    w = np.where(t == 1, 1 - e, e)
    arms = np.column_stack([t, 1 - t])
    rate = sm.WLS(y, arms, weights=w).fit(cov_type="HC0")
    mean = sm.WLS(change, arms, weights=w).fit(cov_type="HC0")
    repeat, less = result["pathways"]
    assert repeat["adjusted_rate"] == pytest.approx(rate.params[0], abs=TOL)
    assert less["adjusted_rate"] == pytest.approx(rate.params[1], abs=TOL)
    low, high = np.asarray(rate.conf_int())[0]
    assert (repeat["adjusted_ci_low"], repeat["adjusted_ci_high"]) == pytest.approx(
        (low, high), abs=TOL
    )
    assert repeat["adjusted_mean_change"] == pytest.approx(mean.params[0], abs=TOL)
    assert less["adjusted_mean_change"] == pytest.approx(mean.params[1], abs=TOL)
    contrast = rate.t_test(np.array([[1.0, -1.0]]))
    diff = result["difference"]
    assert diff["adjusted"] == pytest.approx(float(contrast.effect[0]), abs=TOL)
    assert (diff["adjusted_ci_low"], diff["adjusted_ci_high"]) == pytest.approx(
        tuple(np.asarray(contrast.conf_int())[0]), abs=TOL
    )
    contrast = mean.t_test(np.array([[1.0, -1.0]]))
    assert (diff["mean_change_adjusted_ci_low"], diff["mean_change_adjusted_ci_high"]) == (
        pytest.approx(tuple(np.asarray(contrast.conf_int())[0]), abs=TOL)
    )
    # Kish's effective n and the balance table, from the definitions.
    assert repeat["effective_n"] == pytest.approx(w[t == 1].sum() ** 2 / (w[t == 1] ** 2).sum())
    age = design.raw[:, design.names.index("age")]
    pooled = np.sqrt((age[t == 1].var(ddof=1) + age[t == 0].var(ddof=1)) / 2)
    by_name = {b["covariate"]: b for b in result["balance"]}
    assert by_name["age"]["smd_unadjusted"] == pytest.approx(
        (age[t == 1].mean() - age[t == 0].mean()) / pooled, abs=TOL
    )
    # The doubly robust difference: an outcome GLM with the arm, then the AIPW formula.
    out = sm.GLM(
        y, sm.add_constant(np.column_stack([t, design.raw])), family=sm.families.Binomial()
    ).fit(tol=1e-13)
    ones, zeros = np.ones(len(t)), np.zeros(len(t))
    mu1 = out.predict(sm.add_constant(np.column_stack([ones, design.raw]), has_constant="add"))
    mu0 = out.predict(sm.add_constant(np.column_stack([zeros, design.raw]), has_constant="add"))
    psi = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e)
    assert diff["doubly_robust_all_cases"] == pytest.approx(psi.mean(), abs=TOL)
    half = 1.959963984540054 * psi.std() / np.sqrt(len(psi))
    assert diff["doubly_robust_all_cases_ci_high"] == pytest.approx(psi.mean() + half, abs=TOL)
    # The check of the overlap-weighted figure targets the same (overlap) population
    # (Mao, Li & Greene 2019): the tilted model difference plus each arm's weighted residual.
    h = e * (1 - e)
    tilted = (h * (mu1 - mu0)).sum() / h.sum()
    residual1 = np.average(y[t == 1] - mu1[t == 1], weights=(1 - e)[t == 1])
    residual0 = np.average(y[t == 0] - mu0[t == 0], weights=e[t == 0])
    assert diff["doubly_robust"] == pytest.approx(tilted + residual1 - residual0, abs=TOL)


def test_crude_figures_are_those_of_fbss_summary(confounded: Path) -> None:
    result = compare(confounded)
    crude = summary(confounded, by="pathway").set_index("pathway")
    for row in result["pathways"]:
        ref = crude.loc[row["pathway"]]
        assert row["n_analysed"] == ref["n_assessed"] - ref["n_excluded"]
        assert row["responders"] == ref["responders"]
        assert row["rate"] == pytest.approx(ref["responder_rate"], abs=1e-12)
        assert row["rate_ci_low"] == pytest.approx(ref["responder_ci_low"], abs=1e-12)
    rates = [r["rate"] for r in result["pathways"]]
    assert result["difference"]["unadjusted"] == pytest.approx(rates[0] - rates[1])


def test_covariates_used_and_dropped_are_named(confounded: Path) -> None:
    result = compare(confounded)
    assert "asa_grade" in result["covariates"]  # present in this store, partly recorded
    assert "asa_grade missing" in result["covariates"]
    assert "bmi missing" in result["covariates"]
    dropped = {d["covariate"]: d["reason"] for d in result["dropped_covariates"]}
    assert dropped["depression"] == "not in the store yet"
    assert dropped["diabetes"] == "not recorded for any case"
    assert dropped["index_surgery"] == "one value in view (discectomy)"
    assert any("not adjusted for" in w and "depression" in w for w in result["warnings"])
    assert set(result["pathways"][0]) == set(PATHWAY_FIELDS)
    assert set(result["difference"]) == set(DIFFERENCE_FIELDS)


def test_two_treatments_are_the_two_arms(confounded: Path) -> None:
    chosen = Filters(treatment=("spinal_cord_stimulation", "revision_fusion"))
    result = compare(confounded, filters=chosen)
    # The repeat-surgery treatment is the first arm whatever the order given.
    assert [p["pathway"] for p in result["pathways"]] == [
        "revision_fusion",
        "spinal_cord_stimulation",
    ]
    assert result["difference"]["adjusted"] == pytest.approx(
        compare(confounded)["difference"]["adjusted"], abs=1e-12
    )


def _store(tmp_path: Path, ages: dict[str, int]) -> Path:
    """Cases named R* (repeat surgery) or L* (less invasive) with the given ages."""
    cases = [
        case(
            cid,
            treatment="revision_fusion" if cid[0] == "R" else "spinal_cord_stimulation",
            age=age,
        )
        for cid, age in ages.items()
    ]
    rows = []
    for i, cid in enumerate(ages):
        rows += [assessment(cid, "baseline", odi=50), assessment(cid, "12m", odi=30 + i % 3 * 10)]
    return make_store(tmp_path / "small.duckdb", cases, rows)


def test_a_small_pathway_is_suppressed(tmp_path: Path) -> None:
    db = _store(tmp_path, {"R1": 50, "R2": 60, **{f"L{i}": 40 + i for i in range(8)}})
    result = compare(db, min_cell=5)
    assert result["suppressed"] is True
    assert all(v is None for row in result["pathways"] for k, v in row.items() if k != "pathway")
    assert all(v is None for v in result["difference"].values())
    assert "small-cell" in result["warnings"][0]


def test_an_empty_pathway_gives_a_clear_message(tmp_path: Path) -> None:
    db = _store(tmp_path, {f"L{i}": 40 + i for i in range(8)})
    with pytest.raises(AnalyticsError, match="no analysed cases in repeat_surgery"):
        compare(db, min_cell=0)


def test_perfect_separation_gives_a_clear_message(tmp_path: Path) -> None:
    # Everyone over 60 had repeat surgery, everyone under had less invasive care.
    ages = {**{f"R{i}": 61 + i for i in range(8)}, **{f"L{i}": 40 + i for i in range(8)}}
    with pytest.raises(AnalyticsError, match="separates the two pathways perfectly"):
        compare(_store(tmp_path, ages), min_cell=5)
