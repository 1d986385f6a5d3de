"""`fbss validate` and `fbss load`: the report a clinic administrator can act on."""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.spreadsheet import neutralise

if TYPE_CHECKING:  # imported lazily at run time, so `fbss --help` stays fast
    from pipelines.load import LoadResult
    from pipelines.problems import Problem

SHOWN_LINES = 20


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    v = sub.add_parser(
        "validate", help="check case-record files and report every problem (stores nothing)"
    )
    v.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    v.add_argument(
        "--db", help="store to check case references against (default data/fbss.duckdb or $FBSS_DB)"
    )
    v.add_argument(
        "--report", type=Path, metavar="FILE.csv", help="write the full report to this CSV file"
    )
    _add_limits(v)
    v.set_defaults(func=run_validate)

    ld = sub.add_parser("load", help="validate files and load them into the store (all or nothing)")
    ld.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    ld.add_argument("--db", help="the store (default data/fbss.duckdb or $FBSS_DB)")
    ld.add_argument(
        "--replace",
        action="store_true",
        help="treat the batch as a full export that replaces every stored record",
    )
    ld.add_argument(
        "--report", type=Path, metavar="FILE.csv", help="write the full report to this CSV file"
    )
    _add_limits(ld)
    ld.add_argument(
        "--lock-timeout",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="give up when another load holds the store this long (default 60)",
    )
    ld.set_defaults(func=run_load)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _add_limits(p: argparse.ArgumentParser) -> None:
    """The input limits of issue 10 (pipelines/limits.py); defaults fit a large clinic."""
    from pipelines.limits import MB, Limits

    d = Limits()
    g = p.add_argument_group("input limits (a file beyond one is refused before it is read)")
    g.add_argument(
        "--max-file-mb",
        type=_positive,
        default=d.max_file_bytes // MB,
        metavar="MB",
        help=f"largest file (default {d.max_file_bytes // MB})",
    )
    g.add_argument(
        "--max-rows",
        type=_positive,
        default=d.max_rows,
        metavar="N",
        help=f"most rows per table file or sheet (default {d.max_rows:,})",
    )
    g.add_argument(
        "--max-columns",
        type=_positive,
        default=d.max_columns,
        metavar="N",
        help=f"most columns (default {d.max_columns})",
    )
    g.add_argument(
        "--max-identical-rows",
        type=_positive,
        default=d.max_identical_rows,
        metavar="N",
        help=f"most copies of one identical row (default {d.max_identical_rows:,})",
    )
    g.add_argument(
        "--max-xlsx-mb",
        type=_positive,
        default=d.max_xlsx_uncompressed_bytes // MB,
        metavar="MB",
        help=f"largest .xlsx once uncompressed (default {d.max_xlsx_uncompressed_bytes // MB})",
    )


def limits_from(args: argparse.Namespace) -> Any:
    from pipelines.limits import MB, Limits

    return Limits(
        max_file_bytes=args.max_file_mb * MB,
        max_rows=args.max_rows,
        max_columns=args.max_columns,
        max_identical_rows=args.max_identical_rows,
        max_xlsx_uncompressed_bytes=args.max_xlsx_mb * MB,
    )


def run_validate(args: argparse.Namespace) -> int:
    from pipelines import store, windows
    from pipelines.load import validate_paths

    if (code := _check_paths(args.paths, args.report)) is not None:
        return code
    with _Progress() as progress:
        result = validate_paths(
            args.paths, store.db_path_from(args.db), progress=progress, limits=limits_from(args)
        )
    _print_outcome(result, args.report)
    windows.print_batch(windows.batch_warnings(args.paths, store.db_path_from(args.db)))
    if result.accepted:
        print(
            f"OK: no problems in {sum(int(str(f['rows'])) for f in result.files)} rows "
            f"({len(result.files)} table files)"
        )
    return 0 if result.accepted else 1


def run_load(args: argparse.Namespace) -> int:
    from pipelines import store, windows
    from pipelines.load import load_paths

    if (code := _check_paths(args.paths, args.report)) is not None:
        return code
    db = store.db_path_from(args.db)
    with _Progress() as progress:
        try:
            result = load_paths(
                args.paths,
                db,
                replace=args.replace,
                progress=progress,
                limits=limits_from(args),
                lock_timeout=args.lock_timeout,
            )
        except store.LockTimeout as exc:
            print(f"fbss: {exc}", file=sys.stderr)
            return 3
    _print_outcome(result, args.report)
    if not result.accepted:
        print(
            f"Nothing was stored: fix the problems above and load the batch again ({db}).",
            file=sys.stderr,
        )
        return 1
    print(f"Loaded into {db}" + (" (full replace)" if args.replace else "") + ":")
    for table, c in result.counts.items():
        line = (
            f"  {table}: {c['inserted']} inserted, {c['updated']} updated, "
            f"{c['unchanged']} unchanged"
        )
        if "deleted" in c:
            line += f", {c['deleted']} deleted"
        print(line)
    windows.print_store(db)
    return 0


def _check_paths(paths: list[Path], report: Path | None = None) -> int | None:
    """Exit code 2 for paths that do not exist or a report that cannot be written,
    checked before anything is loaded."""
    # a symbolic link goes on to be refused by name (its target is never read)
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    for p in missing:
        print(f"fbss: {p}: no such file or folder", file=sys.stderr)
    if report is not None and (report.is_dir() or report.parent.is_file()):
        print(f"fbss: --report {report}: not a file that can be written", file=sys.stderr)
        return 2
    return 2 if missing else None


def _print_outcome(result: LoadResult, report: Path | None) -> None:
    for line in result.ignored:
        print(f"ignored {line}")
    for file, column in result.dropped:
        print(f"dropped column {column!r} of {file}: not in the data contract, not stored")
    problems = result.problems
    if report is not None:
        _write_report(report, problems)
    if not problems:
        return
    err = sys.stderr
    print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found:", file=err)
    for p in problems[:SHOWN_LINES]:
        print(f"  {p.as_line()}", file=err)
    if len(problems) > SHOWN_LINES:
        hint = f"see {report}" if report else "use --report FILE.csv for the full list"
        print(f"  … and {len(problems) - SHOWN_LINES} more ({hint})", file=err)
    print("Problems by kind:", file=err)
    for kind, n in Counter(p.kind for p in problems).most_common():
        print(f"  {n:>7}  {kind}", file=err)
    if report is not None:
        print(f"Full report written to {report}", file=err)


def _write_report(path: Path, problems: Sequence[Problem]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "row", "column", "value", "problem", "kind"])
        for p in problems:
            writer.writerow(
                [neutralise(v) for v in (p.file, p.row, p.column, p.value, p.problem, p.kind)]
            )


class _Progress:
    """A progress bar of the load's stages on a terminal; silent otherwise."""

    def __enter__(self) -> _Progress:
        self._bar: Any = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(
                total=4,
                desc="fbss",
                unit="step",
                leave=False,
                delay=0.5,  # a quick load shows no bar at all
                bar_format="{desc}: {bar} {n_fmt}/{total_fmt} {postfix}",
            )
        return self

    def __call__(self, stage: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(stage)
            self._bar.update(1)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()
