"""`fbss dashboard [--db FILE] [--port N] [--users FILE] [--oidc FILE]`: start the app.

Sign-in (issue 10): when the accounts file exists (`--users`, default fbss-users.toml
beside the store) or OIDC is configured (an [auth] section in `--oidc FILE`, or in
Streamlit's .streamlit/secrets.toml), every page requires sign-in. With neither, the
dashboard is the operator's own: single-user local mode, bound to 127.0.0.1, and a
non-loopback `--address` is refused with a message saying how to set up sign-in.

Only argparse is imported at start-up (so `fbss --help` stays fast); `run` replaces the
process with `python -m streamlit run dashboard/streamlit_app.py ... -- --db FILE`, so the
server's process id is the command's own (a supervisor or a test can stop it directly).
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tomllib
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
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; 0.0.0.0 to serve other machines, "
        "which needs sign-in: --users or --oidc)",
    )
    parser.add_argument(
        "--users",
        metavar="FILE",
        help="accounts file (default fbss-users.toml beside the store); when it exists, "
        "every page requires sign-in (add accounts with `fbss users add`)",
    )
    parser.add_argument(
        "--oidc",
        metavar="FILE",
        help="TOML file with Streamlit's [auth] section for OpenID Connect sign-in "
        "(default: .streamlit/secrets.toml if it has one; see docs/deployment.md)",
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


LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
SIGN_IN_HELP = (
    "add an account with `fbss users add EMAIL --role admin --password-stdin` "
    "(or name an accounts file with --users), or configure OpenID Connect with --oidc FILE "
    "(see docs/deployment.md)"
)


def is_loopback(address: str) -> bool:
    """True for 127.0.0.1, ::1, localhost: an address only this machine can reach."""
    if address.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def oidc_settings(named: str | None, cwd: Path) -> Path | None:
    """The secrets file holding an [auth] section: --oidc, else .streamlit/secrets.toml."""
    candidates = [Path(named)] if named else [cwd / ".streamlit" / "secrets.toml"]
    for path in candidates:
        try:
            settings = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            if named:
                raise SystemExit(f"fbss dashboard: no OIDC settings file at {path}") from None
            continue
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise SystemExit(f"fbss dashboard: cannot read {path}: {exc}") from None
        if "auth" in settings:
            return path
        if named:
            raise SystemExit(f"fbss dashboard: {path} has no [auth] section")
    return None


def command(
    db: Path, port: int, address: str = "127.0.0.1", secrets: Path | None = None
) -> list[str]:
    """The streamlit command line that serves the app on `db`."""
    extra = ["--secrets.files", str(secrets)] if secrets else []
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
        *extra,
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
    from access.accounts import users_path_from

    users = users_path_from(args.users, db).expanduser().resolve()
    secrets = oidc_settings(args.oidc, Path.cwd())
    if users.is_file() or secrets:
        how = "OpenID Connect" if secrets else f"accounts in {users}"
        print(f"sign-in required ({how})", file=sys.stderr)
    elif not is_loopback(args.address):
        print(
            f"fbss dashboard: refusing to serve on {args.address} without sign-in: anyone "
            f"who reaches the port would see every clinic's data. To set up sign-in, "
            f"{SIGN_IN_HELP}. Without sign-in the dashboard listens on 127.0.0.1 only.",
            file=sys.stderr,
        )
        return 2
    else:
        print("single-user local mode (no accounts file, no OIDC): 127.0.0.1 only", file=sys.stderr)
    print(f"FBSS dashboard on http://{args.address}:{args.port} (store {db})", file=sys.stderr)
    env = dict(os.environ, FBSS_DB=str(db), FBSS_USERS=str(users))
    argv = command(db, args.port, args.address, secrets)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
    return 0  # not reached
