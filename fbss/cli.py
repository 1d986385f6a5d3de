"""The `fbss` command line: every job without the UI.

The composition root: the only module that imports every layer. Each command lives
beside its domain (pipelines.commands, pipelines.sample, analytics.cli, dashboard.launch).

Each command module registers its own sub-parser and keeps heavy imports inside its
run function, so `fbss --help` stays fast. A command's module is imported only when that
command runs (or for the full list): `fbss load` then imports neither the analytics nor
pandas (analytics.worklist imports it at its top), which cost it about 1 s (issue 7).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# (module, its function that registers sub-parsers, the commands it registers), in the
# order `fbss --help` lists them. tests/test_cli_help.py checks the commands named here.
COMMANDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("pipelines.commands", "add_parsers", ("validate", "load")),
    ("pipelines.sample", "add_parser", ("sample",)),
    ("pipelines.migrate", "add_parser", ("migrate",)),
    ("analytics.cli", "add_parsers", ("summary", "events")),
    # compare, providers, similar: case-mix adjusted
    ("analytics.compare_cli", "add_parsers", ("compare", "providers", "similar")),
    ("analytics.worklist", "add_parser", ("worklist",)),  # open follow-up windows
    ("dashboard.launch", "add_parser", ("dashboard",)),
    ("pipelines.settings", "add_parser", ("event-capture",)),
    ("access.cli", "add_users_parser", ("users",)),
    ("access.cli", "add_audit_parser", ("audit",)),
    ("reports.cli", "add_parser", ("report",)),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; given a `command` named in COMMANDS, only its module's."""
    known = any(command in names for _, _, names in COMMANDS)
    parser = argparse.ArgumentParser(
        prog="fbss",
        description="Outcome tracking for failed back surgery syndrome: "
        "validate and load case records, summarise outcomes, run the dashboard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module, register, names in COMMANDS:
        if not known or command in names:
            getattr(importlib.import_module(module), register)(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # The first word is the command (fbss has no options of its own before it but --help)
    parser = build_parser(argv[0] if argv else None)
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
