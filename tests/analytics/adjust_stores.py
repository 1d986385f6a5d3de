"""Seeded synthetic stores for the case-mix tests: confounded on purpose, truth known."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipelines import store
from tests.analytics.builders import (
    ASSESSMENT_COLUMNS,
    CASE_COLUMNS,
    assessment,
    case,
    make_store,
)

CAUSES = ("pseudarthrosis", "epidural_fibrosis", "decompression_failure")
PHYSICIANS = ("Dr A", "Dr B", "Dr C", "Dr D", "Dr E", "Dr F")


def confounded_rows(
    n: int, seed: int, physician_effect: dict[str, float] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """n cases in which sicker patients get repeat surgery more often and do worse, while
    the treatment itself changes nothing (true effect exactly zero for every patient).

    Treatment: logit P(repeat) = -0.5 + 0.06 (baseline ODI - 50) + 0.5 (prior - 2)
                                 + 1.0 [pseudarthrosis] - 0.03 (age - 55) + 0.4 smoker.
    Outcome: ODI improvement fraction = 0.45 - 0.012 (baseline - 50) - 0.08 (prior - 2)
             - 0.15 smoker + noise, independent of the treatment given the covariates.
    BMI is missing for a tenth of cases (missing-indicator method in use).
    `physician_effect` adds to the improvement fraction of that physician's cases.
    """
    rng = np.random.default_rng(seed)
    cases, rows = [], []
    for i in range(n):
        age = int(rng.integers(30, 80))
        baseline = float(np.clip(rng.normal(50, 12), 15, 95).round(1))
        prior = int(rng.integers(1, 5))
        smoker = bool(rng.random() < 0.3)
        cause = CAUSES[int(rng.integers(0, 3))]
        logit = (
            -0.5
            + 0.06 * (baseline - 50)
            + 0.5 * (prior - 2)
            + 1.0 * (cause == "pseudarthrosis")
            - 0.03 * (age - 55)
            + 0.4 * smoker
        )
        repeat = rng.random() < 1 / (1 + np.exp(-logit))
        gain = 0.45 - 0.012 * (baseline - 50) - 0.08 * (prior - 2) - 0.15 * smoker
        gain += rng.normal(0, 0.25) + (physician_effect or {}).get(PHYSICIANS[i % 6], 0.0)
        followup = float(np.clip(baseline * (1 - gain), 0, 100).round(1))
        row = case(
            f"S{i:05d}",
            treatment="revision_fusion" if repeat else "spinal_cord_stimulation",
            cause=cause,
            age=age,
            sex="female" if rng.random() < 0.55 else "male",
            physician=PHYSICIANS[i % len(PHYSICIANS)],
            clinic="North" if i % 2 else "South",
        )
        row.update(
            bmi=None if rng.random() < 0.1 else round(float(rng.normal(28, 4)), 1),
            smoker=smoker,
            prior_surgeries=prior,
        )
        cases.append(row)
        rows.append(assessment(row["case_id"], "baseline", odi=baseline))
        rows.append(assessment(row["case_id"], "12m", odi=followup))
    return cases, rows


def fast_store(path: Path, cases: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Path:
    """Like builders.make_store, but inserting through DataFrames (executemany takes
    ~40 s for a few thousand cases)."""
    make_store(path, [])
    con = store.connect(path, read_only=False)
    try:
        for table, records, columns in (
            ("cases", cases, CASE_COLUMNS),
            ("assessments", rows, ASSESSMENT_COLUMNS),
        ):
            frame = pd.DataFrame(records, columns=list(columns))
            con.register("incoming", frame)
            names = ", ".join(columns)
            con.execute(f"insert into {table} ({names}) select {names} from incoming")
            con.unregister("incoming")
    finally:
        con.close()
    return path


def confounded_store(path: Path, n: int = 3000, seed: int = 7) -> Path:
    cases, rows = confounded_rows(n, seed)
    return fast_store(path, cases, rows)


def set_case_column(path: Path, column: str, values: dict[str, Any]) -> None:
    """Fill a risk-factor column of the given cases (the others stay blank)."""
    con = store.connect(path, read_only=False)
    try:
        con.executemany(
            f'update cases set "{column}" = ? where case_id = ?',
            [[v, k] for k, v in values.items()],
        )
    finally:
        con.close()


def drop_case_columns(path: Path, columns: tuple[str, ...]) -> None:
    """Make the store one from before the contract had these risk factors (issue 9)."""
    con = store.connect(path, read_only=False)
    try:
        for column in columns:
            con.execute(f'alter table cases drop column "{column}"')
    finally:
        con.close()
