"""The `fbss` command line: every job without the UI.

The composition root: the only module that imports every layer. Each command lives
beside its domain (pipelines.commands, pipelines.sample, analytics.cli, dashboard.launch).

Each command module registers its own sub-parser and keeps heavy imports inside its
run function, so `fbss --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from access import cli as access_commands
from analytics import cli as analytics_commands
from analytics import compare_cli, worklist
from dashboard import launch
from pipelines import commands as pipeline_commands
from pipelines import migrate, sample, settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fbss",
        description="Outcome tracking for failed back surgery syndrome: "
        "validate and load case records, summarise outcomes, run the dashboard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    pipeline_commands.add_parsers(sub)  # validate, load
    sample.add_parser(sub)  # sample
    migrate.add_parser(sub)  # migrate
    analytics_commands.add_parsers(sub)  # summary, events
    compare_cli.add_parsers(sub)  # compare, providers, similar (case-mix adjusted)
    worklist.add_parser(sub)  # worklist (open follow-up windows)
    launch.add_parser(sub)  # dashboard
    settings.add_parser(sub)  # event-capture
    access_commands.add_users_parser(sub)  # users
    access_commands.add_audit_parser(sub)  # audit
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted: nothing was changed", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # permissions, a full disk, a folder in place of a file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"fbss: {where}{exc.strerror or exc}; nothing was changed", file=sys.stderr)
        return 1
    except Exception as exc:
        import duckdb  # the store could not be opened or read (damaged, not a DuckDB file)

        if not isinstance(exc, duckdb.Error):
            raise
        first = str(exc).splitlines()[0]
        print(f"fbss: the store could not be used: {first}; nothing was changed", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
