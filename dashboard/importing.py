"""The Import page's work without the UI: keep uploads under their names, report problems.

Uploaded files are written into a fresh temporary folder under their original base names
(the table a file holds is read from its name: cases.csv, assessments_2026-10.xlsx), then
the pipeline's own `validate_paths` / `load_paths` run on them in a child process with
memory and time limits (`run_isolated`, issue 10): a hostile file can exhaust only that
process, the server keeps answering other users, and the folder is deleted when the step
ends, however it ends (`python -m dashboard.importing` is the child's entry point).
"""

from __future__ import annotations

import json
import os
import pickle
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipelines.load import LoadResult

ALLOWED_SUFFIXES: tuple[str, ...] = ("csv", "xlsx", "parquet")
MAX_UPLOAD_MB = 200
REPORT_COLUMNS: tuple[str, ...] = ("file", "row", "column", "value", "problem", "kind")
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the user's computer gave it and its bytes."""

    name: str
    data: bytes


def safe_name(name: str) -> str:
    """The base name only (no folders), with characters outside a plain set replaced."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = _UNSAFE.sub("_", base).lstrip(".")
    return base or "upload"


def save_uploads(uploads: Iterable[Upload], folder: Path) -> list[Path]:
    """Write each upload into `folder` under its safe name; a repeated name gets a suffix."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for upload in uploads:
        target = folder / safe_name(upload.name)
        stem, suffix, n = target.stem, target.suffix, 2
        while target.exists():
            target = folder / f"{stem} ({n}){suffix}"
            n += 1
        target.write_bytes(upload.data)
        paths.append(target)
    return paths


def _relabel(text: object, folder: Path | None) -> object:
    if folder is None or not isinstance(text, str):
        return text
    prefix = str(folder) + "/"
    return text.replace(prefix, "")


def report_frame(result: LoadResult, folder: Path | None = None) -> pd.DataFrame:
    """The problems as a table (file names shown without the upload folder)."""
    rows = [
        {
            "file": _relabel(p.file, folder),
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "problem": _relabel(p.problem, folder),
            "kind": p.kind,
        }
        for p in result.problems
    ]
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    return frame


def problems_by_kind(result: LoadResult) -> pd.DataFrame:
    """How many problems of each kind, most frequent first."""
    counts = Counter(p.kind for p in result.problems).most_common()
    return pd.DataFrame(counts, columns=["kind", "problems"])


def notes(result: LoadResult, folder: Path | None = None) -> list[str]:
    """Plain sentences about columns left out and files passed over."""
    out = [
        f"Column '{column}' of {_relabel(file, folder)} is not in the data contract: "
        "it will not be stored."
        for file, column in result.dropped
    ]
    out += [f"Passed over {_relabel(text, folder)}" for text in result.ignored]
    return out


def counts_frame(result: LoadResult) -> pd.DataFrame:
    """Records inserted, updated and unchanged per table after a load."""
    rows = [
        {
            "table": table,
            "new": c.get("inserted", 0),
            "updated": c.get("updated", 0),
            "unchanged": c.get("unchanged", 0),
        }
        for table, c in result.counts.items()
    ]
    return pd.DataFrame(rows, columns=["table", "new", "updated", "unchanged"])


def rows_by_table(result: LoadResult) -> dict[str, int]:
    """Rows read per table from the batch's files."""
    totals: dict[str, int] = {}
    for item in result.files:
        table = str(item.get("table"))
        totals[table] = totals.get(table, 0) + int(str(item.get("rows") or 0))
    return totals


# Limits of the child process; the environment may raise them for a very large clinic.
MEMORY_MB = int(os.environ.get("FBSS_IMPORT_MEMORY_MB", "3072"))  # address space, not RSS
TIME_LIMIT_S = float(os.environ.get("FBSS_IMPORT_TIME_LIMIT_S", "600"))
_POLL_S = 0.2


class ImportStopped(Exception):
    """The child process ended without a result; the message is for the page."""


def _limit(memory_mb: int, seconds: float) -> None:
    """Set in the child itself, before any file is read (a preexec_fn is not safe in
    Streamlit's threaded server)."""
    cap = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = int(seconds) + 1  # a backstop: the parent kills it at the wall-clock limit
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


@contextmanager
def uploads_folder(uploads: Iterable[Upload]) -> Iterator[list[Path]]:
    """The uploads saved in a temporary folder that is deleted when the block ends."""
    with tempfile.TemporaryDirectory(prefix="fbss-upload-") as folder:
        yield save_uploads(uploads, Path(folder))


def run_isolated(
    step: str,
    paths: list[Path],
    db: Path,
    *,
    tick: Callable[[], None] = lambda: None,
    memory_mb: int = MEMORY_MB,
    seconds: float = TIME_LIMIT_S,
    clinics: Sequence[str] | None = None,
) -> LoadResult:
    """`validate` or `load` the files in a child process; return its LoadResult.

    `clinics` (None: any) is passed to the pipeline, which refuses every record of another
    clinic as a validation problem: a manager granted Import loads their own clinics only.

    `tick` is called between polls: the page passes a function that touches Streamlit,
    so a Cancel press or a closed session interrupts the wait there, and the `finally`
    kills the child. Raises ImportStopped when the child dies, runs out of memory or time.
    """
    with (
        tempfile.TemporaryDirectory(prefix="fbss-import-") as work,
        open(Path(work) / "stderr.txt", "w+b") as err_file,  # a pipe could fill and block it
    ):
        out = Path(work) / "result.pickle"
        limits = [
            str(memory_mb),
            str(seconds),
            json.dumps(None if clinics is None else list(clinics)),
        ]
        argv = [sys.executable, "-m", "dashboard.importing", step, str(db), str(out), *limits]
        proc = subprocess.Popen(
            [*argv, *map(str, paths)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            start_new_session=True,  # its own group: killed whole, never by the server's signals
        )
        try:
            deadline = time.monotonic() + seconds
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    raise ImportStopped(
                        f"the check took longer than {seconds:g} s and was stopped; "
                        "split the export into smaller files"
                    )
                tick()
                time.sleep(_POLL_S)
            err_file.seek(0)
            err = err_file.read(1 << 20).decode("utf-8", "replace")
            if proc.returncode != 0 or not out.exists():
                raise ImportStopped(_why(proc.returncode, err, memory_mb))
            with open(out, "rb") as fh:
                result: LoadResult = pickle.load(fh)  # written by our own child just now
            return result
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _why(code: int, err: str, memory_mb: int) -> str:
    # out of address space shows as any of these, by where the allocation failed
    signs = ("MemoryError", "Out of Memory", "bad_alloc", "can't start new thread", "mmap")
    if any(sign in err for sign in signs):
        return f"the files needed more than {memory_mb:,} MB of memory and were not checked"
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return "the check ran out of time and was stopped"
    return "the check stopped unexpectedly; try again, or load the files with `fbss load`"


def _child(argv: list[str]) -> int:
    """The child process: set its limits, run one step, write the result for the parent."""
    step, db, out, memory_mb, seconds, allowed, *paths = argv
    _limit(int(memory_mb), float(seconds))
    from pipelines.load import load_paths, validate_paths

    files = [Path(p) for p in paths]
    clinics = json.loads(allowed)
    if step == "validate":
        result = validate_paths(files, Path(db), clinics=clinics)
    elif step == "load":
        result = load_paths(files, Path(db), clinics=clinics)
    else:
        return 2
    with open(out, "wb") as fh:
        pickle.dump(result, fh)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
