"""`fbss users` (add, list, remove, reset, grant-import, revoke-import) and `fbss audit`.

A password is read from standard input only (`--password-stdin`), never from an argument,
so it stays out of the shell history and the process list. Exit codes: 0 done, 1 a file
could not be used, 2 a request that cannot be carried out as written.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

from access import accounts as acc
from access import audit


def add_users_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register `users` on the `fbss` command."""
    users = subparsers.add_parser(
        "users",
        help="local accounts for the dashboard: add, list, remove, reset, grant-import",
        description="Local sign-in accounts, kept in --users FILE (default fbss-users.toml "
        "beside the store). Passwords are read from standard input and stored as argon2 "
        "hashes only.",
    )
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--users", metavar="FILE", help="accounts file")
        p.add_argument("--db", help="store file whose folder holds the default accounts file")
        p.add_argument("--audit", metavar="FILE", help="audit file for account changes")

    add = actions.add_parser("add", help="add an account")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=acc.ROLES)
    add.add_argument("--clinic", action="append", default=[], metavar="NAME", help="repeatable")
    add.add_argument("--physician", metavar="NAME", help="the physician's name in the records")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument(
        "--can-import",
        action="store_true",
        help="let a manager load their own clinics' records (the Import page)",
    )
    common(add)
    add.set_defaults(func=run_users)

    for name, words in (("grant-import", "let"), ("revoke-import", "no longer let")):
        grant = actions.add_parser(
            name, help=f"{words} a manager load their own clinics' records (the Import page)"
        )
        grant.add_argument("email")
        common(grant)
        grant.set_defaults(func=run_users)

    listing = actions.add_parser("list", help="list accounts (never their passwords)")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    common(listing)
    listing.set_defaults(func=run_users)

    remove = actions.add_parser("remove", help="remove an account")
    remove.add_argument("email")
    common(remove)
    remove.set_defaults(func=run_users)

    reset = actions.add_parser("reset", help="set a new password (and lift a lockout)")
    reset.add_argument("email")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    common(reset)
    reset.set_defaults(func=run_users)


def add_audit_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register `audit` on the `fbss` command."""
    parser = subparsers.add_parser(
        "audit",
        help="read the audit trail (sign-ins, page views, downloads, imports)",
        description="Print audit records from --audit FILE (default $FBSS_AUDIT, else "
        "fbss-audit.jsonl beside the store), oldest first.",
    )
    parser.add_argument("--since", metavar="DATE", help="records on or after this UTC date")
    parser.add_argument("--user", metavar="EMAIL", help="records of this user only")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("--audit", metavar="FILE", help="audit file")
    parser.add_argument("--db", help="store file whose folder holds the default audit file")
    parser.set_defaults(func=run_audit)


def _password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        raise acc.AccessError(
            "give the password on standard input with --password-stdin "
            "(e.g. `fbss users add ... --password-stdin < file`)"
        )
    if sys.stdin.isatty():  # typed by hand: do not echo it
        return getpass.getpass("Password: ")
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _guard(command: str, work: Callable[[], int]) -> int:
    try:
        return work()
    except acc.AccessError as exc:
        print(f"fbss {command}: {exc}", file=sys.stderr)
        return 2


def run_users(args: argparse.Namespace) -> int:
    """`fbss users ACTION`."""
    from access.signin import clear_lockout

    path = acc.users_path_from(args.users, args.db)
    action = args.users_command

    def work() -> int:
        if action == "add":
            a = acc.add_account(
                path,
                args.email,
                role=args.role,
                password=_password(args),
                clinics=args.clinic,
                physician=args.physician,
                can_import=args.can_import,
            )
            more = {"can_import": True} if a.can_import else {}
            _note(args, a.email, "added", role=a.role, clinics=list(a.clinics), **more)
            print(f"added {a.email} ({a.role}) to {path}")
        elif action in ("grant-import", "revoke-import"):
            granted = action == "grant-import"
            a = acc.set_import_grant(path, args.email, granted)
            _note(args, a.email, "import granted" if granted else "import revoked")
            print(f"{a.email} {'may now' if granted else 'may no longer'} import records")
        elif action == "remove":
            acc.remove_account(path, args.email)
            _note(args, acc.normalise_email(args.email), "removed")
            print(f"removed {acc.normalise_email(args.email)} from {path}")
        elif action == "reset":
            a = acc.reset_password(path, args.email, _password(args))
            clear_lockout(path, a.email)
            _note(args, a.email, "password reset")
            print(f"new password set for {a.email}")
        else:
            _print_accounts(acc.load_accounts(path), args.format)
        return 0

    return _guard("users", work)


def _note(args: argparse.Namespace, email: str, change: str, **more: object) -> None:
    """Account changes go to the audit trail beside the same store (never the password)."""
    path = audit.audit_path_from(args.audit, args.db)
    audit.record(
        path, user=None, action="account_change", what={"account": email, "change": change, **more}
    )


def _print_accounts(accounts: dict[str, acc.Account], fmt: str) -> None:
    rows = [
        {
            "email": a.email,
            "role": a.role,
            "clinics": list(a.clinics),
            "physician": a.physician,
            "can_import": a.role == "admin" or a.can_import,
        }
        for a in accounts.values()
    ]
    if fmt == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        print("no accounts")
        return
    for r in rows:
        scope = ", ".join(r["clinics"]) or "every clinic"  # type: ignore[arg-type]
        who = f"; physician {r['physician']}" if r["physician"] else ""
        imports = "; can import" if r["can_import"] else ""
        print(f"{r['email']}  {r['role']}  ({scope}{who}{imports})")


def run_audit(args: argparse.Namespace) -> int:
    """`fbss audit`: print the records asked for."""
    import datetime as dt

    def work() -> int:
        since = None
        if args.since:
            try:
                since = dt.date.fromisoformat(args.since.strip())
            except ValueError:
                raise acc.AccessError(f"{args.since!r} is not a date; write YYYY-MM-DD") from None
        path = audit.audit_path_from(args.audit, args.db)
        entries, damaged = audit.read(path, since=since, user=args.user)
        text = audit.to_csv(entries) if args.format == "csv" else audit.to_json(entries) + "\n"
        sys.stdout.write(text)
        if damaged:
            print(f"fbss audit: {damaged} unreadable line(s) in {path} skipped", file=sys.stderr)
        return 0

    return _guard("audit", work)
