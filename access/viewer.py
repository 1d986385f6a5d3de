"""The scope a named account would have: for `--as EMAIL` on the CLI and for OIDC sign-in
matched by e-mail against the accounts file."""

from __future__ import annotations

from pathlib import Path

from access.accounts import AccessError, Account, load_accounts, normalise_email
from access.scope import Scope


def account_for(email: str, users_file: Path) -> Account:
    """The account of `email` in the accounts file, or a plain-words AccessError."""
    if not users_file.is_file():
        raise AccessError(
            f"no accounts file at {users_file}: add accounts with `fbss users add` "
            "or name the file with --users"
        )
    key = normalise_email(email)
    account = load_accounts(users_file).get(key)
    if account is None:
        raise AccessError(f"no account {key!r} in {users_file}")
    return account


def scope_for(email: str, users_file: Path) -> Scope:
    """What `email` may see, from the accounts file (with the deployment's peer key)."""
    from access.peer_key import keyed

    return keyed(Scope.of(account_for(email, users_file)), users_file)
