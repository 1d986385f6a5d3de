"""One call from a scope and a period to a PDF file: what `fbss report` and the dashboard use."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from analytics import overview
from analytics.definitions import DEFAULT_MIN_CELL
from analytics.queries import StoreMissingError
from reports.content import Progress, ReportData, build_report
from reports.periods import Period
from reports.render import Rendered, render_pdf, warm_up
from reports.scope import Kind, Scope, resolve


def _quiet(fraction: float, message: str) -> None:
    """No progress display."""


def _warm_up() -> None:
    with contextlib.suppress(Exception):
        warm_up()


def make_report(
    db: Any,
    kind: Kind,
    name: str | None,
    period: Period,
    *,
    compare_previous: bool = False,
    min_cell: int = DEFAULT_MIN_CELL,
    round_base: int = 0,
    progress: Progress = _quiet,
    today: dt.date | None = None,
    users: str | None = None,
) -> tuple[ReportData, Rendered]:
    """Check the scope against the store, compute the figures and render the PDF.

    Peers are labelled with the deployment's key (access.peer_key) from the accounts file
    `users`, else $FBSS_USERS, else the one beside the store: the dashboard's labels."""
    # The renderer loads while the figures are computed (see render.warm_up); a failure
    # there shows again, with its traceback, when render_pdf loads the same things.
    warming = threading.Thread(target=_warm_up, name="fbss-warm-up", daemon=True)
    warming.start()
    options = overview.filter_options(db)
    if not options.get("n_cases"):
        raise StoreMissingError(f"the store {db} holds no cases yet: load some first")
    scope: Scope = resolve(kind, name, options)
    report = build_report(
        db,
        scope,
        period,
        options=options,
        compare_previous=compare_previous,
        min_cell=min_cell,
        round_base=round_base,
        progress=progress,
        today=today,
        peer_key=_peer_key(db, users),
    )
    warming.join()
    rendered = render_pdf(report, progress=progress)
    progress(1.0, "Done")
    return report, rendered


def _peer_key(db: Any, users: str | None) -> str:
    """The deployment's peer key, as the dashboard finds its accounts file."""
    from access.accounts import users_path_from
    from access.peer_key import peer_key

    return peer_key(users_path_from(users or os.environ.get("FBSS_USERS"), db))


def write_atomically(path: Path, data: bytes) -> None:
    """Write next to the target and rename, so a reader never sees half a PDF."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)  # mkstemp makes the file private; a report is an ordinary file
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
