"""`python -m gtm loadtest`: many browser sessions at once while a new extract goes live.

A dashboard shared by a leadership team is opened by many people at the moment the
nightly extract is switched in. This command proves that moment is safe: it starts
the app on a loopback port (or uses --url, loopback only), opens N headless Chromium
sessions that each rerun the app R times (alternately a shared link with other filters
and a settings slider moved in the sidebar, both bound to the URL), and midway loads
new extracts into the same database (gtm.load.loader.load, an atomic switch): one, or
with --loads N, N loads started a few seconds apart so that they overlap and queue on
the load lock. It prints sessions, reruns, errors and the p50/p95 rerun time, and which
dataset version each rerun showed: the old extract is as of day D, the k-th new one as
of D + k (k extra person rows), so each rerun's header ("Data as of ...") names exactly one
version, and a session must never go back to an earlier one (a load started earlier
that runs later is not published over a later one: gtm/load/store.py's tickets).

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

    def consistent(self, order: tuple[str, ...] = ("old", "new")) -> bool:
        """Every rerun showed one known version, and never an earlier one after a later."""
        if not self.seen or any(v not in order for v in self.seen):
            return False
        ranks = [order.index(v) for v in self.seen]
        return ranks == sorted(ranks)


@dataclass
class Report:
    sessions: list[Session]
    versions: dict[str, str]  # "old", "new" (or "new1".."newN") -> as-of date, in order
    load_seconds: list[float] = field(default_factory=list)
    published_after: int = 0  # reruns finished when the first new extract was loaded
    load_errors: list[str] = field(default_factory=list)
    superseded: int = 0  # loads not published: a later-started one was published first

    @property
    def reruns(self) -> int:
        return sum(len(s.seconds) for s in self.sessions)

    @property
    def errors(self) -> int:
        return sum(len(s.errors) for s in self.sessions) + len(self.load_errors)

    @property
    def order(self) -> tuple[str, ...]:
        return tuple(self.versions)

    def consistent(self, s: Session) -> bool:
        return s.consistent(self.order)


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


def labels(loads: int) -> list[str]:
    """The new extracts' names: "new" for one load, else new1 .. newN."""
    return ["new"] if loads == 1 else [f"new{k}" for k in range(1, loads + 1)]


def prepare(args, work: Path, log) -> tuple[Path, list[Path]]:
    """(database serving the old extract, folders of the new extracts, oldest first)."""
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
    day = as_of(db)
    news = [next_day_extract(Path(extract), work / f"next-{k}", day + timedelta(days=k))
            for k in range(1, args.loads + 1)]
    return db, news


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
    """The 'Data as of ...' caption of the page header once the run is over."""
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
            s.seen.append(next((k for k, d in versions.items() if f"data as of {d}" in header.lower()),
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


async def _drive(base: str, db: Path, news: list[Path], sessions: int, reruns: int,
                 report: Report, periods: list[str], gap: float) -> None:
    from playwright.async_api import async_playwright

    done, published = [0, 0], threading.Event()  # reruns done, sessions waiting or gone
    after = max(1, sessions * (reruns - 1) // 2)  # midway through the reruns before the last
    load_thread = threading.Thread(target=_publish_when, daemon=True,
                                   args=(db, news, done, after, sessions, report, published,
                                         gap))
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


def _publish_when(db: Path, news: list[Path], done: list[int], after: int, sessions: int,
                  report: Report, published: threading.Event, gap: float) -> None:
    """Load the new extracts into db once `after` reruns are done (or every session waits
    for them), each in its own thread, `gap` seconds apart (so they overlap), beside the
    browser sessions; `published` is set when every load has ended."""
    while done[0] < after and done[1] < sessions:
        time.sleep(0.05)
    report.published_after = done[0]
    threads = []
    for k, new in enumerate(news):
        if k:
            time.sleep(gap)
        threads.append(threading.Thread(target=_one_load, args=(db, new, report), daemon=True))
        threads[-1].start()
    for thread in threads:
        thread.join()
    published.set()


def _one_load(db: Path, new: Path, report: Report) -> None:
    from gtm.load.loader import load

    started = time.perf_counter()
    try:
        result = load(new, db)
        if not result.ok and result.errors[0].text.startswith("a load started after this one"):
            report.superseded += 1  # by design: the later extract stays served
        elif not result.ok:
            report.load_errors.append(f"{new.name} was refused: {result.errors[0]}")
    except Exception as exc:  # printed as an error of the run, never swallowed
        report.load_errors.append(f"{new.name}: the load failed: {exc}")
    report.load_seconds.append(time.perf_counter() - started)


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
    a("--loads", type=int, default=1, metavar="N",
      help="new extracts loaded while the sessions run, each one day later (default 1)")
    a("--load-gap", type=float, default=3.0, metavar="S",
      help="seconds between the starts of those loads, so they overlap (default 3)")


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
    bad = report.errors or not all(report.consistent(s) for s in report.sessions)
    return 1 if bad else 0


def execute(args, log=print) -> Report:
    with tempfile.TemporaryDirectory(prefix="targetline-loadtest-") as tmp:
        work = Path(tmp)
        db, news = prepare(args, work, log)
        old = as_of(db)
        versions = {"old": old.isoformat()}
        versions.update({label: (old + timedelta(days=k)).isoformat()
                         for k, label in enumerate(labels(args.loads), start=1)})
        with store.connect(db) as con:
            first = con.execute("select min(created_date) from people").fetchall()[0][0]
        periods = quarters(first, old)[1:5] or [f"{old.year}Q1"]
        report = Report([Session(n + 1) for n in range(args.sessions)], versions)
        app = (contextlib.nullcontext(loopback_only(args.url)) if args.url
               else server.streamlit_server(db, work / "streamlit.log"))
        with app as base:
            log(f"{args.sessions} sessions x {args.reruns} reruns on {base}")
            asyncio.run(_drive(base, db, news, args.sessions, args.reruns, report, periods,
                               args.load_gap))
    return report


def print_report(report: Report, args) -> None:
    seconds = [t for s in report.sessions for t in s.seconds]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    consistent = sum(report.consistent(s) for s in report.sessions)
    last = report.order[-1]
    saw_both = sum({"old", last} <= set(s.seen) for s in report.sessions)
    print(f"sessions           {len(report.sessions)}")
    print(f"reruns             {report.reruns} of {args.sessions * args.reruns}")
    print(f"errors             {report.errors}")
    print(f"p50 rerun s        {p50:.2f}" if p50 is not None else "p50 rerun s        n/a")
    print(f"p95 rerun s        {p95:.2f}" if p95 is not None else "p95 rerun s        n/a")
    loads = ", ".join(f"{t:.2f} s" for t in report.load_seconds) or "not run"
    news = [k for k in report.order if k != "old"]
    print(f"new extract        as of {report.versions[news[0]]} (old {report.versions['old']}),"
          f" published after {report.published_after} reruns, load {loads}")
    if len(news) > 1:
        published = len(report.load_seconds) - report.superseded - len(report.load_errors)
        print(f"loads              {len(news)} overlapping ({args.load_gap:g} s apart), as of "
              f"{report.versions[news[0]]} .. {report.versions[news[-1]]}: {published} "
              f"published, {report.superseded} not published (a later-started load was "
              "published first)")
    print(f"consistent         {consistent}/{len(report.sessions)} sessions (one version per "
          f"rerun, never back to an earlier one); {saw_both} saw the switch to {last}")
    for s in report.sessions:
        print(f"  session {s.number:>2}: {' '.join(s.seen) or '-'}")
        for error in s.errors[:3]:
            print(f"    error: {error}")
    for error in report.load_errors:
        print(f"  load error: {error}")
