"""`python -m gtm bench`: how fast Targetline is at a given company size, against budgets.

An executive dashboard that takes ten seconds per click does not get used, and a
team choosing Targetline over a hand-built pandas notebook wants numbers, not
claims. This module generates (or reuses) the demo company at the requested size,
loads it in a separate process (so the peak memory is the load's own), and times
the `report`, every page of the app (cold and warm, through Streamlit's AppTest),
a growth-equation input move, a cold page in headless Chromium and the same
year's headline metrics computed the hand-built way (perf/pandas_baseline.py). Each
figure is the median of --runs runs and is printed beside its budget (the issue's
budgets at the enterprise size, ~50,000 accounts) with how far over it is.

The page measurements need Streamlit's AppTest: they live in perf/pages.py and
run in a child process, so gtm itself never imports Streamlit.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from statistics import median

import psutil

from gtm.load import store
from gtm.plan.growth import FIELD_LABELS
from perf import server, spark_bench
from ui import nav

APP = store.REPO_ROOT / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ENTERPRISE_ACCOUNTS = 50_000
MARKER = ".bench-extract.json"
PAGE_TIMEOUT_S = 600  # AppTest and browser waits: generous, the budget is checked afterwards
SLIDER_MOVES = 5  # at least this many input moves, whatever --runs says
RERUN_WARMUP = 10
Log = Callable[[str], None]

# Budgets of the issue at the enterprise size: figure kind -> (limit, higher is better).
BUDGETS = {
    "load_s": (60.0, False),
    "load_rss_mb": (4096.0, False),
    "report_s": (3.0, False),
    "speedup_x": (5.0, True),
    "page_cold_s": (2.0, False),
    "page_warm_ms": (150.0, False),
    "slider_ms": (50.0, False),
    "preview_s": (2.0, False),  # a rule change recomputes the Targets page: a cold page's budget
    "browser_cold_s": (3.0, False),
    "browser_floor_x": (1.3, False),  # a page's cold view over the floor's, same run (issue 17)
    "browser_slider_ms": (150.0, False),  # key press to new numbers, median (issue 17)
    "browser_slider_p95_ms": (250.0, False),
    "browser_filter_s": (1.0, False),  # a sidebar filter change on an open page
    "rerun_growth_mb": (50.0, False),  # "memory stays flat": our tolerance, DECISIONS.md
    "qbr_s": (30.0, False),  # the QBR pack of the year, whole `qbr` process (issue 18)
}


# --- figures and their budgets ---------------------------------------------------


@dataclass
class Figure:
    """One measured number, its unit, its budget (None: informative) and a note."""

    id: str
    label: str
    value: float | None
    unit: str  # s, ms, MB, x or count
    budget: float | None = None
    higher_is_better: bool = False
    note: str = ""

    def within_budget(self) -> bool | None:
        if self.value is None or self.budget is None:
            return None
        if self.higher_is_better:
            return self.value >= self.budget
        return self.value <= self.budget

    def status(self) -> str:
        """ok, over by X (lower is better), short by X (higher is better), or why absent."""
        if self.value is None:
            return "not measured" + (f": {self.note}" if self.note else "")
        verdict = self.within_budget()
        if verdict is None:
            return ""
        if verdict:
            return "ok"
        if self.higher_is_better:
            return f"short by {self.budget / self.value:.1f}x" if self.value > 0 else "short"
        over = self.value - self.budget
        return f"over by {fmt_value(over, self.unit)} ({self.value / self.budget:.1f}x budget)"


def budgeted(fid: str, label: str, value: float | None, kind: str, note: str = "") -> Figure:
    """A figure with the budget of `kind` (a key of BUDGETS); its unit follows the kind."""
    limit, higher = BUDGETS[kind]
    return Figure(fid, label, value, kind.rsplit("_", 1)[1].replace("mb", "MB"), limit,
                  higher, note)


def p95(values: list[float]) -> float | None:
    """The 95th percentile by the nearest rank (of 20 moves: the 19th fastest)."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, -(-95 * len(ranked) // 100) - 1)]


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value:,.2f} s"
    if unit == "ms":
        return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"
    if unit == "KB":
        return f"{value:,.0f} KB"
    if unit == "MB":
        return f"{value:,.0f} MB" if abs(value) >= 10 else f"{value:.1f} MB"
    if unit == "x":
        return f"{value:,.1f}x"
    return f"{value:,.0f}"


def fmt_budget(fig: Figure) -> str:
    if fig.budget is None:
        return ""
    return ("≥ " if fig.higher_is_better else "< ") + fmt_value(fig.budget, fig.unit)


def _med(values: list[float]) -> float | None:
    return median(values) if values else None


# --- options, result ---------------------------------------------------------------


@dataclass
class Options:
    accounts: int
    runs: int = 3
    workdir: Path | None = None
    year: int | None = None
    skip_pages: bool = False
    skip_browser: bool = False
    reruns: int = 0
    seed: int = 7
    spark: bool = False

    def dir(self) -> Path:
        return Path(self.workdir or f"/tmp/targetline-bench-{self.accounts}")


@dataclass
class Result:
    machine: dict
    accounts: int
    seed: int
    runs: int
    sizes: dict = field(default_factory=dict)
    year: int | None = None
    as_of: str | None = None
    figures: list[Figure] = field(default_factory=list)
    agreement: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["figures"] = [{**asdict(f), "budget_text": fmt_budget(f), "status": f.status()}
                          for f in self.figures]
        return out


def machine() -> dict:
    """Cores, memory and versions: what the figures depend on."""
    import duckdb
    import pandas

    return {
        "cores": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 1),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "pandas": pandas.__version__,
    }


# --- the extract and the load ------------------------------------------------------


def prepare_extract(opts: Options, log: Log) -> tuple[Path, dict]:
    """The demo extract of (accounts, seed) in <workdir>/extract, generated only when
    no complete one is there; returns its folder and rows per table."""
    from gtm import demo

    folder = opts.dir() / "extract"
    marker = folder / MARKER
    wanted = {"accounts": opts.accounts, "seed": opts.seed}
    if marker.exists():
        saved = json.loads(marker.read_text())
        if {k: saved.get(k) for k in wanted} == wanted:
            log(f"reusing the demo extract in {folder}")
            return folder, saved["rows"]
    log(f"generating the demo company ({opts.accounts:,} accounts) in {folder}")
    if folder.exists():
        shutil.rmtree(folder)
    began = time.perf_counter()
    rows = demo.generate(folder, accounts=opts.accounts, seed=opts.seed)
    marker.write_text(json.dumps({**wanted, "rows": rows,
                                  "generate_s": time.perf_counter() - began}))
    return folder, rows


# Runs in a child process: its peak RSS is the load's own (interpreter included).
LOAD_SCRIPT = """
import json, resource, sys
from pathlib import Path
from gtm.load.loader import load
r = load(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"ok": bool(r.ok), "errors": [str(e) for e in r.errors][:5],
                  "rows": dict(r.row_counts or {}),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(args: list[str], timeout: float = 3600) -> tuple[float, str]:
    """Run `python <args>` from the repository; (wall seconds, stdout); raise on failure."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=store.REPO_ROOT, capture_output=True,
                          text=True, timeout=timeout)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"`python {' '.join(args[:2])}` failed: " + " | ".join(tail))
    return seconds, done.stdout


def _last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def measure_load(extract: Path, opts: Options, log: Log) -> tuple[Path, list[Figure], dict]:
    """Median wall time and peak RSS of --runs loads, each into a fresh database."""
    seconds, peaks, rows, db = [], [], {}, None
    for i in range(opts.runs):
        run_dir = opts.dir() / "db" / f"run-{i}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        log(f"load {i + 1}/{opts.runs}")
        wall, out = _child(["-c", LOAD_SCRIPT, str(extract), str(run_dir / "bench.duckdb")])
        child = _last_json(out)
        if not child["ok"]:
            raise RuntimeError("the demo extract did not load: " + "; ".join(child["errors"]))
        seconds.append(wall)
        peaks.append(child["peak_rss_mb"])
        rows = child["rows"]
        if db is not None:
            shutil.rmtree(db.parent, ignore_errors=True)  # keep one database on disk
        db = run_dir / "bench.duckdb"
    figures = [
        budgeted("load_s", "load CSV extract (whole process)", _med(seconds), "load_s"),
        budgeted("load_rss_mb", "load peak memory (RSS)", _med(peaks), "load_rss_mb"),
    ]
    return db, figures, rows


# --- the year, the report and the pandas baseline -------------------------------------


def default_year(as_of: date) -> int:
    """The last full calendar year on or before the data's as-of date."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def year_filter(year: int):
    from gtm.filters import Filter

    return Filter(date(year, 1, 1), date(year, 12, 31))


def dataset_as_of(db: Path) -> date:
    from gtm.metrics import dataset_info

    con = store.connect(db)
    try:
        return dataset_info(con)["data_as_of"]
    finally:
        con.close()


def time_compute(db: Path, year: int, runs: int) -> tuple[dict, float, float]:
    """(values, median cold seconds incl. connect, median warm seconds) of compute()."""
    from gtm.filters import Settings
    from gtm.metrics import compute

    cold, warm, values = [], [], {}
    for _ in range(runs):
        began = time.perf_counter()
        con = store.connect(db)
        try:
            values = compute(con, year_filter(year), Settings())
            cold.append(time.perf_counter() - began)
            began = time.perf_counter()
            compute(con, year_filter(year), Settings())
            warm.append(time.perf_counter() - began)
        finally:
            con.close()
    return values, median(cold), median(warm)


# `python -m gtm report` without depending on the CLI module: its own parser.
REPORT_SCRIPT = """
import argparse, sys
from gtm import report
parser = argparse.ArgumentParser()
report.add_arguments(parser)
sys.exit(report.run(parser.parse_args(sys.argv[1:])))
"""


def measure_report(db: Path, year: int, opts: Options, log: Log) -> tuple[dict, list[Figure]]:
    log(f"report for {year}")
    values, cold, warm = time_compute(db, year, opts.runs)
    walls = [_child(["-c", REPORT_SCRIPT, "--db", str(db), "--start", f"{year}-01-01",
                     "--end", f"{year}-12-31"])[0] for _ in range(opts.runs)]
    return values, [
        budgeted("report_s", f"report {year} (whole `report` process)", _med(walls),
                 "report_s"),
        Figure("compute_cold_s", "metrics.compute, fresh connection", cold, "s",
               note="connect + every headline metric"),
        Figure("compute_warm_s", "metrics.compute, open connection", warm, "s"),
    ]


def measure_qbr(db: Path, year: int, opts: Options, log: Log) -> list[Figure]:
    """The whole `python -m gtm qbr` process for the year's pack, as a deck and as a PDF."""
    figures = []
    for kind in ("pptx", "pdf"):
        log(f"QBR pack for {year} ({kind})")
        out = opts.dir() / f"qbr-{year}.{kind}"
        walls = [_child(["-m", "gtm", "qbr", "--db", str(db), "--start", f"{year}-01-01",
                         "--end", f"{year}-12-31", "--out", str(out)])[0]
                 for _ in range(opts.runs)]
        figures.append(budgeted(f"qbr_s[{kind}]", f"QBR pack {year} as {kind} (whole `qbr` "
                                "process)", _med(walls), "qbr_s",
                                note=f"{out.stat().st_size / 1024:,.0f} KB"))
    return figures


def measure_pandas(extract: Path, year: int, compute_s: float, values: dict,
                   opts: Options, log: Log) -> tuple[list[Figure], list[dict]]:
    """The hand-built pandas reading (child process), its time, the speed-up and
    which of its values agree with compute()."""
    log("pandas baseline")
    runs = [_last_json(_child(["-m", "perf.pandas_baseline", str(extract), f"{year}-01-01",
                               f"{year}-12-31"])[1]) for _ in range(opts.runs)]
    total = median(r["total_s"] for r in runs)
    agreement = agree(runs[-1]["values"], values)
    same = sum(row["agrees"] for row in agreement)
    return [
        Figure("pandas_s", "pandas: read CSVs + compute", total, "s",
               note=f"read {median(r['read_s'] for r in runs):.2f} s"),
        Figure("pandas_rss_mb", "pandas peak memory (RSS)",
               median(r["peak_rss_mb"] for r in runs), "MB"),
        budgeted("speedup_x", "speed-up: pandas / metrics.compute", total / compute_s,
                 "speedup_x", note="compute: fresh connection"),
        Figure("pandas_agree", f"pandas values agreeing (of {len(agreement)})", same, "count",
               note=", ".join(r["id"] for r in agreement if not r["agrees"])),
    ], agreement


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


# Where the baseline's simplification makes the definitions differ (bench_pandas docstring).
DIFFERENT_DEFINITION = {
    "qualified_opportunities": "pandas: supplied qualified_date only",
    "qualified_pipeline": "pandas: supplied qualified_date only",
}


def agree(pandas_values: dict, duck_values: dict) -> list[dict]:
    """One row per baseline metric: both values, whether they agree, and why not."""
    rows = []
    for mid, theirs in pandas_values.items():
        ours = duck_values.get(mid)
        same = _close(theirs, ours)
        why = "" if same else DIFFERENT_DEFINITION.get(mid, "differs")
        rows.append({"id": mid, "pandas": theirs, "targetline": ours, "agrees": same,
                     "note": why})
    return rows


# --- the app's pages through AppTest ----------------------------------------------------


@dataclass(frozen=True)
class Page:
    path: str  # relative to app.py, e.g. pages/growth.py
    title: str
    url_path: str  # "" for the default page


def app_pages() -> list[Page]:
    """The pages the app registers (ui/nav.py), the default page first."""
    return [Page(p.path, p.title, p.url_path) for p in nav.PAGES]


@contextlib.contextmanager
def dataset_env(db: Path) -> Iterator[None]:
    """TARGETLINE_DB pointing at the bench database (and the repo as cwd) for a while."""
    saved_env, saved_cwd = os.environ.get("TARGETLINE_DB"), os.getcwd()
    os.environ["TARGETLINE_DB"] = str(db)
    os.chdir(store.REPO_ROOT)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        if saved_env is None:
            os.environ.pop("TARGETLINE_DB", None)
        else:
            os.environ["TARGETLINE_DB"] = saved_env


def measure_pages(db: Path, opts: Options, log: Log) -> list[Figure]:
    """Every page cold and warm, the growth input move, and optionally the reruns.

    Runs perf/pages.py in a child process: timing pages needs Streamlit's AppTest,
    and gtm never imports Streamlit (a fresh process also makes "cold" really cold).
    """
    log("pages through AppTest (child process)")
    cmd = [sys.executable, "-m", "perf.pages", str(db), str(opts.runs), str(opts.reruns)]
    done = subprocess.run(cmd, cwd=store.REPO_ROOT, stdout=subprocess.PIPE, text=True,
                          timeout=PAGE_TIMEOUT_S * 4, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"page timing failed (exit {done.returncode})")
    return [Figure(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


# --- a cold page in headless Chromium ----------------------------------------------------

# Ready: the script has run, something is drawn, no element is still a skeleton (Streamlit
# shows one while it fetches a chart's or a metric's code), and every Plotly chart has its SVG.
READY_JS = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return -1;
  if (!document.querySelector('[data-testid=stMain] [data-testid=stElementContainer]')) return -1;
  if (document.querySelector('[data-testid=stMain] [data-testid=stSkeleton]')) return -1;
  const charts = document.querySelectorAll('[data-testid=stPlotlyChart]');
  for (const c of charts) {
    const svg = c.querySelector('.js-plotly-plot .main-svg');
    if (!svg || svg.getBoundingClientRect().height === 0) return -1;
  }
  return charts.length;
}"""


def time_view(context, url: str, settle_s: float = 0.3) -> tuple[float, int]:
    """Seconds from navigation (a new tab of `context`) until READY_JS holds, and still holds
    settle_s later (a rerun in between does not count as done); and the number of charts."""
    page = context.new_page()
    try:
        began = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        return _wait_ready(page, began, READY_JS, settle_s)
    finally:
        page.close()


def _wait_ready(page, began: float, ready_js: str, settle_s: float = 0.3) -> tuple[float, int]:
    deadline = began + PAGE_TIMEOUT_S
    while time.perf_counter() < deadline:
        ready_at, charts = time.perf_counter(), page.evaluate(ready_js)
        if charts >= 0:
            page.wait_for_timeout(settle_s * 1000)
            if page.evaluate(ready_js) == charts:
                return ready_at - began, charts
        page.wait_for_timeout(25)
    raise TimeoutError(f"{page.url} not ready within {PAGE_TIMEOUT_S} s")


# Set before a sidebar click: the old page is still "ready" until the new run starts, so
# the click counts as done only once a script run has started since and has finished.
WATCH_RUN_JS = """() => {
  window.__tlRan = false;
  const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__tlRan = true;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
CLICK_READY_JS = f"() => window.__tlRan ? ({READY_JS})() : -1"


def time_click(context, url: str, start: str, title: str) -> tuple[float, int]:
    """In a tab showing page `start` (its charts drawn), seconds from clicking `title` in
    the sidebar until that page's charts are drawn; and the number of charts."""
    page = context.new_page()
    try:
        page.goto(f"{url}/{start}", wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        _wait_ready(page, time.perf_counter(), READY_JS)
        page.evaluate(WATCH_RUN_JS)
        link = page.locator("[data-testid=stSidebarNav] a", has_text=title).first
        began = time.perf_counter()
        link.click()
        return _wait_ready(page, began, CLICK_READY_JS)
    finally:
        page.close()


# The numbers a slider moves: the growth page's tiles, as the user reads them.
TILES_JS = """() => Array.from(document.querySelectorAll(
  '[data-testid=stMain] [data-testid=stMetricValue]')).map(e => e.innerText).join('|')"""
IDLE_JS = """() => document.querySelector('[data-testid=stApp]')
  ?.getAttribute('data-test-script-state') === 'notRunning'"""
SLIDER = FIELD_LABELS["win_rate"]  # moves every tile but the market's


def time_slider(context, url: str, moves: int, path: str = "growth") -> list[float]:
    """On the growth page, milliseconds from a key press on the win-rate slider until the
    tiles show new numbers (checked at every animation frame), `moves` times, alternating
    right and left; each move waits for the previous run to end."""
    page = context.new_page()
    try:
        page.goto(f"{url}/{path}", wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        _wait_ready(page, time.perf_counter(), READY_JS)
        thumb = page.get_by_role("slider", name=SLIDER)
        times = []
        for move in range(moves):
            thumb.focus()
            before = page.evaluate(TILES_JS)
            began = time.perf_counter()
            page.keyboard.press("ArrowRight" if move % 2 == 0 else "ArrowLeft")
            page.wait_for_function(f"(b) => ({TILES_JS})() !== b", arg=before,
                                   polling="raf", timeout=PAGE_TIMEOUT_S * 1000)
            times.append((time.perf_counter() - began) * 1000)
            page.wait_for_function(IDLE_JS, timeout=PAGE_TIMEOUT_S * 1000)
            page.wait_for_timeout(300)
        return times
    finally:
        page.close()


def time_filter(context, url: str, path: str) -> tuple[float, int]:
    """In a tab showing page `path` (charts drawn), seconds from choosing another Period in
    the sidebar until the page is drawn again for it; and the charts drawn."""
    page = context.new_page()
    try:
        page.goto(f"{url}/{path}", wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        _wait_ready(page, time.perf_counter(), READY_JS)
        box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]",
                           has_text="Period").first
        box.click()
        options = page.get_by_role("option")
        choice = next(i for i in range(options.count())
                      if options.nth(i).get_attribute("aria-selected") != "true")
        page.evaluate(WATCH_RUN_JS)
        began = time.perf_counter()
        options.nth(choice).click()
        return _wait_ready(page, began, CLICK_READY_JS)
    finally:
        page.close()


def measure_interaction(db: Path, opts: Options, log: Log) -> list[Figure]:
    """The live-review figures: a growth slider to new numbers (median and p95 of at least
    20 moves) and a sidebar filter change on an open chart page (median of --runs)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_measure_interaction, db, opts, log).result()


def _measure_interaction(db: Path, opts: Options, log: Log) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    log("browser: growth slider moves and a sidebar filter change")
    moves = max(20, opts.runs)
    with sync_playwright() as pw, server.streamlit_server(db, opts.dir() / "streamlit.log") as url:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            _visit(browser, f"{url}/data")
            context = _context(browser)
            try:
                slider = time_slider(context, url, moves)
                filters = [time_filter(context, url, CLICK_FROM_ALT)
                           for _ in range(max(opts.runs, 1))]
            finally:
                context.close()
        finally:
            browser.close()
    note = f"{moves} key presses on the win-rate slider"
    with sync_playwright() as pw, server.streamlit_server(
            Path(os.devnull), opts.dir() / "streamlit.log", app=SLIDER_FLOOR_APP) as url:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = _context(browser)
            floor = time_slider(context, url, moves, path="")
        finally:
            browser.close()
    return [
        Figure("browser_slider_floor_ms", "browser slider floor: one-slider Streamlit page "
               "(median)", median(floor), "ms", note=f"p95 {p95(floor):.0f} ms; nothing "
               "computed (perf/slider_floor_app.py)"),
        budgeted("browser_slider_ms", "browser growth slider to new numbers (median)",
                 median(slider), "browser_slider_ms", note=note),
        budgeted("browser_slider_p95_ms", "browser growth slider to new numbers (p95)",
                 p95(slider), "browser_slider_p95_ms", note=note),
        budgeted("browser_filter_s", f"browser sidebar Period change on {CLICK_FROM_ALT}",
                 median(s for s, _ in filters), "browser_filter_s",
                 note=f"{filters[-1][1]} charts redrawn"),
    ]


def floor_multiples(figures: list[Figure]) -> list[Figure]:
    """Each page's cold view as a multiple of the floor measured in the same run."""
    floor = next((f.value for f in figures if f.id == "browser_floor_s"), None)
    if not floor:
        return []
    return [budgeted(f"browser_floor_x[{f.id[15:-1]}]", f"{f.label[:-len(', charts drawn')]}"
                     " over the floor", f.value / floor, "browser_floor_x",
                     note=f"floor {floor:.2f} s")
            for f in figures if f.id.startswith("browser_cold_s[") and f.value]


def measure_browser(db: Path, opts: Options, log: Log,
                    pages: list[Page] | None = None) -> list[Figure]:
    """Per page (default: all), a fresh server (empty caches) that a first visitor has
    opened on the Data page (so Python's imports are done), then a new visitor: a fresh
    browser context (empty HTTP cache) opening the page, seconds until every chart is
    drawn; then the median of --runs reopenings in that context (a returning visitor); then
    the median of --runs sidebar clicks to the page from a tab showing another chart page
    (how an executive browses: Plotly's code is loaded, this page's numbers are cached).

    Playwright's sync API refuses to start in a thread that already runs an event loop
    (another Playwright session, a test runner's), so it gets a thread of its own.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_measure_browser, db, opts, log, pages).result()


def _measure_browser(db: Path, opts: Options, log: Log, pages: list[Page] | None) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    figures, log_file = [], opts.dir() / "streamlit.log"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for page in pages or app_pages():
                log(f"browser: {page.title}")
                with server.streamlit_server(db, log_file) as url:
                    _visit(browser, f"{url}/data")
                    cold, charts, returning = _new_visitor(browser, f"{url}/{page.url_path}",
                                                           opts.runs)
                    clicked, click_charts = _clicks(browser, url, page, opts.runs)
                key = page.url_path or "overview"
                figures += [
                    budgeted(f"browser_cold_s[{key}]", f"browser {page.title}: cold, charts "
                             "drawn", cold, "browser_cold_s", note=f"{charts} charts"),
                    Figure(f"browser_warm_s[{key}]", f"browser {page.title}: returning visitor",
                           median(returning), "s"),
                    Figure(f"browser_click_s[{key}]", f"browser {page.title}: sidebar click in "
                           "an open tab", median(clicked), "s",
                           note=f"{click_charts} charts, from {_start_for(page)}"),
                ]
        finally:
            browser.close()
    return figures


# The stack's floor: Streamlit and Plotly alone, one small chart, nothing computed.
FLOOR_APP = store.REPO_ROOT / "perf" / "floor_app.py"
SLIDER_FLOOR_APP = store.REPO_ROOT / "perf" / "slider_floor_app.py"


def measure_floor(opts: Options, log: Log) -> list[Figure]:
    """The same cold view of a one-chart Streamlit page: what any page of this stack
    costs on this machine before Targetline computes or draws anything."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_measure_floor, opts, log).result()


def _measure_floor(opts: Options, log: Log) -> list[Figure]:
    from playwright.sync_api import sync_playwright

    log("browser: the stack's floor (a one-chart Streamlit page)")
    opts.dir().mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            with server.streamlit_server(Path(os.devnull), opts.dir() / "streamlit.log",
                                         app=FLOOR_APP) as url:
                _visit(browser, url)
                cold, charts, _ = _new_visitor(browser, url, 0)
        finally:
            browser.close()
    return [Figure("browser_floor_s", "browser floor: one-chart Streamlit page, cold", cold,
                   "s", note="Streamlit + Plotly alone, nothing computed")]


def _context(browser):
    # the test's own page probes (wait_for_function) are scripts the app's CSP refuses
    return browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)


def _visit(browser, url: str) -> None:
    """One view in a throwaway context (a server's first session imports the app)."""
    context = _context(browser)
    try:
        time_view(context, url)
    finally:
        context.close()


# The page an open tab shows before the click: a chart page (Plotly's code is loaded).
CLICK_FROM, CLICK_FROM_ALT = "growth", "velocity"


def _start_for(page: Page) -> str:
    return CLICK_FROM_ALT if page.url_path == CLICK_FROM else CLICK_FROM


def _clicks(browser, url: str, page: Page, runs: int) -> tuple[list[float], int]:
    """`runs` (at least one) sidebar clicks to page, each in a new tab of one context:
    the seconds of each, and the charts the last one drew."""
    context = _context(browser)
    try:
        views = [time_click(context, url, _start_for(page), page.title)
                 for _ in range(max(runs, 1))]
        return [seconds for seconds, _ in views], views[-1][1]
    finally:
        context.close()


def _new_visitor(browser, url: str, runs: int) -> tuple[float, int, list[float]]:
    """A fresh context's first view (seconds, charts), then `runs` reopenings in it."""
    context = _context(browser)
    try:
        cold, charts = time_view(context, url)
        return cold, charts, [time_view(context, url)[0] for _ in range(runs)]
    finally:
        context.close()


# --- the whole benchmark ------------------------------------------------------------------


def measure(opts: Options, log: Log | None = None,
            checkpoint: Callable[[Result], None] | None = None) -> Result:
    """Run every measurement opts asks for; a page or browser step that fails leaves a
    note, not a crash. checkpoint(result) is called after each step (partial results
    of a long enterprise run survive an interruption)."""
    log = log or (lambda message: None)
    save = checkpoint or (lambda result: None)
    result = Result(machine(), opts.accounts, opts.seed, opts.runs)
    extract, rows = prepare_extract(opts, log)
    db, figures, loaded = measure_load(extract, opts, log)
    result.sizes, result.figures = loaded or rows, figures
    as_of = dataset_as_of(db)
    result.as_of, result.year = str(as_of), opts.year or default_year(as_of)
    save(result)
    values, figures = measure_report(db, result.year, opts, log)
    result.figures += figures
    save(result)
    _guarded(result, "QBR pack", lambda: measure_qbr(db, result.year, opts, log))
    save(result)
    compute_s = next(f.value for f in figures if f.id == "compute_cold_s")
    figures, result.agreement = measure_pandas(extract, result.year, compute_s, values, opts,
                                               log)
    result.figures += figures
    save(result)
    if opts.spark:
        _guarded(result, "Spark", lambda: [Figure(**f) for f in spark_bench.measure_spark(
            db, result.year, opts.dir(), values, log)])
        save(result)
    if not opts.skip_pages:
        _guarded(result, "pages", lambda: measure_pages(db, opts, log))
        save(result)
    if not opts.skip_browser:
        if CHROMIUM.exists():
            _guarded(result, "browser floor", lambda: measure_floor(opts, log))
            _guarded(result, "browser", lambda: measure_browser(db, opts, log))
            _guarded(result, "browser interaction", lambda: measure_interaction(db, opts, log))
            result.figures += floor_multiples(result.figures)
        else:
            result.notes.append(f"browser skipped: no {CHROMIUM}")
    return result


def _guarded(result: Result, step: str, fn: Callable[[], list[Figure]]) -> None:
    try:
        result.figures += fn()
    except Exception as exc:  # report the failure beside the figures that did work
        result.notes.append(f"{step} failed: {type(exc).__name__}: {exc}")


# --- output -----------------------------------------------------------------------------


def render_table(result: Result, command: str = "") -> str:
    """The human-readable report: header lines, the figure table, the agreement table."""
    m = result.machine
    sizes = ", ".join(f"{t} {n:,}" for t, n in result.sizes.items())
    lines = [
        f"Targetline benchmark: {result.accounts:,} accounts (seed {result.seed}), "
        f"year {result.year} (data as of {result.as_of}), median of {result.runs} run(s)",
        f"machine: {m['cores']} cores, {m['memory_gb']} GB memory, load average "
        f"{m['load_avg_1m']} at start, {m['platform']}, "
        f"Python {m['python']}, DuckDB {m['duckdb']}, pandas {m['pandas']}",
        f"rows: {sizes}",
        f"budgets: the enterprise size's (~{ENTERPRISE_ACCOUNTS:,} accounts)",
    ]
    if command:
        lines.append(f"command: {command}")
    lines += ["", *_grid(["figure", "value", "budget", "status"],
                         [[f.label, fmt_value(f.value, f.unit), fmt_budget(f), _status(f)]
                          for f in result.figures])]
    if result.agreement:
        lines += ["", *_grid(["metric", "pandas", "targetline", "agrees"],
                             [[r["id"], _num(r["pandas"]), _num(r["targetline"]),
                               "yes" if r["agrees"] else f"no ({r['note']})"]
                              for r in result.agreement])]
    lines += [f"note: {n}" for n in result.notes]
    return "\n".join(lines)


def _status(fig: Figure) -> str:
    parts = [fig.status(), fig.note if fig.value is not None else ""]
    return "; ".join(p for p in parts if p)


def _num(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return [line(header), line(["-" * w for w in widths]), *(line(r).rstrip() for r in rows)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m gtm bench` (gtm/cli.py adds them to its sub-command)."""
    from gtm.demo import DEFAULT_ACCOUNTS

    a = parser.add_argument
    a("--accounts", type=int, default=DEFAULT_ACCOUNTS,
      help=f"company size (default {DEFAULT_ACCOUNTS:,}; enterprise: {ENTERPRISE_ACCOUNTS:,})")
    a("--runs", type=int, default=3, help="runs per figure; each figure is their median")
    a("--workdir", type=Path, default=None,
      help="where the extract and databases go (default /tmp/targetline-bench-<accounts>; "
      "a complete extract there is reused)")
    a("--year", type=int, default=None,
      help="the report's year (default: the last full year before the data's as-of date)")
    a("--skip-pages", action="store_true", help="do not time the app's pages")
    a("--skip-browser", action="store_true", help="do not time pages in headless Chromium")
    a("--format", choices=("table", "json"), default="table")
    a("--reruns", type=int, default=0,
      help="memory check: rerun every page N times and report RSS growth (try 200)")
    a("--out", type=Path, default=None, help="also write the result as JSON to this file")
    a("--spark", action="store_true", help="also export the dataset as Parquet and time the "
      "same report on Spark local mode (gtm/spark/; needs Java)")


def options(args) -> Options:
    return Options(accounts=args.accounts, runs=max(1, args.runs), workdir=args.workdir,
                   year=args.year, skip_pages=args.skip_pages, skip_browser=args.skip_browser,
                   reruns=max(0, args.reruns), spark=getattr(args, "spark", False))


def command_line(opts: Options) -> str:
    """The command that reproduces these figures (for the README)."""
    from gtm.demo import DEFAULT_ACCOUNTS

    parts = ["python -m gtm bench"]
    if opts.accounts != DEFAULT_ACCOUNTS:
        parts.append(f"--accounts {opts.accounts}")
    if opts.runs != 3:
        parts.append(f"--runs {opts.runs}")
    if opts.year:
        parts.append(f"--year {opts.year}")
    parts += [flag for flag, on in (("--skip-pages", opts.skip_pages),
                                     ("--skip-browser", opts.skip_browser)) if on]
    if opts.reruns:
        parts.append(f"--reruns {opts.reruns}")
    if opts.spark:
        parts.append("--spark")
    return " ".join(parts)


def _stderr_log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args) -> int:
    """CLI handler: measure, print the table (or JSON); 1 when the benchmark cannot run."""
    opts = options(args)

    def save(result: Result) -> None:
        if args.out:
            data = {**result.as_dict(), "command": command_line(opts)}
            Path(args.out).write_text(json.dumps(data, indent=2, default=str))

    try:
        result = measure(opts, _stderr_log, save)
    except Exception as exc:
        print(f"gtm bench: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    save(result)
    data = {**result.as_dict(), "command": command_line(opts)}
    if args.format == "json":
        print(json.dumps(data, indent=2, default=str))
    else:
        print(render_table(result, command_line(opts)))
    return 0
