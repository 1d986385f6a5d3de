"""The key that orders anonymous peers ("Peer 1", "Peer 2"...) for one deployment.

Numbering peers by an unkeyed hash of their name lets anyone holding the staff list
hash every name and read the labels back (review of issue 10). The order is keyed
instead: a key derived from the deployment's secret beside the accounts file
(`fbss-users.secret`, 32 random bytes, mode 0600, made on first use by
access.session_token), never stored in the DuckDB store. One key gives the same labels
in every view of that deployment; a reader without it cannot tell which peer is whom.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from pathlib import Path

from access.scope import Scope
from access.session_token import _secret  # creates the secret with mode 0600 under a lock

# A separate derivation, so the peer key says nothing about the session-signing key.
_PURPOSE = b"fbss peer labels v1"


def peer_key(users_file: Path) -> str:
    """The deployment's peer-ordering key (hex), derived from its accounts secret."""
    return hmac.new(_secret(users_file), _PURPOSE, hashlib.sha256).hexdigest()


def keyed(scope: Scope, users_file: Path) -> Scope:
    """The scope with the deployment's peer key: only a physician's view labels peers."""
    if scope.role != "physician":
        return scope
    return replace(scope, peer_key=peer_key(users_file))
