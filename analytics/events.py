"""Events after treatment: crude rates and Kaplan–Meier event-free survival per group.

Time runs from the treatment date to the first event of the type, or is censored at the
case's last known contact (its latest assessment or event of any type; the treatment
date when it has none). SQL returns counts per (group, event, day, outcome); lifelines
fits each group from those counts (see survival.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics import frames, queries, stats, survival
from analytics.definitions import (
    DEFAULT_MIN_CELL,
    EVENTS_EXTRA_FIELDS,
    EVENTS_FIELDS,
    KM_REPORT_DAYS,
    AnalyticsError,
    check_events,
    check_group_columns,
    check_min_cell,
)
from analytics.filters import Filters
from analytics.suppression import apply_suppression
from pipelines import vocabulary as vocab

_EVENT_RANK = {e: i for i, e in enumerate(vocab.EVENTS)}
AT_RISK_DAYS: tuple[int, ...] = (0, 91, 182, 365, 730)


def event_times(
    db: queries.Db,
    *,
    events: Sequence[str],
    by: Sequence[str],
    filters: Filters,
    horizon: int | None,
) -> pd.DataFrame:
    """Per group, event and day: n_events, n_removed (times ending), n_had_event."""
    params = {
        "events": list(events),
        "event_sort": [_EVENT_RANK[e] for e in events],
        "horizon": horizon,
    }
    table = queries.query(
        db,
        "event_times",
        filters=filters,
        params=params,
        group_cols=by,
        fragments={"first_event": queries.first_event_at(events)},
    )
    table = table.drop(columns=["event_sort"])
    for col in ("n_events", "n_removed", "n_had_event"):
        table[col] = table[col].fillna(0).astype("int64")
    return table


def events_summary(
    db: queries.Db,
    *,
    by: Sequence[str] | str | None = (),
    events: Sequence[str] | str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Per group and event type: cases with the event, its rate and KM survival at 12/24m.

    Columns: group columns, then definitions.EVENTS_FIELDS, then EVENTS_EXTRA_FIELDS (the
    95% intervals of the 12- and 24-month estimates). Suppression uses n_cases, per event.
    """
    keys = check_group_columns(by)
    chosen = check_events([events] if isinstance(events, str) else events)
    min_cell = check_min_cell(min_cell)
    # Beyond the last reported day the curve is not needed: censor there (keeps it small).
    horizon = max(KM_REPORT_DAYS.values()) + 1
    table = event_times(db, events=chosen, by=keys, filters=filters or Filters(), horizon=horizon)
    group = [*keys, "event"]
    counts = table.groupby(group, as_index=False, sort=False).agg(
        n_cases=("n_removed", "sum"), n_with_event=("n_had_event", "sum")
    )
    estimates = survival.estimates_at(table, group, KM_REPORT_DAYS)
    out = counts.merge(estimates, on=group, how="left") if len(counts) else counts
    if not keys:
        out = frames.fill_overall(out, "event", chosen, ("n_cases", "n_with_event"))
    out = frames.as_int(out, ("n_cases", "n_with_event"))
    out["event_rate"] = frames.ratio(out["n_with_event"], out["n_cases"])
    out["event_ci_low"], out["event_ci_high"] = stats.wilson(out["n_with_event"], out["n_cases"])
    out = out.reindex(columns=[*keys, *EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS])
    counts_cols = ("n_cases", "n_with_event")
    rates = [
        c
        for c in (*EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS)
        if c not in ("event", "suppressed", *counts_cols)
    ]
    out[rates] = out[rates].astype(float)  # all-null columns would otherwise be objects
    figures = [*counts_cols, *rates]
    out = apply_suppression(
        out,
        keys=keys,
        denominator="n_cases",
        min_cell=min_cell,
        value_columns=figures,
        partition_by=("event",),
    )
    return frames.order_rows(out, keys, {"event": _EVENT_RANK})


def km_curves(
    db: queries.Db,
    *,
    event: str = "reoperation",
    by: Sequence[str] | str | None = (),
    min_cell: int = DEFAULT_MIN_CELL,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """The full Kaplan–Meier event-free curve per group, for charts.

    Columns: group columns, event, day, survival, ci_low, ci_high (95%, log(-log)),
    at_risk, n_events, n_censored, suppressed. A group with fewer than min_cell cases
    (or hidden by the secondary step) is one row with null figures and suppressed true.
    """
    keys = check_group_columns(by)
    if not isinstance(event, str):
        raise AnalyticsError("km_curves takes one event type")
    (chosen,) = check_events([event])
    min_cell = check_min_cell(min_cell)
    table = event_times(db, events=(chosen,), by=keys, filters=filters or Filters(), horizon=None)
    group_keys = list(keys) or ["_all"]  # a constant key makes the ungrouped case alike
    table = table.assign(_all=0)
    sizes = table.groupby(group_keys, as_index=False, sort=True)["n_removed"].sum()
    if sizes.empty and not keys:
        sizes = pd.DataFrame({"_all": [0], "n_removed": [0]})
    sizes = apply_suppression(
        sizes.rename(columns={"n_removed": "n_cases"}),
        keys=keys,
        denominator="n_cases",
        min_cell=min_cell,
        value_columns=(),
    )
    shown = sizes.loc[~sizes["suppressed"], group_keys]
    curve = survival.curves(table.merge(shown, on=group_keys, how="inner"), keys)
    curve["suppressed"] = False
    hidden = sizes.loc[sizes["suppressed"], [*group_keys, "suppressed"]]
    if len(hidden):
        hidden = hidden.drop(columns=["_all"], errors="ignore")
        curve = pd.concat([curve, hidden], ignore_index=True) if len(curve) else hidden
    curve.insert(len(keys), "event", chosen)
    curve["suppressed"] = curve["suppressed"].astype(bool)
    curve = curve.reindex(columns=[*keys, "event", *survival.CURVE_COLUMNS, "suppressed"])
    return frames.order_rows(curve, [*keys, "day"], {})


def numbers_at_risk(
    curve: pd.DataFrame, by: Sequence[str] | str | None = (), days: Sequence[int] = AT_RISK_DAYS
) -> pd.DataFrame:
    """Numbers at risk at chosen days per group, from a km_curves() frame (shown groups)."""
    keys = check_group_columns(by)
    shown = curve[~curve["suppressed"].astype(bool)]
    return survival.at_risk_at(shown, keys, days)
