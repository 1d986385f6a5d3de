"""`fbss dashboard [--db FILE] [--port N]`: start the Streamlit app on a store.

Only argparse is imported at start-up (so `fbss --help` stays fast); `run` replaces the
process with `python -m streamlit run dashboard/streamlit_app.py ... -- --db FILE`, so the
server's process id is the command's own (a supervisor or a test can stop it directly).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

APP = Path(__file__).resolve().with_name("streamlit_app.py")
DEFAULT_PORT = 8501


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> argparse.ArgumentParser:
    """Register `dashboard` on the `fbss` command."""
    parser = subparsers.add_parser(
        "dashboard",
        help="start the Streamlit dashboard",
        description="Start the dashboard on a store. It reads the store with short-lived "
        "read-only connections, so `fbss load` can run while it is open; rerun a page to "
        "see newly loaded data.",
    )
    parser.add_argument(
        "--db", metavar="FILE", help="the store (default $FBSS_DB, else data/fbss.duckdb)"
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--address",
        default="localhost",
        help="address to listen on (default localhost; 0.0.0.0 to serve other machines)",
    )
    parser.set_defaults(func=run)
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, got {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be from 1 to 65535, got {port}")
    return port


def command(db: Path, port: int, address: str = "localhost") -> list[str]:
    """The streamlit command line that serves the app on `db`."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.maxUploadSize",
        "200",
        "--browser.gatherUsageStats",
        "false",
        "--client.showErrorDetails",
        "none",
        "--client.toolbarMode",
        "viewer",
        "--",
        "--db",
        str(db),
    ]


def run(args: argparse.Namespace) -> int:
    """Replace this process with the Streamlit server."""
    from pipelines.store import db_path_from

    db = db_path_from(args.db).expanduser().resolve()
    if not db.exists():
        print(
            f"note: no store at {db} yet; the dashboard will say how to load data "
            f"(e.g. fbss load data/sample --db {db})",
            file=sys.stderr,
        )
    print(f"FBSS dashboard on http://{args.address}:{args.port} (store {db})", file=sys.stderr)
    env = dict(os.environ, FBSS_DB=str(db))
    argv = command(db, args.port, args.address)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
    return 0  # not reached
