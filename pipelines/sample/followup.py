"""Follow-up draws: each timepoint's questionnaire (answered or not, when, with which
scores) and the events after treatment (reoperation, crossover, complications)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines import vocabulary as vocab
from pipelines.sample.draw import (
    by_code,
    dates,
    with_na,
)
from pipelines.sample.parameters import (
    BACK_PAIN_TILT,
    DATE_JITTER,
    EVENT_DETAILS,
    HARDWARE_TREATMENTS,
    ITEM_MISSING,
    LEG_PAIN_TILT,
    RELIEF_CURVE,
    RESPONSE_RATE,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def assessments_frame(
    rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int
) -> pd.DataFrame:
    from statistics import NormalDist

    import numpy as np
    import pandas as pd

    n, codes = len(c["cause"]), list(vocab.TIMEPOINTS)
    treat = c["treatment_date"]

    # Which questionnaires exist: due (nominal day reached by as_of), answered (a per-case
    # willingness shared across timepoints, so dropout clusters), and returned by as_of.
    nominal = np.array([vocab.TIMEPOINTS[t].days for t in codes])
    threshold = np.array([NormalDist().inv_cdf(RESPONSE_RATE[t]) for t in codes])
    willing = 0.6 * rng.normal(0, 1, (n, 1)) + 0.8 * rng.normal(0, 1, (n, len(codes)))
    late, sd = np.array([DATE_JITTER.get(t, (0, 0)) for t in codes]).T
    jitter = np.rint(late + sd * np.clip(rng.normal(0, 1, (n, len(codes))), -3, 3))
    date = np.maximum(treat[:, None] + nominal + jitter, treat[:, None] + 1).astype(np.int64)
    lead = np.minimum(rng.integers(0, 22, n), treat - c["presentation_date"])  # before treatment
    date[:, 0] = treat - lead
    present = (treat[:, None] + nominal <= as_of) & (willing < threshold) & (date <= as_of)
    case, tp = np.nonzero(present)  # row-major: sorted by case, then timepoint
    m, follow_up = len(case), tp > 0

    # Baselines: one hidden severity moves all measures; back- or leg-dominant causes tilt.
    sev = c["severity"]
    back_tilt = by_code(BACK_PAIN_TILT, vocab.CAUSES)[c["cause"]]
    leg_tilt = by_code(LEG_PAIN_TILT, vocab.CAUSES)[c["cause"]]
    odi_0 = 42 + 15 * sev + rng.normal(0, 8, n)
    back_0 = 6.2 + 1.2 * sev + back_tilt + rng.normal(0, 1.3, n)
    leg_0 = 5.8 + 1.2 * sev + leg_tilt + rng.normal(0, 1.6, n)
    eq5d_0 = 0.36 - 0.16 * sev + rng.normal(0, 0.11, n)
    on_opioids_0 = rng.random(n) < np.clip(0.47 + 0.08 * sev, 0.1, 0.9)
    mme_0 = np.where(on_opioids_0, np.clip(rng.lognormal(np.log(35), 0.75, n), 2.5, 600), 0.0)
    working_age = c["age"] < 67
    working_0 = working_age & (rng.random(n) < 0.42 - 0.08 * sev)

    # Relief at this row's timepoint: the case's relief along its pathway's curve, plus noise.
    curve = np.zeros((2, len(codes)))
    curve[0, 1:], curve[1, 1:] = RELIEF_CURVE["less_invasive"], RELIEF_CURVE["repeat_surgery"]
    r = (
        c["relief"][case] * curve[c["is_surgery"][case].astype(int), tp]
        + rng.normal(0, 0.07, m) * follow_up
    )

    def noisy(sd: float) -> np.ndarray:
        return rng.normal(0, sd, m) * follow_up  # baselines are the baselines, no extra noise

    odi_latent = np.clip(odi_0[case] * (1 - r) + noisy(4.5), 0, 100)
    odi = np.round(odi_latent, 1)
    back = np.clip(np.rint(back_0[case] * (1 - 0.9 * r) + noisy(1.0)), 0, 10)
    leg = np.clip(np.rint(leg_0[case] * (1 - r) + noisy(1.1)), 0, 10)
    eq5d = np.clip(eq5d_0[case] + (0.9 - eq5d_0[case]) * 0.75 * r + noisy(0.06), -0.594, 1.0)
    eq5d = np.round(eq5d, 3) + 0.0  # + 0.0 turns -0.0 into 0.0, never written "-0"

    # Opioids: users taper as relief comes (some stop), a few non-users start.
    user = on_opioids_0[case]
    keeps = rng.random(m) < np.clip(0.92 - 0.45 * r, 0.3, 0.98)
    starts = rng.random(m) < 0.04 + 0.1 * np.maximum(-r, 0)
    taper = mme_0[case] * np.clip(1 - 0.5 * r, 0.3, 1.5) * rng.lognormal(0, 0.2, m)
    new_dose = rng.lognormal(np.log(20), 0.5, m)
    mme = np.where(follow_up, np.where(user, keeps * taper, starts * new_dose), mme_0[case])
    mme = np.round(np.clip(mme, 0, 1000), 1)

    p_work = np.where(working_0[case], 0.85 + 0.1 * r, 0.05 + 0.35 * np.maximum(r, 0))
    working = np.where(follow_up & working_age[case], rng.random(m) < p_work, working_0[case])
    gain = (odi_0[case] - odi_latent) / np.maximum(odi_0[case], 10) + rng.normal(0, 0.15, m)
    answers = ("satisfied", "uncertain", "dissatisfied")
    satisfied, uncertain, dissatisfied = (vocab.SATISFACTION.index(k) for k in answers)
    satisfaction = np.where(gain > 0.3, satisfied, np.where(gain < 0.05, dissatisfied, uncertain))

    missing = {name: rng.random(m) < p for name, p in ITEM_MISSING.items()}
    missing["satisfaction"] |= ~follow_up
    core = ("back_pain", "leg_pain", "odi", "eq5d")
    missing["odi"] &= ~np.logical_and.reduce([missing[k] for k in core])  # keep one measure
    satisfaction_codes = np.array([*vocab.SATISFACTION, None], dtype=object)
    return pd.DataFrame(
        {
            "case_id": c["case_id"][case],
            "timepoint": np.array(codes, dtype=object)[tp],
            "assessment_date": dates(date[case, tp]),
            "back_pain": with_na(back, missing["back_pain"], "Int64"),
            "leg_pain": with_na(leg, missing["leg_pain"], "Int64"),
            "odi": with_na(odi, missing["odi"], "Float64"),
            "eq5d": with_na(eq5d, missing["eq5d"], "Float64"),
            "opioid_mme": with_na(mme, missing["opioid_mme"], "Float64"),
            "working": with_na(working, missing["working"], "boolean"),
            "satisfaction": satisfaction_codes[np.where(missing["satisfaction"], 3, satisfaction)],
        }
    )


def events_frame(rng: np.random.Generator, c: dict[str, np.ndarray], as_of: int) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    n, treatments = len(c["cause"]), list(vocab.TREATMENTS)
    treat, surgery, treatment = c["treatment_date"], c["is_surgery"], c["treatment"]
    # Poor responders go back to the surgeon: hazards scale with how little relief came.
    poor = np.exp(-3 * (c["relief"] - 0.25))

    def given(*codes: str) -> np.ndarray:
        return np.isin(treatment, [treatments.index(t) for t in codes])

    def after(hazard_per_year: np.ndarray, floor_days: int) -> np.ndarray:
        """Days from treatment to an exponential event time; inf where the hazard is 0."""
        with np.errstate(divide="ignore"):
            years = rng.exponential(1.0, n) / hazard_per_year
        return np.where(hazard_per_year > 0, floor_days + np.floor(years * 365.25), np.inf)

    def detail(options: tuple[str, ...]) -> np.ndarray:
        return np.array(options, dtype=object)[rng.integers(0, len(options), n)]

    # Repeat surgery: reoperation (more after an extended fusion, pseudarthrosis, smoking).
    reop_hazard = (
        0.022 * poor**0.7 * np.where(given("adjacent_level_fusion"), 1.5, 1.0)
        * np.where(c["cause"] == list(vocab.CAUSES).index("pseudarthrosis"), 1.3, 1.0)
        * np.where(c["smoker"], 1.3, 1.0)
    )  # fmt: skip
    reop_days = after(np.where(surgery, reop_hazard, 0), 30)
    # Less invasive care that fails leads to surgery: a crossover and a reoperation that day.
    convert_days = after(np.where(surgery, 0, 0.018 * poor), 60)
    # Surgery that fails may cross over to cord stimulation, injections or medication.
    leave_days = after(np.where(surgery, 0.03 * poor, 0), 60)

    base_risk = {t: 0.09 if vocab.pathway_of(t) == "repeat_surgery" else 0.012 for t in treatments}
    base_risk.update({"percutaneous_adhesiolysis": 0.03, "platelet_lysate_hydrodissection": 0.03,
                      "spinal_cord_stimulation": 0.03, "medication_management": 0.005,
                      "physical_therapy": 0.002})  # fmt: skip
    risk = (
        np.array([base_risk[t] for t in treatments])[treatment]
        * np.where(c["smoker"], 1.3, 1.0) * np.where(c["diabetes"], 1.4, 1.0)
        * np.where(c["age"] > 70, 1.3, 1.0)
    )  # fmt: skip
    complication = rng.random(n) < risk
    complication_days = np.minimum(np.floor(rng.exponential(8, n)), 90)
    readmitted = rng.random(n) < np.where(complication, 0.35, np.where(surgery, 0.03, 0.004))
    readmission_days = np.where(
        complication, complication_days + rng.integers(0, 6, n), 2 + rng.integers(0, 60, n)
    )
    hardware = given(*HARDWARE_TREATMENTS)
    device_days = after(
        np.where(given("spinal_cord_stimulation"), 0.05, np.where(hardware, 0.012, 0)), 30
    )

    def either(first: str, second: str) -> np.ndarray:  # surgical detail, else the other
        return np.where(surgery, detail(EVENT_DETAILS[first]), detail(EVENT_DETAILS[second]))

    never = np.inf
    rows = (  # (event, days after treatment or inf for none, detail)
        ("reoperation", np.where(surgery, reop_days, convert_days),
         detail(EVENT_DETAILS["reoperation"])),
        ("crossover", np.where(surgery, leave_days, convert_days),
         either("crossover_from_surgery", "crossover_to_surgery")),
        ("complication", np.where(complication, complication_days, never),
         either("complication_surgery", "complication_less_invasive")),
        ("readmission", np.where(readmitted, readmission_days, never),
         np.where(complication, "Related to complication", detail(EVENT_DETAILS["readmission"]))),
        ("device_revision", device_days,
         np.where(hardware, detail(EVENT_DETAILS["device_revision_hardware"]),
                  detail(EVENT_DETAILS["device_revision_scs"]))),
    )  # fmt: skip
    event_codes = list(vocab.EVENTS)
    case_idx, day, kind, text = [], [], [], []
    for event, days, details in rows:  # five event types, each at most once per case
        happened = treat + days <= as_of
        case_idx.append(np.flatnonzero(happened))
        day.append((treat + np.where(happened, days, 0).astype(np.int64))[happened])
        kind.append(np.full(happened.sum(), event_codes.index(event)))
        text.append(np.asarray(details, dtype=object)[happened])
    case_i, days_i, kind_i, text_i = (np.concatenate(x) for x in (case_idx, day, kind, text))
    order = np.lexsort((kind_i, days_i, case_i))
    return pd.DataFrame(
        {
            "case_id": c["case_id"][case_i[order]],
            "event_date": dates(days_i[order]),
            "event": np.array(event_codes, dtype=object)[kind_i[order]],
            "detail": text_i[order],
        }
    )
