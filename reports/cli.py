"""`fbss report`: a PDF of a clinic's, a physician's or the network's outcomes for a period.

Heavy imports (pandas, DuckDB, WeasyPrint, vl-convert) happen inside `run`, so `fbss --help`
stays fast. Exit codes: 0 written, 1 no store to read, 2 a request that cannot be answered.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register `report` on the `fbss` command."""
    parser = subparsers.add_parser(
        "report",
        help="write a PDF outcome report for a clinic, a physician or the network",
        description="A PDF of a few pages for a review meeting: headline figures against "
        "the previous period and the rest of the network, outcomes by cause and pathway, "
        "the case-mix adjusted comparison and funnel position (peers anonymised), event-free "
        "survival, data quality, definitions. Every figure is a snapshot on the period's "
        "last day; small groups are hidden. See docs/reports.md.",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--clinic", metavar="NAME", help="a clinic's report")
    who.add_argument("--physician", metavar="NAME", help="a physician's report")
    who.add_argument("--network", action="store_true", help="the whole network's report")
    parser.add_argument(
        "--period",
        required=True,
        metavar="P",
        help="a year (2025), a half (2026-H1) or a quarter (2026-Q3); the figures are as of "
        "its last day",
    )
    parser.add_argument(
        "--compare-previous",
        action="store_true",
        help="add the previous period's figures beside this one's",
    )
    parser.add_argument("--out", required=True, metavar="FILE.pdf", help="the PDF to write")
    parser.add_argument("--db", help="store file (default $FBSS_DB or data/fbss.duckdb)")
    parser.add_argument(
        "--as",
        dest="as_email",
        metavar="EMAIL",
        help="make the report for this account: refused outside its scope (a physician: "
        "their own; a manager: their clinics), and written to the audit trail",
    )
    parser.add_argument("--users", metavar="FILE", help="accounts file (default beside the store)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the report and write it; one line of outcome or of the problem."""
    import duckdb

    from access.accounts import AccessError
    from analytics.definitions import AnalyticsError
    from analytics.queries import StoreMissingError
    from pipelines.store import db_path_from
    from reports.build import make_report, write_atomically
    from reports.periods import parse_period
    from reports.scope import Kind

    out = Path(args.out)
    if not out.parent.is_dir():
        print(f"fbss report: the folder {out.parent} does not exist", file=sys.stderr)
        return 2
    if out.suffix.lower() != ".pdf":
        print(f"fbss report: --out must name a .pdf file (got {out.name!r})", file=sys.stderr)
        return 2
    kind: Kind = "clinic" if args.clinic else "physician" if args.physician else "network"
    name = args.clinic or args.physician
    db = db_path_from(args.db)
    try:
        period = parse_period(args.period)
        email = None
        round_base = 0  # the operator's report: exact counts
        if args.as_email:
            from analytics.published import base_for
            from reports import permission

            email, scope = permission.account_scope(args.as_email, users=args.users, db=db)
            permission.check(scope, kind, name, db)
            round_base = base_for(scope)  # as that account would get it on the dashboard
        report, rendered = make_report(
            db,
            kind,
            name,
            period,
            compare_previous=args.compare_previous,
            round_base=round_base,
            users=args.users,
        )
    except AnalyticsError as exc:
        print(f"fbss report: {exc}", file=sys.stderr)
        return 2
    except AccessError as exc:
        print(f"fbss report: {exc}", file=sys.stderr)
        return 2
    except StoreMissingError as exc:
        print(f"fbss report: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"fbss report: cannot read the store: {first}", file=sys.stderr)
        return 1
    write_atomically(out, rendered.pdf)
    if email is not None:
        from reports import permission

        # the name as the report resolved it, not as typed (case and spaces vary)
        what: dict[str, object] = {
            "report": kind,
            "name": report.scope.name,
            "period": period.code,
            "file": out.name,
        }
        permission.audit(email, db, what)
    empty = " (no cases up to the as-of date: the report says so)" if report.is_empty else ""
    print(
        f"wrote {out} ({rendered.n_pages} pages): {report.scope.title}, {period.label}, "
        f"as of {report.as_of}{empty}"
    )
    return 0
