"""The scope a named account would have: for `--as EMAIL` on the CLI and for OIDC sign-in
matched by e-mail against the accounts file."""

from __future__ import annotations

from collections.abc import Mapping
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


def verified_email(claims: Mapping[str, object]) -> str:
    """The e-mail an identity provider vouches for, to match against the accounts file.

    A provider that lets users type any address marks it `email_verified: false`; such an
    address must not take over the account of that address. Providers that never send
    the claim (Entra ID) are trusted for their own directory's addresses.
    """
    email = normalise_email(str(claims.get("email") or ""))
    if (
        claims.get("email_verified") is False
        or str(claims.get("email_verified")).lower() == "false"
    ):
        raise AccessError(f"the identity provider has not verified the address {email!r}")
    return email
