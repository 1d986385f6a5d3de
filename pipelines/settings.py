"""Per-clinic settings kept in the store: how each clinic's events are captured.

`clinic_settings(clinic, event_capture)` (sql/schema.sql) decides how event-free time is
censored for the clinic's cases (vocabulary.EVENT_CAPTURE_RULES). A clinic without a row
uses DEFAULT_EVENT_CAPTURE. A change is written like a load: under the store's write lock,
to a staged copy swapped in atomically, so readers never see a half-written store.
`fbss load --replace` replaces records only and keeps these settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import duckdb

from pipelines import store
from pipelines import vocabulary as vocab


class SettingError(ValueError):
    """A setting that cannot be made as asked (unknown clinic or rule)."""


def event_capture(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """clinic -> event-capture rule, for the clinics with a setting (none in older stores)."""
    try:
        rows = con.execute("select clinic, event_capture from clinic_settings").fetchall()
    except duckdb.CatalogException:
        return {}
    return {str(clinic): str(rule) for clinic, rule in rows}


def check_rule(rule: str) -> str:
    """An event-capture rule from the vocabulary."""
    if rule not in vocab.EVENT_CAPTURE_RULES:
        raise SettingError(
            f"unknown event capture {rule!r}; choose from {', '.join(vocab.EVENT_CAPTURE_RULES)}"
        )
    return rule


def set_event_capture(db_path: Path, clinic: str, rule: str) -> None:
    """Store `rule` for `clinic` (whose cases must be in the store), crash-safe."""
    check_rule(rule)
    if not db_path.is_file():
        raise SettingError(f"no store at {db_path}: load case records first with `fbss load`")
    with store.write_lock(db_path), store.staged_copy(db_path) as (con, commit):
        known = [
            r[0] for r in con.execute("select distinct clinic from cases order by 1").fetchall()
        ]
        if clinic not in known:
            listed = ", ".join(known) if known else "none yet"
            raise SettingError(f"clinic {clinic!r} has no cases in the store (clinics: {listed})")
        con.execute(
            "insert or replace into clinic_settings values ($clinic, $rule)",
            {"clinic": clinic, "rule": rule},
        )
        commit[0] = True


def add_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """Register `fbss event-capture`."""
    p = sub.add_parser(
        "event-capture",
        help="show or set how each clinic's events are captured (censoring of event-free time)",
        description="complete: events come from the clinic's records whatever the follow-up "
        "(an event-free case is followed to the as-of date; the default). at_contact: events "
        "are known only through follow-up contacts (a case's time ends at its last "
        "assessment). Without arguments, lists the settings.",
    )
    p.add_argument("clinic", nargs="?", help="clinic name, exactly as in the case records")
    p.add_argument("rule", nargs="?", choices=tuple(vocab.EVENT_CAPTURE_RULES))
    p.add_argument("--db", help="the store (default data/fbss.duckdb or $FBSS_DB)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """`fbss event-capture [CLINIC RULE]`."""
    db = store.db_path_from(args.db)
    try:
        if args.clinic is not None and args.rule is None:
            raise SettingError("give both a clinic and a rule (complete or at_contact)")
        if args.clinic is not None:
            set_event_capture(db, args.clinic, args.rule)
            print(f"{args.clinic}: event capture set to {args.rule} ({db})")
            return 0
        if not db.is_file():
            raise SettingError(f"no store at {db}: load case records first with `fbss load`")
        with store.reader(db) as con:
            clinics = [
                r[0] for r in con.execute("select distinct clinic from cases order by 1").fetchall()
            ]
            rules = event_capture(con)
    except SettingError as exc:
        print(f"fbss event-capture: {exc}", file=sys.stderr)
        return 2
    for clinic in clinics:
        rule = rules.get(clinic, vocab.DEFAULT_EVENT_CAPTURE)
        note = "" if clinic in rules else "  (default)"
        print(f"{clinic}: {rule}{note}")
    return 0
