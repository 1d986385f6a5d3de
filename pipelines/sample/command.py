"""`fbss sample`: arguments checked into one plain line each, then the files written."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

from pipelines.sample.draw import check
from pipelines.sample.writing import write_counted


class _Usage(Exception):
    """A bad argument; the message is printed on one line."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `fbss sample`."""
    parser = subparsers.add_parser(
        "sample",
        help="write synthetic sample data (no real patients)",
        description="Write cases.csv, assessments.csv and events.csv of made-up FBSS cases. "
        "The same --cases, --seed and --as-of always give byte-identical files.",
    )
    # Plain strings, checked in run(), so a bad value gets one clear line, not argparse's usage.
    parser.add_argument(
        "--cases", default="1000", metavar="N", help="number of cases (default 1000)"
    )
    parser.add_argument("--seed", default="42", metavar="S", help="random seed (default 42)")
    parser.add_argument("--out", metavar="DIR", help="folder to write into (required)")
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="the day the data are drawn up to (default today)"
    )
    parser.set_defaults(func=run)
    return parser


def _whole_number(text: str, option: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _Usage(f"{option} must be a whole number, not {text!r}") from None
    if value < minimum:
        raise _Usage(f"{option} must be at least {minimum}, not {value}")
    return value


def _date(text: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _Usage(f"--as-of must be a date written YYYY-MM-DD, not {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """`fbss sample`: write the files and print one summary line; 2 on a bad argument."""
    try:
        n_cases = _whole_number(args.cases, "--cases", 1)
        seed = _whole_number(args.seed, "--seed", 0)
        as_of = _date(args.as_of) if args.as_of is not None else dt.date.today()
        if not args.out:
            raise _Usage("--out DIR is required")
        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise _Usage(f"--out must be a folder, and {args.out} is a file")
        check(n_cases, as_of)
    except (_Usage, ValueError) as exc:
        print(f"fbss sample: {exc}", file=sys.stderr)
        return 2
    try:
        written = write_counted(Path(args.out), n_cases, seed, as_of)
    except OSError as exc:
        print(f"fbss sample: cannot write to {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"fbss sample: not enough memory for {n_cases:,} cases", file=sys.stderr)
        return 1
    files = ", ".join(f"{p.name} {rows:,} rows" for p, rows in written.values())
    print(f"wrote {files} to {args.out} (seed {seed}, as of {as_of.isoformat()})")
    return 0
