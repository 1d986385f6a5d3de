"""Case-level draws: clinic and physician, cause, patient, index surgery, treatment, and
the hidden severity and relief that the follow-up draws depend on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines import vocabulary as vocab
from pipelines.sample.draw import (
    by_code,
    dates,
    ids,
    pick,
    with_na,
)
from pipelines.sample.parameters import (
    AGE_SHIFT_BY_CAUSE,
    ASA_GRADE_SHARES,
    CAUSE_SHARES,
    CLINICS,
    DEPRESSION_RATE,
    INDEX_SURGERY_BY_CAUSE,
    LITIGATION_RATE,
    LOWEST_LEVEL,
    N_LEVELS_BY_INDEX_SURGERY,
    PHYSICIANS,
    REFERRAL_CENTRE,
    RELIEF_BY_CAUSE,
    RELIEF_BY_RISK,
    RELIEF_BY_TREATMENT,
    RISK_MISSING,
    SEVERITY_BY_CAUSE,
    SEX_SHARES,
    SURGERY_LOG_ODDS,
    SURGERY_PENALTY_BY_CAUSE,
    TREATMENT_BY_CAUSE,
    WORKERS_COMPENSATION_RATE,
    YEARS_OF_CASES,
    YEARS_TO_PRESENTATION,
    Clinic,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def draw_cases(rng: np.random.Generator, n: int, as_of: int) -> dict[str, np.ndarray]:
    """Every case-level value, plus the hidden ones (severity, relief) outcomes depend on."""
    import numpy as np

    causes, treatments = list(vocab.CAUSES), list(vocab.TREATMENTS)
    c: dict[str, np.ndarray] = {}
    clinics = {
        field: np.array(values)
        for field, values in zip(Clinic._fields, zip(*CLINICS, strict=True), strict=True)
    }
    clinic_of = np.array([p.clinic for p in PHYSICIANS])
    volume = np.array([p.volume for p in PHYSICIANS])
    share = clinics["share"][clinic_of] * volume / np.bincount(clinic_of, weights=volume)[clinic_of]
    c["physician"] = pick(rng, share, None, n)
    clinic = c["clinic"] = clinic_of[c["physician"]]

    # Cause by clinic: the referral centre sees twice the arachnoiditis.
    cause_table = np.tile(by_code(CAUSE_SHARES, causes), (len(CLINICS), 1))
    cause_table[REFERRAL_CENTRE, causes.index("arachnoiditis")] *= 2
    cause = c["cause"] = pick(rng, cause_table, clinic, n)
    c["sex"] = pick(rng, by_code(SEX_SHARES, vocab.SEXES), None, n)
    age_shift = clinics["age_shift"][clinic] + by_code(AGE_SHIFT_BY_CAUSE, causes)[cause]
    age = 57 + age_shift + rng.normal(0, 13, n)
    c["age"] = np.clip(np.rint(age), 18, 95).astype(np.int64)
    c["bmi"] = np.clip(np.round(rng.lognormal(np.log(28.5), 0.17, n), 1), 15, 60)
    c["smoker"] = rng.random(n) < np.clip(0.34 - 0.003 * (c["age"] - 40), 0.08, 0.4)
    c["diabetes"] = rng.random(n) < np.clip(
        0.02 + 0.002 * c["age"] + 0.01 * (c["bmi"] - 28), 0.02, 0.5
    )
    after_fusion = cause == causes.index("adjacent_segment_disease")  # often a second fusion
    c["prior_surgeries"] = np.minimum(1 + rng.poisson(np.where(after_fusion, 0.8, 0.4)), 20)

    # Index surgery and its levels (contiguous, counted up from the lowest level).
    c["index_surgery"] = pick(
        rng,
        np.array([by_code(INDEX_SURGERY_BY_CAUSE[k], vocab.INDEX_SURGERIES) for k in causes]),
        cause,
        n,
    )
    n_levels_table = np.array([N_LEVELS_BY_INDEX_SURGERY[k] for k in vocab.INDEX_SURGERIES])
    n_levels = 1 + pick(rng, n_levels_table, c["index_surgery"], n)
    c["lowest_level"] = pick(rng, by_code(LOWEST_LEVEL, vocab.LEVELS), None, n)
    c["n_levels"] = np.minimum(n_levels, c["lowest_level"] + 1)  # no level above T12-L1

    # Dates as days since 1970. More recent years hold more cases (a growing registry).
    span = YEARS_OF_CASES * 365
    u = rng.random(n)
    ago = np.where(rng.random(n) < 0.5, span * u, span * (1 - np.sqrt(u)))
    c["treatment_date"] = as_of - np.floor(ago).astype(np.int64)
    wait = np.minimum(np.rint(rng.lognormal(np.log(45), 0.7, n)), 365).astype(np.int64)
    c["presentation_date"] = c["treatment_date"] - wait
    median, sigma = (np.array([YEARS_TO_PRESENTATION[k][i] for k in causes]) for i in (0, 1))
    years = np.minimum(rng.lognormal(np.log(median[cause]), sigma[cause]), 30)
    c["index_surgery_date"] = c["presentation_date"] - np.maximum(
        np.rint(years * 365.25), 42
    ).astype(np.int64)

    # Hidden baseline severity (in SD units) drives every baseline measure together.
    shift = clinics["severity_shift"][clinic] + by_code(SEVERITY_BY_CAUSE, causes)[cause]
    c["severity"] = shift + 0.15 * c["smoker"] + rng.normal(0, 1, n)
    _draw_risk_factors(rng, c)

    # Treatment: first the pathway, from the cause table tilted by each clinic's surgical
    # preference and then by case mix (sicker, more often operated, pseudarthrosis lean
    # to repeat surgery); then the treatment within the pathway from the same table.
    is_surgery = np.array([vocab.pathway_of(t) == "repeat_surgery" for t in treatments])
    by_cause = np.array([by_code(TREATMENT_BY_CAUSE[k], treatments) for k in causes])
    tilt = np.where(is_surgery[None, :], clinics["surgery_preference"][:, None], 1.0)
    table = (by_cause[None, :, :] * tilt[:, None, :]).reshape(-1, len(treatments))
    group = clinic * len(causes) + cause
    p_table = np.clip((table * is_surgery).sum(axis=1) / table.sum(axis=1), 1e-6, 1 - 1e-6)
    odds = SURGERY_LOG_ODDS
    log_odds = (
        np.log(p_table / (1 - p_table))[group]
        + odds["severity"] * c["severity"]
        + odds["prior_surgeries"] * (c["prior_surgeries"] - 1)
        + odds["pseudarthrosis"] * (cause == causes.index("pseudarthrosis"))
    )
    surgery = rng.random(n) < 1 / (1 + np.exp(-log_odds))
    in_surgery = pick(rng, table * is_surgery, group, n)
    in_less = pick(rng, table * ~is_surgery, group, n)
    treatment = c["treatment"] = np.where(surgery, in_surgery, in_less)
    c["is_surgery"] = is_surgery[treatment]

    # Hidden relief at full effect: cause x treatment, then case mix, physician and chance.
    relief = np.array(
        [
            [RELIEF_BY_CAUSE.get(k, {}).get(t, RELIEF_BY_TREATMENT[t]) for t in treatments]
            for k in causes
        ]
    )
    for k, penalty in SURGERY_PENALTY_BY_CAUSE.items():
        unnamed = [j for j, t in enumerate(treatments) if t not in RELIEF_BY_CAUSE[k]]
        relief[causes.index(k), unnamed] -= penalty * is_surgery[unnamed]
    physician_effect = rng.normal(0, 0.04, len(PHYSICIANS))
    risk = RELIEF_BY_RISK
    # The issue-9 risk factors enter centred on their mean, so the average relief (and the
    # sample's overall responder rate) stays where it was before they existed.
    new_risks = [
        (risk["depression"], c["depression"]),
        (risk["workers_compensation"], c["workers_compensation"]),
        (risk["litigation"], c["litigation"]),
        (risk["asa_per_grade"], c["asa_grade"]),
        (risk["symptom_per_year"], np.minimum(c["symptom_months"] / 12, 10)),
    ]
    c["relief"] = np.clip(
        relief[cause, treatment]
        - 0.004 * (c["age"] - 55)
        + risk["smoker"] * c["smoker"]
        - 0.04 * c["diabetes"]
        - 0.006 * np.maximum(c["bmi"] - 28, 0)
        - 0.04 * (c["prior_surgeries"] - 1)
        + risk["severity"] * c["severity"]
        + sum(weight * (x - x.mean()) for weight, x in new_risks)
        + physician_effect[c["physician"]]
        + rng.normal(0, 0.22, n),
        -0.6,
        0.95,
    )
    # Optional fields left blank now and then (after the hidden values used them).
    for name, p in (("bmi", 0.08), ("smoker", 0.05), ("diabetes", 0.06), ("prior_surgeries", 0.07)):
        c[f"{name}_missing"] = rng.random(n) < p
    for name, p in RISK_MISSING.items():
        c[f"{name}_missing"] = rng.random(n) < p
    c["levels_missing"] = rng.random(n) < 0.12
    # Pseudonyms: distinct random numbers, unrelated to the case number.
    width = max(6, len(str(n)))
    c["case_id"] = ids("C", np.arange(1, n + 1), width)
    c["patient_id"] = ids(
        "P", 1 + rng.choice(10 ** (len(str(n)) + 1) - 1, n, replace=False), width + 1
    )
    return c


def _draw_risk_factors(rng: np.random.Generator, c: dict[str, np.ndarray]) -> None:
    """Depression, compensation, litigation, ASA grade and symptom duration (issue 9)."""
    from statistics import NormalDist

    import numpy as np

    n = len(c["age"])
    base = np.log(DEPRESSION_RATE / (1 - DEPRESSION_RATE))
    c["depression"] = rng.random(n) < 1 / (1 + np.exp(-(base + 0.5 * c["severity"])))
    working_age = c["age"] < 67
    c["workers_compensation"] = working_age & (rng.random(n) < WORKERS_COMPENSATION_RATE)
    c["litigation"] = rng.random(n) < LITIGATION_RATE * np.where(c["workers_compensation"], 3, 1)
    # ASA grade: a latent health score cut at the shares' normal quantiles; older, heavier
    # and diabetic patients rank higher. Grade 5 (moribund) is not seen in this clinic.
    cuts = [NormalDist().inv_cdf(q) for q in np.cumsum(ASA_GRADE_SHARES)[:-1]]
    health = (
        0.03 * (c["age"] - 57)
        + 0.05 * (c["bmi"] - 28.5)
        + 0.9 * c["diabetes"]
        + rng.normal(0, 1, n)
    )
    c["asa_grade"] = 1 + np.searchsorted(cuts, health).astype(np.int64)
    # The current pain began after the index surgery, some time before presentation.
    since = (c["presentation_date"] - c["index_surgery_date"]) / 30.44
    months = np.rint(since * rng.uniform(0.4, 1.0, n))
    c["symptom_months"] = np.clip(months, 1, 600).astype(np.int64)


def cases_frame(c: dict[str, np.ndarray]) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    levels = vocab.LEVELS
    span = np.empty((len(levels), 3), dtype=object)  # lowest level x number of levels
    for low in range(len(levels)):
        for k in range(1, 4):
            span[low, k - 1] = ";".join(levels[max(0, low - k + 1) : low + 1])
    index_levels = span[c["lowest_level"], c["n_levels"] - 1]
    index_levels[c["levels_missing"]] = None
    names = {  # code lists in vocabulary order, indexed by the drawn category numbers
        "clinic": [row[0] for row in CLINICS], "physician": [row[0] for row in PHYSICIANS],
        "sex": vocab.SEXES, "index_surgery": vocab.INDEX_SURGERIES, "cause": vocab.CAUSES,
        "treatment": vocab.TREATMENTS,
    }  # fmt: skip
    label = {col: np.array(list(codes), dtype=object)[c[col]] for col, codes in names.items()}
    frame = pd.DataFrame(
        {
            "case_id": c["case_id"],
            "patient_id": c["patient_id"],
            "clinic": label["clinic"],
            "physician": label["physician"],
            "sex": label["sex"],
            "age": pd.array(c["age"], dtype="Int64"),
            "bmi": with_na(c["bmi"], c["bmi_missing"], "Float64"),
            "smoker": with_na(c["smoker"], c["smoker_missing"], "boolean"),
            "diabetes": with_na(c["diabetes"], c["diabetes_missing"], "boolean"),
            "prior_surgeries": with_na(c["prior_surgeries"], c["prior_surgeries_missing"], "Int64"),
            "index_surgery": label["index_surgery"],
            "index_levels": index_levels,
            "index_surgery_date": dates(c["index_surgery_date"]),
            "presentation_date": dates(c["presentation_date"]),
            "cause": label["cause"],
            "treatment": label["treatment"],
            "treatment_date": dates(c["treatment_date"]),
            **{
                name: with_na(c[name], c[f"{name}_missing"], kind)
                for name, kind in (
                    ("asa_grade", "Int64"),
                    ("symptom_months", "Int64"),
                    ("workers_compensation", "boolean"),
                    ("litigation", "boolean"),
                    ("depression", "boolean"),
                )
            },
        }
    )
    return frame
