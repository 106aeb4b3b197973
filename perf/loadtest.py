"""`python -m gtm loadtest`: many browser sessions at once while a new extract goes live.

A dashboard shared by a leadership team is opened by many people at the moment the
nightly extract is switched in. This command proves that moment is safe: it starts
the app on a loopback port (or uses --url, loopback only), opens N headless Chromium
sessions that each rerun the app R times (alternately a shared link with other filters
and a settings slider moved in the sidebar, both bound to the URL), and midway loads
a new extract into the same database (gtm.load.loader.load, an atomic switch). It prints
sessions, reruns, errors and the p50/p95 rerun time, and which dataset version each
rerun showed: the old extract is as of day D, the new one as of D + 1 (one extra
person row), so each rerun's header ("As of ...") names exactly one version, and a
session must never go back from the new one to the old one.

By default everything happens in a temporary folder (demo extract, database), so the
dataset the app normally serves is never touched. Needs Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import math
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from gtm.load import store
from perf import server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
READY = "[data-testid=stApp][data-test-script-state=notRunning]"
MARGINS = ("0.6", "0.7", "0.9", "0.5")  # the gross-margin setting each slider move picks
RAMP_S = 0.5  # session k opens k * RAMP_S seconds in (people do not click in the same ms)
WAIT_MS = 120_000  # one browser step; a slower one counts as an error


@dataclass
class Session:
    """What one browser session did and saw."""

    number: int
    seen: list[str] = field(default_factory=list)  # "old" / "new" / the odd header, per rerun
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def consistent(self) -> bool:
        """Every rerun showed one known version, and never old after new."""
        if not self.seen or any(v not in ("old", "new") for v in self.seen):
            return False
        return "old" not in self.seen[self.seen.index("new"):] if "new" in self.seen else True


@dataclass
class Report:
    sessions: list[Session]
    versions: dict[str, str]  # "old"/"new" -> as-of date
    load_seconds: float | None = None
    published_after: int = 0  # reruns finished when the new extract went live
    load_error: str | None = None

    @property
    def reruns(self) -> int:
        return sum(len(s.seconds) for s in self.sessions)

    @property
    def errors(self) -> int:
        return sum(len(s.errors) for s in self.sessions) + bool(self.load_error)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# --- the two datasets ---------------------------------------------------------------

def as_of(db: Path) -> date:
    with store.connect(db) as con:
        rows = con.execute("select value from dataset_meta where key = 'as_of'").fetchall()
    return date.fromisoformat(rows[0][0])


def next_day_extract(source: Path, target: Path, day: date) -> Path:
    """A copy of source with one more person created on `day` (so its as-of is `day`)."""
    shutil.copytree(source, target)
    people = target / "people.csv"
    if not people.exists():
        raise FileNotFoundError(f"the load test needs {source}/people.csv (CSV)")
    with open(people, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header, first = reader.fieldnames or [], next(reader)
    row = {name: "" for name in header}
    row.update(person_id="LOADTEST-NEXT-DAY", created_date=day.isoformat(),
               channel=first.get("channel") or "other")
    with open(people, "a", newline="", encoding="utf-8") as fh:
        csv.DictWriter(fh, header).writerow(row)
    return target


def prepare(args, work: Path, log) -> tuple[Path, Path]:
    """(database serving the old extract, folder of the new extract)."""
    extract = args.extract
    if extract is None:
        from gtm import demo

        extract = work / "extract"
        log(f"generating a demo company of {args.accounts} accounts")
        demo.generate(extract, accounts=args.accounts)
    db = Path(args.db) if args.db else work / "loadtest.duckdb"
    if args.url is None or store.current_version(db) is None:
        from gtm.load.loader import load

        result = load(Path(extract), db)
        if not result.ok:
            raise RuntimeError(f"the extract was refused: {result.errors[0]}")
    new = next_day_extract(Path(extract), work / "next-day", as_of(db) + timedelta(days=1))
    return db, new


# --- the server ---------------------------------------------------------------------

def loopback_only(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise ValueError(f"--url must be a loopback address ({', '.join(LOOPBACK)}), "
                         f"not {host!r}: the load test never drives a remote server")
    return url.rstrip("/")


# --- the sessions -------------------------------------------------------------------

def quarters(first: date, last: date) -> list[str]:
    """Complete-or-not calendar quarters from first to last, newest first ('2026Q3')."""
    out, year, q = [], last.year, (last.month - 1) // 3 + 1
    while (year, q) >= (first.year, (first.month - 1) // 3 + 1):
        out.append(f"{year}Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out


async def _header(tab) -> str:
    """The 'As of ...' caption of the page header once the run is over."""
    await tab.wait_for_selector(READY, timeout=WAIT_MS)
    caption = tab.locator("[data-testid=stMain] [data-testid=stCaptionContainer]").first
    return await caption.inner_text(timeout=WAIT_MS)


async def _rerun(tab, base: str, i: int, periods: list[str]) -> str:
    """Rerun i of a session: even = open a shared link, odd = move a sidebar setting."""
    period = periods[i % len(periods)]
    if i % 2 == 0:
        await tab.goto(f"{base}/?{urlencode({'period': period})}")
        await tab.wait_for_timeout(200)  # let the run start before waiting for its end
        await tab.wait_for_function(
            f"document.querySelector('[data-testid=stMain]')?.innerText.includes('{period} (')",
            timeout=WAIT_MS)
    else:
        margin = MARGINS[(i // 2) % len(MARGINS)]
        box = tab.get_by_role("spinbutton", name="Gross margin")
        if not await box.is_visible():
            await tab.get_by_text("Settings", exact=True).click()
        await box.fill(margin)
        await box.press("Enter")
        await tab.wait_for_function(
            f"new URL(location.href).searchParams.get('margin') === '{margin}'",
            timeout=WAIT_MS)
        await tab.wait_for_timeout(200)
    return await _header(tab)


async def _session(browser, base: str, s: Session, reruns: int, periods: list[str],
                   versions: dict[str, str], done: list[int],
                   published: threading.Event) -> None:
    await asyncio.sleep((s.number - 1) * RAMP_S)
    # bypass_csp: the probes below (wait_for_function) are scripts the app's CSP refuses;
    # tests/browser/test_security_headers.py loads every page under the CSP itself
    context = await browser.new_context(viewport={"width": 1280, "height": 900},
                                        bypass_csp=True)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    tab = await context.new_page()
    tab.on("pageerror", lambda exc: s.errors.append(f"page error: {exc}"))
    try:
        await tab.goto(base + "/")
        await tab.wait_for_selector("[data-testid=stSidebar] [data-testid=stSelectbox]")
        await _header(tab)
        for i in range(reruns):
            if i == reruns - 1:  # the last rerun comes after the switch, whatever the timing
                done[1] += 1
                while not published.is_set():
                    await asyncio.sleep(0.05)
            started = time.perf_counter()
            try:
                header = await _rerun(tab, base, i, periods)
            except Exception as exc:  # a timeout or a lost page: count it, go on
                s.errors.append(f"rerun {i + 1}: {_first_line(exc)}")
                continue
            s.seconds.append(time.perf_counter() - started)
            s.seen.append(next((k for k, d in versions.items() if f"As of {d}" in header),
                               header[:60]))
            exceptions = await tab.locator("[data-testid=stException]").count()
            if exceptions:
                s.errors.append(f"rerun {i + 1}: {exceptions} exception(s) on the page")
            done[0] += 1
    except Exception as exc:
        s.errors.append(f"session start: {_first_line(exc)}")
        done[1] += 1  # never waits for the switch: do not let the others wait for it
    finally:
        await context.close()


def _first_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:160]}"


async def _drive(base: str, db: Path, new: Path, sessions: int, reruns: int,
                 report: Report, periods: list[str]) -> None:
    from playwright.async_api import async_playwright

    done, published = [0, 0], threading.Event()  # reruns done, sessions waiting or gone
    after = max(1, sessions * (reruns - 1) // 2)  # midway through the reruns before the last
    load_thread = threading.Thread(target=_publish_when, daemon=True,
                                   args=(db, new, done, after, sessions, report, published))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            load_thread.start()
            await asyncio.gather(*(_session(browser, base, s, reruns, periods,
                                            report.versions, done, published)
                                   for s in report.sessions))
        finally:
            await browser.close()
    load_thread.join(timeout=300)


def _publish_when(db: Path, new: Path, done: list[int], after: int, sessions: int,
                  report: Report, published: threading.Event) -> None:
    """Load the new extract into db once `after` reruns are done (or every session
    waits for it), in a thread beside the browser sessions."""
    from gtm.load.loader import load

    while done[0] < after and done[1] < sessions:
        time.sleep(0.05)
    report.published_after = done[0]
    started = time.perf_counter()
    try:
        result = load(new, db)
        if not result.ok:
            report.load_error = f"the new extract was refused: {result.errors[0]}"
    except Exception as exc:  # printed as an error of the run, never swallowed
        report.load_error = f"the load failed: {exc}"
    report.load_seconds = time.perf_counter() - started
    published.set()


# --- command line -------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m gtm loadtest` (gtm/cli.py adds them to its sub-command)."""
    a = parser.add_argument
    a("--sessions", type=int, default=20, metavar="N", help="browser sessions (default 20)")
    a("--reruns", type=int, default=6, metavar="R", help="reruns per session (default 6)")
    a("--url", default=None, help="use this running app (loopback only; needs --db, the "
      "database it reads) instead of starting one")
    a("--extract", type=Path, default=None, metavar="DIR", help="extract to serve first "
      "(default: a generated demo company); the new one is a copy with one more day")
    a("--accounts", type=int, default=150, metavar="N",
      help="demo company size when no --extract is given (default 150)")
    a("--db", type=Path, default=None, metavar="PATH",
      help="database to serve and load into (default: a temporary one)")


def run(args) -> int:
    if not CHROMIUM.exists():
        print(f"python -m gtm loadtest: {CHROMIUM} is missing", file=sys.stderr)
        return 2
    if args.url and not args.db:
        print("python -m gtm loadtest: --url needs --db (the database that app reads)",
              file=sys.stderr)
        return 2
    report = execute(args, log=lambda m: print(f"[loadtest] {m}", file=sys.stderr,
                                               flush=True))
    print_report(report, args)
    bad = report.errors or not all(s.consistent() for s in report.sessions)
    return 1 if bad else 0


def execute(args, log=print) -> Report:
    with tempfile.TemporaryDirectory(prefix="targetline-loadtest-") as tmp:
        work = Path(tmp)
        db, new = prepare(args, work, log)
        old = as_of(db)
        versions = {"old": old.isoformat(), "new": (old + timedelta(days=1)).isoformat()}
        with store.connect(db) as con:
            first = con.execute("select min(created_date) from people").fetchall()[0][0]
        periods = quarters(first, old)[1:5] or [f"{old.year}Q1"]
        report = Report([Session(n + 1) for n in range(args.sessions)], versions)
        app = (contextlib.nullcontext(loopback_only(args.url)) if args.url
               else server.streamlit_server(db, work / "streamlit.log"))
        with app as base:
            log(f"{args.sessions} sessions x {args.reruns} reruns on {base}")
            asyncio.run(_drive(base, db, new, args.sessions, args.reruns, report, periods))
    return report


def print_report(report: Report, args) -> None:
    seconds = [t for s in report.sessions for t in s.seconds]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    consistent = sum(s.consistent() for s in report.sessions)
    saw_both = sum({"old", "new"} <= set(s.seen) for s in report.sessions)
    print(f"sessions           {len(report.sessions)}")
    print(f"reruns             {report.reruns} of {args.sessions * args.reruns}")
    print(f"errors             {report.errors}")
    print(f"p50 rerun s        {p50:.2f}" if p50 is not None else "p50 rerun s        n/a")
    print(f"p95 rerun s        {p95:.2f}" if p95 is not None else "p95 rerun s        n/a")
    load = f"{report.load_seconds:.2f} s" if report.load_seconds is not None else "not run"
    print(f"new extract        as of {report.versions['new']} (old {report.versions['old']}),"
          f" published after {report.published_after} reruns, load {load}")
    print(f"consistent         {consistent}/{len(report.sessions)} sessions (one version per "
          f"rerun, never back to old); {saw_both} saw the switch")
    for s in report.sessions:
        print(f"  session {s.number:>2}: {' '.join(s.seen) or '-'}")
        for error in s.errors[:3]:
            print(f"    error: {error}")
    if report.load_error:
        print(f"  load error: {report.load_error}")
