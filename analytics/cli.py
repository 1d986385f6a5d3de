"""`fbss summary` and `fbss events`: the analytics on the command line.

Only argparse and the light definitions module are imported at start-up; pandas, DuckDB,
statsmodels and lifelines load inside the run functions, so `fbss --help` stays fast.
Exit codes: 0 done, 1 no store to read, 2 a request that cannot be answered as written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from analytics import definitions as defs

_VOCAB_FILTERS: tuple[tuple[str, str], ...] = (
    ("--cause", "cause"),
    ("--pathway", "pathway"),
    ("--treatment", "treatment"),
    ("--index-surgery", "index_surgery"),
    ("--sex", "sex"),
    ("--age-band", "age_band"),
    ("--baseline-severity", "baseline_severity"),
)
# Clinic and physician names may contain commas, so these are repeated, not comma-split.
_NAME_FILTERS: tuple[tuple[str, str], ...] = (("--clinic", "clinic"), ("--physician", "physician"))


def add_parsers(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register `summary` and `events` on the `fbss` command."""
    # argparse formats help with %: a label such as "≥ 30%" must be escaped
    presets = "; ".join(f"{code} ({p.label})" for code, p in defs.PRESETS.items()).replace(
        "%", "%%"
    )
    summary = subparsers.add_parser(
        "summary",
        help="responder rates, change from baseline and follow-up per group",
        description="One row per group (and measure): due and assessed cases, follow-up "
        "completion, responders with a 95%% Wilson interval, mean change with a 95%% t "
        "interval. Groups below --min-cell are suppressed.",
    )
    _common(summary)
    summary.add_argument(
        "--timepoint",
        default=defs.DEFAULT_TIMEPOINT,
        help=f"follow-up timepoint (default {defs.DEFAULT_TIMEPOINT})",
    )
    summary.add_argument(
        "--responder",
        default=defs.DEFAULT_RESPONDER,
        metavar="DEF",
        help="MEASURE:N (points) or MEASURE:N%% (percent of baseline, lower-is-better "
        f"measures only), comma-separated for several, or a preset: {presets}. "
        f"Default {defs.DEFAULT_RESPONDER}. --presets lists their sources.",
    )
    _as_of(summary)
    summary.add_argument(
        "--dropout",
        action="store_true",
        help="instead of the summary: who is lost to follow-up at --timepoint (baseline "
        "characteristics of followed and lost cases with standardised mean differences)",
    )
    summary.add_argument(
        "--presets", action="store_true", help="list the responder presets and their sources"
    )
    summary.set_defaults(func=run_summary)

    events = subparsers.add_parser(
        "events",
        help="reoperation, crossover and other event rates with Kaplan-Meier survival",
        description="One row per group and event type: cases with the event (95%% Wilson "
        "interval) and Kaplan-Meier event-free survival at 12 and 24 months, censored as "
        "each clinic captures events (see `fbss event-capture`). Groups below --min-cell "
        "are suppressed.",
    )
    _common(events)
    _as_of(events)
    events.add_argument(
        "--event-capture",
        choices=("complete", "at_contact"),
        help="censoring rule for every clinic, overriding their settings: complete (an "
        "event-free case is followed to the as-of date) or at_contact (to its last "
        "assessment; later events not counted)",
    )
    events.add_argument(
        "--event",
        action="append",
        metavar="E",
        help=f"event type(s), comma-separated or repeated: {', '.join(_events())} (default all)",
    )
    events.set_defaults(func=run_events)


def _as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        metavar="DATE",
        help="a snapshot: only cases treated, assessments dated and events dated on or "
        "before this date count (YYYY-MM-DD; default today)",
    )


def _events() -> tuple[str, ...]:
    from pipelines import vocabulary as vocab

    return tuple(vocab.EVENTS)


def viewer_options(parser: argparse.ArgumentParser) -> None:
    """`--as EMAIL` and `--users FILE`: print what that account would see (issue 10)."""
    parser.add_argument(
        "--as",
        dest="as_email",
        metavar="EMAIL",
        help="print only what this account may see (its scope; counts rounded to 5 unless "
        "it is an admin); default: everything, as the operator",
    )
    parser.add_argument(
        "--users",
        metavar="FILE",
        help="accounts file for --as (default fbss-users.toml beside the store)",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="store file (default $FBSS_DB or data/fbss.duckdb)")
    viewer_options(parser)
    parser.add_argument(
        "--by",
        metavar="COL,COL",
        help=f"group columns: {', '.join(defs.GROUP_COLUMNS)} (default: one overall row)",
    )
    parser.add_argument(
        "--min-cell",
        default=str(defs.DEFAULT_MIN_CELL),
        metavar="K",
        help=f"suppress groups whose denominator is below K (default "
        f"{defs.DEFAULT_MIN_CELL}; 0 = off)",
    )
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    parser.add_argument(
        "--round",
        dest="round_base",
        type=int,
        default=0,
        metavar="N",
        help="round published counts to a multiple of N (OpenSAFELY uses 5) and recompute "
        "rates from them (default 0 = exact counts)",
    )
    parser.add_argument(
        "--intervals",
        action="store_true",
        help="append the extra interval columns (follow-up rate; 12/24-month survival)",
    )
    group = parser.add_argument_group("filters (values comma-separated or flag repeated)")
    group.add_argument("--from", dest="treatment_from", metavar="DATE", help="treated on/after")
    group.add_argument("--to", dest="treatment_to", metavar="DATE", help="treated on/before")
    for flag, dest in _VOCAB_FILTERS:
        group.add_argument(flag, dest=dest, action="append", metavar="V")
    for flag, dest in _NAME_FILTERS:
        group.add_argument(flag, dest=dest, action="append", metavar="NAME", help="repeatable")


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for item in values or () for v in item.split(",") if v.strip())


def _filters(args: argparse.Namespace) -> Any:
    from analytics.filters import Filters
    from analytics.frames import to_date

    lists = {dest: _split(getattr(args, dest)) for _, dest in _VOCAB_FILTERS}
    names = {dest: tuple(getattr(args, dest) or ()) for _, dest in _NAME_FILTERS}
    return Filters(
        scope=getattr(args, "resolved_scope", None) or _scope(args),
        treatment_from=to_date(args.treatment_from, default_today=False),
        treatment_to=to_date(args.treatment_to, default_today=False),
        **lists,
        **names,
    )


def _scope(args: argparse.Namespace) -> Any:
    """The scope of `--as EMAIL`, or everything (the operator); a non-admin's counts are
    rounded to at least 5 and small cells suppressed at least as the dashboard does."""
    from access.accounts import AccessError, users_path_from
    from access.scope import Scope
    from access.viewer import scope_for
    from analytics.published import base_for

    email = getattr(args, "as_email", None)
    if not email:
        return Scope.everything()
    try:
        scope = scope_for(email, users_path_from(getattr(args, "users", None), args.db))
    except AccessError as exc:
        raise defs.AnalyticsError(f"--as: {exc}") from None
    if not scope.is_everything:
        # What that account would see: its publication rules are fixed. A lower value is
        # held at the account's (`--min-cell 0 --round 1` printed exact small counts); a
        # higher one is refused, since the first --min-cell at which a row hides is its
        # exact denominator, and counts rounded to several bases (5, 6, 7, ...) intersect
        # to the exact count (review 5, F4, F5).
        published = base_for(scope)
        if (getattr(args, "round_base", 0) or 0) > published:
            raise defs.AnalyticsError(
                f"--round cannot be raised for a non-admin account: what {email} sees "
                f"has its counts rounded to {published}, no other base (leave --round out)"
            )
        args.round_base = published
        if hasattr(args, "min_cell"):
            if _min_cell(str(args.min_cell)) > defs.DEFAULT_MIN_CELL:
                raise defs.AnalyticsError(
                    "--min-cell cannot be raised for a non-admin account: what "
                    f"{email} sees hides groups below {defs.DEFAULT_MIN_CELL}, no other "
                    "limit (leave --min-cell out)"
                )
            args.min_cell = str(defs.DEFAULT_MIN_CELL)
    return scope


def _min_cell(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise defs.AnalyticsError(
            f"--min-cell must be a whole number, 0 or more (got {text!r})"
        ) from None
    return defs.check_min_cell(value)


def _rounded(frame: Any, base: int) -> Any:
    """Counts rounded to `base` after suppression (issue 10); 0 leaves them exact."""
    from analytics.suppression import round_counts

    if base < 0:
        raise defs.AnalyticsError(f"--round must be 0 or more (got {base})")
    return round_counts(frame, base)


def _run(command: str, args: argparse.Namespace, work: Callable[[Any], int]) -> int:
    """Run `work(db_path)`, turning known failures into one line and an exit code."""
    import duckdb

    from analytics.queries import StoreMissingError
    from pipelines.store import db_path_from

    try:
        # `--as` first: the account's floors on --min-cell and --round must be in place
        # before any argument is read (keyword arguments are evaluated in order)
        args.resolved_scope = _scope(args)
        return work(db_path_from(args.db))
    except defs.AnalyticsError as exc:
        print(f"fbss {command}: {exc}", file=sys.stderr)
        return 2
    except StoreMissingError as exc:
        print(f"fbss {command}: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"fbss {command}: cannot read the store: {first}", file=sys.stderr)
        return 1


def run_summary(args: argparse.Namespace) -> int:
    """`fbss summary`: print one row per group and measure."""
    if args.presets:
        for code, preset in defs.PRESETS.items():
            rule = ", ".join(c.text for c in preset.criteria)
            print(f"{code}: {preset.label} [{rule}]\n    source: {preset.source}")
        return 0

    def work(db: Any) -> int:
        from analytics.outcomes import summary
        from analytics.output import render

        if args.dropout:
            return _dropout(db, args)
        keys = defs.check_group_columns(args.by)
        frame = summary(
            db,
            by=keys,
            timepoint=defs.check_timepoint(args.timepoint),
            responder=defs.parse_responder(args.responder),
            min_cell=_min_cell(args.min_cell),
            as_of=args.as_of,
            filters=_filters(args),
        )
        frame = _rounded(frame, args.round_base)
        extra = defs.SUMMARY_EXTRA_FIELDS if args.intervals else ()
        sys.stdout.write(render(frame, [*keys, *defs.SUMMARY_FIELDS, *extra], args.format))
        return 0

    return _run("summary", args, work)


def run_events(args: argparse.Namespace) -> int:
    """`fbss events`: print one row per group and event type."""

    def work(db: Any) -> int:
        from analytics.events import events_summary
        from analytics.output import render

        keys = defs.check_group_columns(args.by)
        frame = events_summary(
            db,
            by=keys,
            events=defs.check_events(_split(args.event)),
            min_cell=_min_cell(args.min_cell),
            as_of=args.as_of,
            event_capture=args.event_capture,
            filters=_filters(args),
        )
        frame = _rounded(frame, args.round_base)
        extra = defs.EVENTS_EXTRA_FIELDS if args.intervals else ()
        sys.stdout.write(render(frame, [*keys, *defs.EVENTS_FIELDS, *extra], args.format))
        return 0

    return _run("events", args, work)


def _dropout(db: Any, args: argparse.Namespace) -> int:
    """`fbss summary --dropout`: followed against lost at the timepoint, then the flags."""
    from analytics.lost_to_followup import COLUMNS, dropout, published_dropout
    from analytics.output import render

    if args.by:
        raise defs.AnalyticsError("--dropout compares all cases in view; it takes no --by")
    frame = dropout(
        db,
        timepoint=defs.check_timepoint(args.timepoint),
        min_cell=_min_cell(args.min_cell),
        as_of=args.as_of,
        filters=_filters(args),
    )
    if args.round_base < 0:
        raise defs.AnalyticsError(f"--round must be 0 or more (got {args.round_base})")
    # rounded and coarsened like the summary's figures (a non-admin's --as: base 5)
    frame = published_dropout(frame, args.round_base)
    columns = [c for c in COLUMNS if c != "message"]
    sys.stdout.write(render(frame, columns, args.format))
    if args.format == "table":
        for message in frame["message"].dropna():
            if message:
                print(message)
    return 0
