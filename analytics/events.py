"""Events after treatment: crude rates and Kaplan–Meier event-free survival per group.

Time runs from the treatment date to the first event of the type, or is censored as the
case's clinic captures events (sql/event_times.sql): at the as-of date when events come
from the records whatever the follow-up (`complete`, the default), at the last assessment
when they are known only through follow-up contacts (`at_contact`). Only what was known
on the as-of date counts. SQL returns counts per (group, event, day, outcome); lifelines
fits each group from those counts (see survival.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

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
from pipelines import settings
from pipelines import vocabulary as vocab

_EVENT_RANK = {e: i for i, e in enumerate(vocab.EVENTS)}
AT_RISK_DAYS: tuple[int, ...] = (0, 91, 182, 365, 730)


@dataclass(frozen=True)
class CaptureRules:
    """How events are captured: per clinic from the store, or one rule for all."""

    override: str | None  # a rule applied to every clinic (`--event-capture`), or None
    by_clinic: dict[str, str]  # the stored settings (clinics without one: the default)

    def at_contact_clinics(self) -> list[str]:
        if self.override is not None:
            return []
        return sorted(c for c, rule in self.by_clinic.items() if rule == "at_contact")

    def describe(self) -> str:
        """One line for beside a chart or under a table."""
        if self.override is not None:
            return f"{self.override} for every clinic (chosen for this view)"
        others = self.at_contact_clinics()
        if not others:
            return "complete for every clinic"
        return f"at_contact for {', '.join(others)}; complete for the other clinics"


def capture_rules(db: queries.Db, *, event_capture: str | None = None) -> CaptureRules:
    """The clinics' stored event-capture settings, or `event_capture` for every clinic."""
    if event_capture is not None:
        if event_capture not in vocab.EVENT_CAPTURE_RULES:
            raise AnalyticsError(
                f"unknown event capture {event_capture!r}; choose from "
                f"{', '.join(vocab.EVENT_CAPTURE_RULES)}"
            )
        return CaptureRules(event_capture, {})
    with queries.store_connection(db) as con:
        return CaptureRules(None, settings.event_capture(con))


def event_times(
    db: queries.Db,
    *,
    events: Sequence[str],
    by: Sequence[str],
    filters: Filters,
    horizon: int | None,
    as_of: dt.date,
    rules: CaptureRules,
) -> pd.DataFrame:
    """Per group, event and day: n_events, n_removed (times ending), n_had_event,
    n_removed_at_contact (of n_removed, cases censored at their last assessment)."""
    params = {
        "events": list(events),
        "event_sort": [_EVENT_RANK[e] for e in events],
        "horizon": horizon,
        "all_at_contact": rules.override == "at_contact",
        "at_contact_clinics": rules.at_contact_clinics(),
    }
    table = queries.query(
        db,
        "event_times",
        filters=filters,
        as_of=as_of,
        params=params,
        group_cols=by,
        fragments={"first_event": queries.first_event_at(events)},
    )
    table = table.drop(columns=["event_sort"])
    for col in ("n_events", "n_removed", "n_had_event", "n_removed_at_contact"):
        table[col] = table[col].fillna(0).astype("int64")
    return table


def _rule_label(n_cases: int, n_at_contact: int) -> str:
    if n_at_contact == 0:
        return "complete"
    if n_at_contact == n_cases:
        return "at_contact"
    return "mixed"


def events_summary(
    db: queries.Db,
    *,
    by: Sequence[str] | str | None = (),
    events: Sequence[str] | str | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    event_capture: str | None = None,
    filters: Filters | None = None,
) -> pd.DataFrame:
    """Per group and event type: cases with the event, its rate and KM survival at 12/24m.

    Columns: group columns, then definitions.EVENTS_FIELDS, then EVENTS_EXTRA_FIELDS (the
    95% intervals of the 12- and 24-month estimates). Suppression uses n_cases, per event.
    `event_capture` ("complete" or "at_contact") overrides the clinics' settings; the
    `event_capture` column says which rule the row's cases used ("mixed" for both).
    """
    keys = check_group_columns(by)
    chosen = check_events([events] if isinstance(events, str) else events)
    min_cell = check_min_cell(min_cell)
    day = frames.snapshot_day(as_of)
    # Beyond the last reported day the curve is not needed: censor there (keeps it small).
    horizon = max(KM_REPORT_DAYS.values()) + 1
    rules = capture_rules(db, event_capture=event_capture)
    table = event_times(
        db, events=chosen, by=keys, filters=filters or Filters(), horizon=horizon, as_of=day,
        rules=rules,
    )  # fmt: skip
    group = [*keys, "event"]
    counts = table.groupby(group, as_index=False, sort=False).agg(
        n_cases=("n_removed", "sum"),
        n_with_event=("n_had_event", "sum"),
        n_at_contact=("n_removed_at_contact", "sum"),
    )
    counts["event_capture"] = [
        _rule_label(int(n), int(k))
        for n, k in zip(counts["n_cases"], counts["n_at_contact"], strict=True)
    ]
    counts = counts.drop(columns=["n_at_contact"])
    estimates = survival.estimates_at(table, group, KM_REPORT_DAYS)
    out = counts.merge(estimates, on=group, how="left") if len(counts) else counts
    if not keys:
        out = frames.fill_overall(out, "event", chosen, ("n_cases", "n_with_event"))
    out = frames.as_int(out, ("n_cases", "n_with_event"))
    out["event_capture"] = out["event_capture"].fillna(rules.override or "complete")
    out["event_rate"] = frames.ratio(out["n_with_event"], out["n_cases"])
    out["event_ci_low"], out["event_ci_high"] = stats.wilson(out["n_with_event"], out["n_cases"])
    out = out.reindex(columns=[*keys, *EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS])
    counts_cols = ("n_cases", "n_with_event")
    rates = [
        c
        for c in (*EVENTS_FIELDS, *EVENTS_EXTRA_FIELDS)
        if c not in ("event", "event_capture", "suppressed", *counts_cols)
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
        linked=True,  # a group's cases are the same for every event
    )
    return frames.order_rows(out, keys, {"event": _EVENT_RANK})


def km_curves(
    db: queries.Db,
    *,
    event: str = "reoperation",
    by: Sequence[str] | str | None = (),
    min_cell: int = DEFAULT_MIN_CELL,
    as_of: dt.date | str | None = None,
    event_capture: str | None = None,
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
    day = frames.snapshot_day(as_of)
    rules = capture_rules(db, event_capture=event_capture)
    table = event_times(
        db, events=(chosen,), by=keys, filters=filters or Filters(), horizon=None, as_of=day,
        rules=rules,
    )  # fmt: skip
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
