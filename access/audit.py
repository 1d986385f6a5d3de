"""The audit trail: one JSON line per sign-in, failed sign-in, sign-out, page view,
download and import, in a file outside the store (loads replace the store, never this).

Each record is written with a single write() on a descriptor opened with O_APPEND,
under an exclusive flock and followed by fsync: concurrent writers (several dashboard
sessions, a CLI import) never interleave or lose a line, and a record that returned is
on disk. Nothing that looks like a password, secret or token is ever written.
"""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import io
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from pipelines.spreadsheet import neutralise
from pipelines.store import db_path_from

DEFAULT_AUDIT_NAME = "fbss-audit.jsonl"
ACTIONS: tuple[str, ...] = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "page_view",
    "download",
    "import",
    "account_change",
)
FIELDS: tuple[str, ...] = ("at", "user", "action", "what")
_SECRET = re.compile(r"pass(word)?|secret|token|hash", re.IGNORECASE)
NOT_RECORDED = "[not recorded]"


def audit_path_from(audit: str | Path | None, db: str | Path | None = None) -> Path:
    """The audit file: `--audit`, else $FBSS_AUDIT, else fbss-audit.jsonl beside the store."""
    if audit:
        return Path(audit)
    if os.environ.get("FBSS_AUDIT"):
        return Path(os.environ["FBSS_AUDIT"])
    return db_path_from(db).parent / DEFAULT_AUDIT_NAME


def _scrub(value: object) -> object:
    """A JSON-ready copy with every secret-looking key's value replaced."""
    if isinstance(value, Mapping):
        return {
            str(k): NOT_RECORDED if _SECRET.search(str(k)) else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(
    path: Path,
    *,
    user: str | None,
    action: str,
    what: Mapping[str, object] | None = None,
    at: dt.datetime | None = None,
) -> dict[str, object]:
    """Append one record and return it; `user` None means not signed in (e.g. a failure)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; choose from {', '.join(ACTIONS)}")
    when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    entry: dict[str, object] = {
        "at": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "user": user,
        "action": action,
        "what": _scrub(dict(what or {})),
    }
    line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # also covers filesystems where O_APPEND is not atomic
        written = 0
        while written < len(line):  # one write() in practice; a short write is finished
            written += os.write(fd, line[written:])
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock
    return entry


def read(
    path: Path, *, since: dt.date | None = None, user: str | None = None
) -> tuple[list[dict[str, object]], int]:
    """Records on or after `since` (UTC date) by `user`, and how many lines were unreadable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], 0
    wanted = user.strip().lower() if user else None
    out: list[dict[str, object]] = []
    damaged = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            day = dt.date.fromisoformat(str(entry["at"])[:10])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            damaged += 1  # a torn last line after a power cut, or an edit by hand
            continue
        if since and day < since:
            continue
        if wanted and str(entry.get("user") or "").lower() != wanted:
            continue
        out.append(entry)
    return out, damaged


def to_csv(entries: Iterable[Mapping[str, object]]) -> str:
    """CSV with columns at, user, action, what (JSON text); formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for e in entries:
        what = json.dumps(e.get("what", {}), ensure_ascii=False, sort_keys=True)
        cells = [str(e.get("at", "")), str(e.get("user") or ""), str(e.get("action", "")), what]
        writer.writerow([neutralise(c) for c in cells])
    return buffer.getvalue()


def to_json(entries: Iterable[Mapping[str, object]]) -> str:
    """A JSON list of records."""
    return json.dumps(list(entries), indent=2, ensure_ascii=False)
