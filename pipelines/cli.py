"""The `fbss` command line: every job without the UI.

Each command module registers its own sub-parser and keeps heavy imports inside its
run function, so `fbss --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pipelines import commands as pipeline_commands
from pipelines import sample


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fbss",
        description="Outcome tracking for failed back surgery syndrome: "
        "validate and load case records, summarise outcomes, run the dashboard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    pipeline_commands.add_parsers(sub)  # validate, load
    sample.add_parser(sub)  # sample
    try:
        from dashboard.analytics import cli as analytics_cli
    except ImportError:  # analytics not built yet
        analytics_cli = None
    if analytics_cli is not None:
        analytics_cli.add_parsers(sub)  # summary, events
    try:
        from dashboard import launch
    except ImportError:
        launch = None
    if launch is not None:
        launch.add_parser(sub)  # dashboard
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


if __name__ == "__main__":
    sys.exit(main())
