"""A real `fbss dashboard` server on a free port, and Debian's Chromium driven by Playwright.

The browser tests do not skip: if /usr/bin/chromium is missing they fail and say how to
install it (`make test` installs it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from pipelines.load import load_paths

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
FBSS = Path(sys.executable).with_name("fbss")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# A physician name a spreadsheet would run as a formula: downloads must neutralise it.
FORMULA_NAME = "=1+1 Dr T. Sorensen"
HELD_BACK = 100  # cases left out of the first batch, loaded while the page is open

# The page has finished its run and every chart has drawn its marks.
READY_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(
    e => e.querySelector('svg.marks, canvas.marks'));
}"""


def wait_ready(page: Page, timeout_ms: int = 60_000) -> None:
    """Wait until the script run is over and every chart is drawn."""
    page.wait_for_function(READY_JS, timeout=timeout_ms)


@dataclass(frozen=True)
class Batches:
    first: Path  # the sample without its last HELD_BACK cases
    full: Path  # the whole sample


@pytest.fixture(scope="session")
def batches(tmp_path_factory: pytest.TempPathFactory) -> Batches:
    """Two batches made from the sample; one physician renamed to a formula-like name."""
    out = tmp_path_factory.mktemp("e2e-batches")
    frames = {
        name: pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("cases", "assessments", "events")
    }
    cases = frames["cases"]
    cases.loc[cases["physician"] == "Dr T. Sorensen", "physician"] = FORMULA_NAME
    kept = set(cases["case_id"].iloc[:-HELD_BACK])
    for folder, keep in (("first", kept), ("full", None)):
        (out / folder).mkdir()
        for name, frame in frames.items():
            part = frame if keep is None else frame[frame["case_id"].isin(keep)]
            part.to_csv(out / folder / f"{name}.csv", index=False)
    return Batches(out / "first", out / "full")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    db: Path
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def run_server(db: Path, log: Path) -> Iterator[Server]:
    """`fbss dashboard --db DB --port N` until the block ends; waits for /_stcore/health."""
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(FBSS), "dashboard", "--db", str(db), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,  # its own process group, stopped by its id below
        )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield Server(url, db, process)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def make_store(batch: Path, db: Path) -> Path:
    result = load_paths([batch], db)
    assert result.accepted, result.problems[:3]
    return db


@pytest.fixture(scope="module")
def server(batches: Batches, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A dashboard on a store of the first batch, shared by a module's read-only tests."""
    folder = tmp_path_factory.mktemp("e2e-server")
    db = make_store(batches.first, folder / "fbss.duckdb")
    with run_server(db, folder / "server.log") as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(`make test` installs it; or `sudo apt-get install chromium`)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
