"""The follow-up worklist: cases whose visit window is open and still has no assessment.

A registry's daily tool: whom to call today. One row per case and follow-up timepoint
whose window (vocabulary.VISIT_WINDOWS, in days after the treatment date) is open on the
as-of day and has no assessment of that timepoint dated on or before it; `days_left` is
the days until the window closes (0 = it closes today), and the list is ordered by it,
most urgent first. `within` keeps windows closing in that many days or fewer.

Rows are individual cases, for the clinic's own staff: nothing is suppressed. Patient
ids are the store's pseudonymous ids. Staff see their clinic through the `clinics`
filter; restricting it by the signed-in user's role comes with the sign-in work.
`fbss worklist` prints it (csv, json or a table). No streamlit import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analytics import frames, queries
from analytics.definitions import AnalyticsError
from pipelines import vocabulary as vocab

COLUMNS: tuple[str, ...] = (
    "case_id", "patient_id", "clinic", "physician", "timepoint",
    "window_opens", "window_closes", "days_left",
)  # fmt: skip

_SQL = """
with windows as (
    select unnest($timepoints) as timepoint, unnest($opens) as opens,
        unnest($closes) as closes, unnest($ranks) as tp_rank
),

due as (
    select c.case_id, c.patient_id, c.clinic, c.physician, w.timepoint, w.tp_rank,
        (c.treatment_date + w.opens)::date as window_opens,
        (c.treatment_date + w.closes)::date as window_closes
    from {schema}.cases as c
    cross join windows as w
    where (len($clinics) = 0 or list_contains($clinics, c.clinic))
      and (len($physicians) = 0 or list_contains($physicians, c.physician))
),

final as (
    select d.*, (d.window_closes - $as_of::date)::integer as days_left
    from due as d
    where $as_of::date between d.window_opens and d.window_closes
      and not exists (
        select 1 from {schema}.assessments as a
        where a.case_id = d.case_id and a.timepoint = d.timepoint
          and a.assessment_date <= $as_of::date
      )
)

select * from final
where $within < 0 or days_left <= $within
order by days_left, tp_rank, clinic, case_id
"""


def worklist(
    db: queries.Db,
    *,
    as_of: dt.date | str | None = None,
    within: int | None = None,
    clinics: Sequence[str] = (),
    physicians: Sequence[str] = (),
) -> pd.DataFrame:
    """Open follow-up windows without an assessment, most urgent first. Columns: COLUMNS."""
    day = frames.snapshot_day(as_of)
    if within is not None and within < 0:
        raise AnalyticsError(f"--within must be 0 or more days (got {within})")
    windows = list(vocab.VISIT_WINDOWS.values())
    params: dict[str, Any] = {
        "timepoints": [w.timepoint for w in windows],
        "opens": [w.opens for w in windows],
        "closes": [w.closes for w in windows],
        "ranks": list(range(len(windows))),
        "clinics": list(clinics),
        "physicians": list(physicians),
        "as_of": day,
        "within": -1 if within is None else int(within),
    }
    with queries.store_connection(db) as con:
        sql = _SQL.format(schema=queries.raw_schema(con))  # a quoted name, not a value
        out = con.execute(sql, params).df()
    for col in ("window_opens", "window_closes"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return out[list(COLUMNS)].reset_index(drop=True)


def due_count(
    db: queries.Db, *, as_of: dt.date | str | None = None, within: int = 30,
    clinics: Sequence[str] = (), physicians: Sequence[str] = (),
) -> int:  # fmt: skip
    """How many follow-ups must be collected before their window closes within `within` days."""
    rows = worklist(db, as_of=as_of, within=within, clinics=clinics, physicians=physicians)
    return len(rows)


# -- `fbss worklist` ------------------------------------------------------------------


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "worklist",
        help="follow-ups to collect now: open visit windows without an assessment",
        description="Cases whose follow-up window is open on the as-of day and have no "
        "assessment for that timepoint yet, most urgent (fewest days left) first.",
    )
    parser.add_argument("--db", help="store file (default $FBSS_DB or data/fbss.duckdb)")
    parser.add_argument(
        "--clinic", action="append", help="only this clinic (repeat for several); staff "
        "lists per clinic until sign-in restricts it by role",
    )  # fmt: skip
    parser.add_argument("--physician", action="append", help="only this physician (repeatable)")
    parser.add_argument(
        "--within", type=int, metavar="DAYS", help="only windows closing within DAYS days"
    )
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day to list for (default today)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the worklist; exit 1 without a store, 2 for a request that cannot be met."""
    import duckdb

    from analytics import output
    from analytics.queries import StoreMissingError
    from pipelines import store

    try:
        rows = worklist(
            store.db_path_from(args.db),
            as_of=args.as_of,
            within=args.within,
            clinics=tuple(args.clinic or ()),
            physicians=tuple(args.physician or ()),
        )
    except AnalyticsError as exc:
        print(f"fbss worklist: {exc}", file=sys.stderr)
        return 2
    except StoreMissingError as exc:
        print(f"fbss worklist: {exc}", file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"fbss worklist: cannot read the store: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    sys.stdout.write(output.render(rows, COLUMNS, args.format))
    if args.format == "table":
        print(f"{len(rows):,} follow-ups to collect", file=sys.stderr)
    return 0
