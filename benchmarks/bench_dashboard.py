"""Time each dashboard page in a real browser after a filter change, and the server's memory.

    .venv/bin/python benchmarks/bench_dashboard.py --cases 1000000
    .venv/bin/python benchmarks/bench_dashboard.py --db /tmp/fresh-1m.duckdb   # a loaded store

Builds (or reuses) benchmarks/out/analytics-<cases>-<seed>.duckdb, the store
bench_analytics.py makes (pipelines.sample.generate inserted straight into a
schema-created store, its facts built as a load builds them), or uses --db, starts
`fbss dashboard` on it on a free port and drives Debian's
Chromium with Playwright. Overview, Causes & pathways, Compare pathways and Data quality
draw one section (tab) at a time; each of their other sections is measured as a view of its own
(SECTIONS, opened from the URL). For each view it opens it once ("first open"), then
--repeat times picks one more physician in the sidebar and times from the key press to
"ready": the script run that the change started has finished and every chart has drawn.
Each change is a filter no page has seen before, so no figure comes from the cache.
Memory is the server's resident set (VmRSS) at the end and its peak (VmHWM).
Goal (issue 7, point 8): every page's median under 1 s at 1,000,000 cases (issue 4 had 2 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from analytics import filter_options  # noqa: E402
from benchmarks.bench_analytics import build_store as build_store_with_facts  # noqa: E402

BUDGET_S = 1.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGES: dict[str, str] = {
    "Overview": "",
    "Causes & pathways": "causes",
    "Compare pathways": "compare",
    "Physicians & clinics": "providers",
    "Data quality": "quality",
    "Import": "import",
}
# The other sections (tabs) of the pages that draw one section at a time (issue 7): the
# page's URL with the section chosen. The pages above open on their first section.
SECTIONS: dict[str, str] = {
    "Overview > Follow-ups to collect": "?overview_section=worklist",
    "Overview > Who misses the 12-month target": "?overview_section=by_unit",
    "Causes > Reoperations and complications": "causes?causes_section=events",
    "Compare > Outcomes (crude)": "compare?compare_section=outcomes",
    "Compare > Over time (crude)": "compare?compare_section=over_time",
    "Compare > Reoperations and complications": "compare?compare_section=events",
    "Data quality > Completeness": "quality?quality_section=completeness",
    "Data quality > Lost to follow-up": "quality?quality_section=lost",
    "Data quality > Visit windows": "quality?quality_section=windows",
}
VIEWS = {**PAGES, **SECTIONS}
# Finished: the run is over, the page drew its title, every chart has its marks.
READY_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(
    e => e.querySelector('svg.marks, canvas.marks'));
}"""
# Remember when a run starts, so "ready" means the run the change caused has ended.
WATCH_JS = """() => {
  window.__fbssRan = false;
  window.__fbssT = {click: performance.now()};
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__fbssObserver) window.__fbssObserver.disconnect();
  window.__fbssObserver = new MutationObserver(() => {
    const state = app.getAttribute('data-test-script-state');
    if (state === 'running' && !window.__fbssRan) {
      window.__fbssRan = true;
      window.__fbssT.running = performance.now();
    }
    if (state === 'notRunning' && window.__fbssRan && !window.__fbssT.done) {
      window.__fbssT.done = performance.now();
    }
  });
  window.__fbssObserver.observe(app, {attributes: true});
}"""
# Milliseconds from the click to the run's start and to its end (as the browser saw them).
SPLIT_JS = """() => [window.__fbssT.running - window.__fbssT.click,
                     window.__fbssT.done - window.__fbssT.click]"""
AFTER_RUN_JS = f"() => window.__fbssRan && ({READY_JS})()"
SPLITS: list[tuple[float, float]] = []  # (run started, run ended) after each change, seconds
SERVER_CPU: list[float] = []  # the server's CPU seconds for each change
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def build_store(path: Path, n_cases: int, seed: int) -> float:
    """Generate the cases into a fresh store with its facts (as a load leaves it); seconds."""
    records, facts = build_store_with_facts(path, n_cases, seed)
    return records + facts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dashboard(db: Path, log: Path, src: Path | None = None) -> Iterator[tuple[str, int]]:
    """(url, pid) of `fbss dashboard` on `db`, stopped (by its own id) when the block ends.

    `src`: serve an older source tree's dashboard instead (same interpreter)."""
    port = _free_port()
    fbss = [str(Path(sys.executable).with_name("fbss"))]
    env = None
    if src is not None:  # `python -m` puts the working folder first on sys.path
        fbss, env = [sys.executable, "-m", "fbss.cli"], {**os.environ, "PYTHONPATH": str(src)}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*fbss, "dashboard", "--db", str(db), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
            cwd=src,
        )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response,
            ):
                if response.status == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url, proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def memory_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MiB, from /proc."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ready(page: Page, *, after_run: bool, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(AFTER_RUN_JS if after_run else READY_JS, timeout=timeout_ms)
    page.evaluate(TWO_FRAMES_JS)


def add_physician(page: Page, name: str, server: int) -> float:
    """Pick one more physician in the sidebar; seconds from the key press to ready.

    The server's CPU seconds for the change go to SERVER_CPU: on a shared machine they
    say what the page costs when wall time mostly says how busy the machine is."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has_text="Physician"
    )
    box.locator("input").click()
    page.keyboard.type(name)
    option = page.get_by_role("option", name=name, exact=True)
    option.wait_for(timeout=30_000)
    page.evaluate(WATCH_JS)
    cpu = cpu_seconds(server)
    started = time.perf_counter()
    option.click()
    ready(page, after_run=True)
    seconds = time.perf_counter() - started
    SERVER_CPU.append(cpu_seconds(server) - cpu)
    SPLITS.append(tuple(x / 1000 for x in page.evaluate(SPLIT_JS)))
    page.keyboard.press("Escape")
    if page.locator('[data-testid="stException"]').count():
        raise SystemExit(f"an exception is shown on {page.url}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    parser.add_argument("--db", type=Path, help="use this store (e.g. one `fbss load` wrote)")
    parser.add_argument("--against", type=Path, help="serve this older source tree instead")
    parser.add_argument(
        "--pages",
        default=",".join(VIEWS),
        help="comma-separated page titles and sections (default: every page and section)",
    )
    parser.add_argument(
        "--query", default="", help="query string opened with every page, e.g. compare_by=treatment"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a median is over 1 s")
    args = parser.parse_args(argv)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = [p for p in pages if p not in VIEWS]
    if unknown:
        parser.error(f"unknown page {unknown[0]!r}; choose from {', '.join(VIEWS)}")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")

    args.out.mkdir(parents=True, exist_ok=True)
    db = args.db or args.out / f"analytics-{args.cases}-{args.seed}.duckdb"
    if args.db:
        if not db.is_file():
            parser.error(f"no store at {db}")
        print(f"store      : {db}")
    elif db.exists():
        print(f"store      : {db} (reused)")
    else:
        print(f"store      : {db} (built in {build_store(db, args.cases, args.seed):.1f} s)")
    physicians = list(filter_options(db)["physician"])
    # Page k adds physicians k, k+1, ... (counting round): every set is new to the
    # server's cache while a page adds fewer physicians than the store has.
    if len(physicians) <= args.repeat:
        raise SystemExit(
            f"need more than {args.repeat} physicians for unseen filters, the store has "
            f"{len(physicians)}; use a smaller --repeat"
        )
    print(f"cpu cores  : {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")

    results: list[tuple[str, float, list[float], float]] = []
    log = args.out / "bench-dashboard.log"
    with dashboard(db, log, args.against) as (url, pid), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        for k, title in enumerate(pages):
            started = time.perf_counter()
            path = VIEWS[title]
            joiner = "&" if "?" in path else "?"
            page.goto(f"{url}/{path}" + (f"{joiner}{args.query}" if args.query else ""))
            ready(page, after_run=False)
            first = time.perf_counter() - started
            SPLITS.clear()
            SERVER_CPU.clear()
            n = len(physicians)
            runs = [add_physician(page, physicians[(k + i) % n], pid) for i in range(args.repeat)]
            cpu = statistics.median(SERVER_CPU)
            results.append((title, first, runs, cpu))
            ended = statistics.median(end for _, end in SPLITS)
            print(
                f"{'':22s} run ended (median) {ended:5.2f} s after the click; the rest "
                f"drawing; server CPU (median) {cpu:5.2f} s"
            )
            print(
                f"{title:22s} first open {first:6.2f} s   after a filter change: median "
                f"{statistics.median(runs):5.2f} s  (runs {', '.join(f'{r:.2f}' for r in runs)})"
            )
        rss, peak = memory_mib(pid)
        browser.close()
    print(f"server memory: {rss:,.0f} MiB resident at the end, peak {peak:,.0f} MiB")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(
        "\n| page | first open | median after a filter change | server CPU (median) | runs |"
        "\n|---|---:|---:|---:|---|"
    )
    for title, first, runs, cpu in results:
        print(
            f"| {title} | {first:.2f} s | {statistics.median(runs):.2f} s | {cpu:.2f} s | "
            f"{', '.join(f'{r:.2f}' for r in runs)} |"
        )
    over = [title for title, _, runs, _ in results if statistics.median(runs) > BUDGET_S]
    if over:
        print(f"over the {BUDGET_S:g} s budget: {', '.join(over)}")
    return 1 if (args.check and over) else 0


if __name__ == "__main__":
    sys.exit(main())
