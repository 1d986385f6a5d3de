"""The follow-up worklist: cases whose visit window is open and still has no assessment.

A registry's daily tool: whom to call today. One row per case and follow-up timepoint
whose window (vocabulary.VISIT_WINDOWS, in days after the treatment date) is open on the
as-of day and has no assessment of that timepoint dated on or before it; `days_left` is
the days until the window closes (0 = it closes today), and the list is ordered by it,
most urgent first. `within` keeps windows closing in that many days or fewer.

Rows are individual cases, for the clinic's own staff: nothing is suppressed. Patient
ids are the store's pseudonymous ids. Being case-level, it is cut to the viewer's scope
in SQL (`Scope.sql()`, bound parameters): a manager's clinics, a physician's own cases
only (never their peers', which they see only as aggregates elsewhere).
`fbss worklist` prints it (csv, json or a table). No streamlit import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from access.scope import Scope
from analytics.definitions import AnalyticsError
from pipelines import vocabulary as vocab

if TYPE_CHECKING:  # pandas and DuckDB load when a worklist is made: `fbss` registers this
    import pandas as pd  # module's parser at every start, and pandas alone took 0.5 s

    from analytics import queries

COLUMNS: tuple[str, ...] = (
    "case_id", "patient_id", "clinic", "physician", "timepoint",
    "window_opens", "window_closes", "days_left",
)  # fmt: skip

# The windows open on $as_of come from the per-case facts (one scan, no join): each
# timepoint's assessment date is there (facts.date_column). Only those few cases are then
# joined to `cases` for the patient id. Checking each case against the 4 M assessments
# instead (NOT EXISTS) took 3.4 s per Overview run at a million cases (issue 7).
_SQL = """
with windows as (
    select unnest($timepoints) as timepoint, unnest($opens) as opens,
        unnest($closes) as closes, unnest($ranks) as tp_rank
),

open_windows as (
    select f.case_id, w.timepoint, w.tp_rank,
        (f.treatment_date + w.opens)::date as window_opens,
        (f.treatment_date + w.closes)::date as window_closes,
        {assessed_on} as assessed_on
    from (
        -- only cases whose treatment date can put some window open on $as_of, and only
        -- the clinics and physicians asked for (the facts carry both): fewer rows to pair
        select * from case_facts
        where treatment_date between $as_of::date - $longest and $as_of::date - $soonest
          and (len($clinics) = 0 or list_contains($clinics, clinic::varchar))
          and (len($physicians) = 0 or list_contains($physicians, physician::varchar))
    ) as f
    cross join windows as w
    where $as_of::date between (f.treatment_date + w.opens)::date
        and (f.treatment_date + w.closes)::date
),

due as (
    select c.case_id, c.patient_id, c.clinic, c.physician, o.timepoint, o.tp_rank,
        o.window_opens, o.window_closes
    from open_windows as o
    join {schema}.cases as c on c.case_id = o.case_id
    where (len($clinics) = 0 or list_contains($clinics, c.clinic))
      and (len($physicians) = 0 or list_contains($physicians, c.physician))
      and {scope}
      -- no assessment of that timepoint dated on or before the as-of day
      and (o.assessed_on is null or o.assessed_on > $as_of::date)
),

final as (
    select d.*, (d.window_closes - $as_of::date)::integer as days_left
    from due as d
),

listed as (
    select * from final
    where $within < 0 or days_left <= $within
),

-- the counts of the whole list ride along, so a page can take its first rows only
-- (`limit`) and still say how many there are (as a window `count(*) over ()` this
-- took 3 s at a million cases: DuckDB ran it on one thread)
counts as (
    select count(*) as n_total, count(*) filter (where days_left <= $soon) as n_soon
    from listed
)

select l.*, counts.n_total, counts.n_soon
from listed as l
cross join counts
order by l.days_left, l.tp_rank, l.clinic, l.case_id
{limit}
"""


@dataclass(frozen=True)
class WorklistHead:
    """The most urgent rows of a worklist and how many there are in all: what a page
    shows, as small at a million cases as at a hundred (the whole list is case-level)."""

    rows: pd.DataFrame  # the first `limit` rows of worklist(), same columns and order
    total: int  # rows of the whole worklist
    due_soon: int  # of them, windows closing within `soon` days


def worklist(
    db: queries.Db,
    *,
    as_of: dt.date | str | None = None,
    within: int | None = None,
    clinics: Sequence[str] = (),
    physicians: Sequence[str] = (),
    scope: Scope | None = None,
) -> pd.DataFrame:
    """Open follow-up windows without an assessment, most urgent first. Columns: COLUMNS.

    Only cases within `scope` (default: everything, the operator's view)."""
    out = _query(db, as_of, within, clinics, physicians, scope, limit=None, soon=0)
    return out[list(COLUMNS)].reset_index(drop=True)


def worklist_head(
    db: queries.Db,
    *,
    limit: int,
    soon: int,
    as_of: dt.date | str | None = None,
    clinics: Sequence[str] = (),
    physicians: Sequence[str] = (),
    scope: Scope | None = None,
) -> WorklistHead:
    """The first `limit` rows of `worklist(...)`, its length and how many close within
    `soon` days, from one query."""
    if limit < 1:
        raise AnalyticsError(f"a worklist shows at least 1 row (got {limit})")
    if soon < 0:
        raise AnalyticsError(f"'due within' must be 0 or more days (got {soon})")
    out = _query(db, as_of, None, clinics, physicians, scope, limit=limit, soon=soon)
    total = int(out["n_total"].iloc[0]) if len(out) else 0
    due_soon = int(out["n_soon"].iloc[0]) if len(out) else 0
    return WorklistHead(out[list(COLUMNS)].reset_index(drop=True), total, due_soon)


def _query(
    db: queries.Db,
    as_of: dt.date | str | None,
    within: int | None,
    clinics: Sequence[str],
    physicians: Sequence[str],
    scope: Scope | None,
    *,
    limit: int | None,
    soon: int,
) -> pd.DataFrame:
    """The worklist's rows (the first `limit`, or all) with the counts n_total, n_soon."""
    import pandas as pd

    from analytics import facts, frames, queries
    from analytics.sql_files import literal, quote

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
        "longest": max(w.closes for w in windows),
        "soonest": min(w.opens for w in windows),
        "soon": int(soon),
    }
    if limit is not None:
        params["limit"] = int(limit)
    clause, scope_params = (scope or Scope.everything()).sql(
        clinic_column="c.clinic", physician_column="c.physician"
    )
    params.update(scope_params)
    assessed_on = " ".join(
        f"when {literal(w.timepoint)} then f.{quote(facts.date_column(w.timepoint))}"
        for w in windows
    )
    with queries.connection(db) as con:
        # quoted names from the vocabulary and the scope's clause of checked column names,
        # never a value
        sql = _SQL.format(
            schema=queries.raw_schema(con),
            scope=clause,
            assessed_on=f"(case w.timepoint {assessed_on} end)",
            limit="" if limit is None else "limit $limit",
        )
        out = con.execute(sql, params).df()
    for col in ("window_opens", "window_closes"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return out


def due_count(
    db: queries.Db, *, as_of: dt.date | str | None = None, within: int = 30,
    clinics: Sequence[str] = (), physicians: Sequence[str] = (), scope: Scope | None = None,
) -> int:  # fmt: skip
    """How many follow-ups must be collected before their window closes within `within` days."""
    rows = worklist(
        db, as_of=as_of, within=within, clinics=clinics, physicians=physicians, scope=scope
    )
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
    from analytics.cli import viewer_options

    viewer_options(parser)
    parser.set_defaults(func=run)


def _viewer_scope(args: argparse.Namespace) -> Scope:
    """`--as EMAIL`'s scope, or everything (the operator)."""
    from access.accounts import AccessError, users_path_from
    from access.viewer import scope_for

    if not args.as_email:
        return Scope.everything()
    try:
        return scope_for(args.as_email, users_path_from(args.users, args.db))
    except AccessError as exc:
        raise AnalyticsError(f"--as: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Print the worklist; exit 1 without a store, 2 for a request that cannot be met."""
    import duckdb

    from analytics import output
    from analytics.queries import StoreMissingError
    from pipelines import store

    try:
        scope = _viewer_scope(args)
        rows = worklist(
            store.db_path_from(args.db),
            scope=scope,
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
