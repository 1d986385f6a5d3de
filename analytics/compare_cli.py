"""`fbss compare`, `fbss providers` and `fbss similar`: the case-mix adjusted figures.

Like analytics/cli.py, only argparse and the light definitions load at start-up; the
filters, exit codes and error wording are shared with `fbss summary` (analytics.cli).
Exit codes: 0 done, 1 no store to read, 2 a request that cannot be answered as written.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from analytics import cli as base
from analytics import definitions as defs

_PROFILE_NUMBERS: tuple[tuple[str, str], ...] = (
    ("--age", "years"),
    ("--baseline-odi", "ODI 0-100 before treatment"),
    ("--back-pain", "back pain 0-10 before treatment"),
    ("--leg-pain", "leg pain 0-10 before treatment"),
    ("--prior-surgeries", "number of earlier spine operations"),
    ("--bmi", "body-mass index"),
    ("--asa-grade", "ASA grade 1-5"),
    ("--symptom-months", "months of the current pain"),
)
_PROFILE_FLAGS: tuple[str, ...] = (
    "--smoker",
    "--diabetes",
    "--workers-compensation",
    "--litigation",
    "--depression",
)


def _filters_and_outcome(parser: argparse.ArgumentParser, *, as_of: bool = True) -> None:
    parser.add_argument("--db", help="store file (default $FBSS_DB or data/fbss.duckdb)")
    base.viewer_options(parser)
    parser.add_argument(
        "--timepoint",
        default=defs.DEFAULT_TIMEPOINT,
        help=f"follow-up timepoint (default {defs.DEFAULT_TIMEPOINT})",
    )
    parser.add_argument(
        "--responder",
        default=defs.DEFAULT_RESPONDER,
        metavar="DEF",
        help="one measure: MEASURE:N, MEASURE:N%% or a preset such as odi_mic (default)",
    )
    if as_of:
        parser.add_argument(
            "--as-of",
            metavar="DATE",
            help="figures as known on this date (YYYY-MM-DD; default today)",
        )
    parser.add_argument(
        "--min-cell",
        default=str(defs.DEFAULT_MIN_CELL),
        metavar="K",
        help=f"hide groups below K cases (default {defs.DEFAULT_MIN_CELL})",
    )
    parser.add_argument("--format", choices=("json", "csv", "table"), default="table")
    group = parser.add_argument_group("filters (values comma-separated or flag repeated)")
    group.add_argument("--from", dest="treatment_from", metavar="DATE", help="treated on/after")
    group.add_argument("--to", dest="treatment_to", metavar="DATE", help="treated on/before")
    for flag, dest in base._VOCAB_FILTERS:
        group.add_argument(flag, dest=dest, action="append", metavar="V")
    for flag, dest in base._NAME_FILTERS:
        group.add_argument(flag, dest=dest, action="append", metavar="NAME", help="repeatable")


def add_parsers(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register `compare`, `providers` and `similar` on the `fbss` command."""
    compare = subparsers.add_parser(
        "compare",
        help="repeat surgery against less invasive options, crude and case-mix adjusted",
        description="Overlap-weighted (propensity score) comparison of the responder rate "
        "and mean change, with a doubly robust check, a balance table and warnings. "
        "--treatment A,B compares those two treatments. Adjustment removes only measured "
        "differences. See docs/analytics.md.",
    )
    _filters_and_outcome(compare)
    compare.set_defaults(func=run_compare)

    providers = subparsers.add_parser(
        "providers",
        help="physicians or clinics against the funnel, crude or risk-adjusted (O/E)",
        description="One row per unit: responders, rate, and with --adjusted the expected "
        "responders from a risk model, O/E, the risk-adjusted and shrunken rates, and "
        "positions against 95%% and 99.8%% limits for O given E.",
    )
    providers.add_argument("--by", choices=defs.FUNNEL_UNITS, default="physician")
    providers.add_argument("--adjusted", action="store_true", help="case-mix adjusted")
    _filters_and_outcome(providers)
    providers.set_defaults(func=run_providers)

    similar = subparsers.add_parser(
        "similar",
        help="how the most similar past patients fared on each pathway",
        description="The k nearest past cases per pathway (exact on cause), shares in four "
        "bands of ODI change. A description of similar past patients, not a prediction.",
    )
    similar.add_argument("--db", help="store file (default $FBSS_DB or data/fbss.duckdb)")
    similar.add_argument("--cause", dest="profile_cause", help="cause (matched exactly)")
    similar.add_argument("--sex", dest="profile_sex", help="female, male, other or unknown")
    for flag, text in _PROFILE_NUMBERS:
        similar.add_argument(flag, type=float, metavar="N", help=text)
    for flag in _PROFILE_FLAGS:
        similar.add_argument(flag, choices=("yes", "no"))
    similar.add_argument("--timepoint", default=defs.DEFAULT_TIMEPOINT)
    similar.add_argument(
        "--as-of", metavar="DATE", help="past cases as known on this date (YYYY-MM-DD)"
    )
    similar.add_argument("--k", type=int, default=50, help="matches per pathway (default 50)")
    similar.add_argument("--min-cell", default=str(defs.DEFAULT_MIN_CELL), metavar="K")
    similar.add_argument("--format", choices=("json", "table"), default="table")
    similar.set_defaults(func=run_similar)


def run_compare(args: argparse.Namespace) -> int:
    """`fbss compare`: one JSON object, or the pathways, difference and balance as text."""

    def work(db: Any) -> int:
        from analytics.adjust.pathways import compare
        from analytics.published import published_compare, rounded_text

        filters = base._filters(args)  # sets args.round_base to 5 for a non-admin --as
        rounding = getattr(args, "round_base", 0)
        try:
            result = compare(
                db,
                timepoint=defs.check_timepoint(args.timepoint),
                responder=args.responder,
                min_cell=base._min_cell(args.min_cell),
                filters=filters,
                as_of=args.as_of,
            )
        except defs.AnalyticsError as exc:  # its counts are published too
            raise defs.AnalyticsError(rounded_text(str(exc), rounding)) from None
        sys.stdout.write(_render_compare(published_compare(result, rounding), args.format))
        return 0

    return base._run("compare", args, work)


def _render_compare(result: dict[str, Any], fmt: str) -> str:
    import pandas as pd

    from analytics.adjust.pathways import PATHWAY_FIELDS
    from analytics.output import render

    if fmt == "json":
        return json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    pathways = pd.DataFrame(result["pathways"], columns=list(PATHWAY_FIELDS))
    if fmt == "csv":  # one table: a row per pathway, the difference repeated on each
        diff = pd.DataFrame([result["difference"]] * len(pathways))
        both = pd.concat([pathways, diff.add_prefix("difference_")], axis=1)
        return render(both, list(both.columns), "csv")
    diff = pd.DataFrame([{"figure": k, "value": v} for k, v in result["difference"].items()])
    balance = pd.DataFrame(
        result["balance"], columns=["covariate", "smd_unadjusted", "smd_adjusted"]
    )
    parts = [
        f"{result['measure']} at {result['timepoint']}, responder {result['definition']}: "
        f"{result['arms'][0]} against {result['arms'][1]}"
        + (" (suppressed: small cells)" if result["suppressed"] else ""),
        render(pathways, list(PATHWAY_FIELDS), "table"),
        "difference (first - second)",
        render(diff, ["figure", "value"], "table"),
        "balance (standardised mean differences)",
        render(balance, list(balance.columns), "table") if len(balance) else "none\n",
        *(f"note: {w}" for w in result["set_aside"] + result["warnings"]),
    ]
    return "\n".join(parts) + "\n"


def run_providers(args: argparse.Namespace) -> int:
    """`fbss providers`: one row per physician or clinic."""

    def work(db: Any) -> int:
        from analytics.adjust.providers import FIELDS, providers
        from analytics.output import render
        from analytics.published import published_providers, rounded_text

        filters = base._filters(args)  # sets args.round_base to 5 for a non-admin --as
        rounding = getattr(args, "round_base", 0)
        try:
            frame = providers(
                db,
                by=args.by,
                timepoint=defs.check_timepoint(args.timepoint),
                responder=args.responder,
                min_cell=base._min_cell(args.min_cell),
                as_of=args.as_of,
                filters=filters,
                adjusted=args.adjusted,
            )
        except defs.AnalyticsError as exc:  # its counts are published too
            raise defs.AnalyticsError(rounded_text(str(exc), rounding)) from None
        frame = published_providers(frame, rounding)
        columns = [args.by, *FIELDS]
        if rounding > 1:
            # a unit is flagged only when the rounded figures guarantee it, so "within"
            # says less than it does in exact output: said in a column (CSV/JSON too)
            from analytics.published_positions import TOO_CLOSE

            within = (frame["position_95"] == "within") | (frame["position_998"] == "within")
            # said of the word, not the row: a row may be "below" at 95% and "within" at 99.8%
            notes = [f'"within" = {TOO_CLOSE}' if w else "" for w in within]
            frame = frame.assign(position_note=notes)
            columns.append("position_note")
        sys.stdout.write(render(frame, columns, args.format))
        return 0

    return base._run("providers", args, work)


def run_similar(args: argparse.Namespace) -> int:
    """`fbss similar`: per pathway, the shares of the nearest past cases in four bands."""

    def work(db: Any) -> int:
        import pandas as pd

        from analytics.adjust.similar import similar
        from analytics.output import render

        profile: dict[str, Any] = {"cause": args.profile_cause, "sex": args.profile_sex}
        for flag, _ in _PROFILE_NUMBERS:
            profile[flag[2:].replace("-", "_")] = getattr(args, flag[2:].replace("-", "_"))
        for flag in _PROFILE_FLAGS:
            value = getattr(args, flag[2:].replace("-", "_"))
            profile[flag[2:].replace("-", "_")] = None if value is None else value == "yes"
        result = similar(
            db,
            profile,
            timepoint=defs.check_timepoint(args.timepoint),
            k=args.k,
            min_cell=base._min_cell(args.min_cell),
            as_of=args.as_of,
        )
        if args.format == "json":
            sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
            return 0
        rows = [
            {"pathway": p["pathway"], "n_matched": p["n"], **band, "suppressed": p["suppressed"]}
            for p in result["pathways"]
            for band in (p["bands"] or [{}])
        ]
        columns = ["pathway", "n_matched", "band", "n", "share", "ci_low", "ci_high", "suppressed"]
        frame = pd.DataFrame(rows).reindex(columns=columns)
        sys.stdout.write(f"{result['note']}\n" + render(frame, columns, "table"))
        return 0

    return base._run("similar", args, work)
