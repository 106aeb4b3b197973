"""Issue 15: every page true on partial, sparse and young extracts.

The matrix: the minimal extracts (people only; leads and won deals without amounts, the shape
of a public lead-funnel data set), the demo with each optional table removed one at a time, a
one-month extract and a single-deal extract. Each is loaded through the real loader and every
page runs through app.py (AppTest) in the default view. For each, the test checks that no page
raises; that every KPI tile shows compute()'s value; that no sentence asserts what the metrics
contradict ("No deal was won" beside new customers, "$0" for a figure the extract cannot
tell, "the market holds it" without a market); and that every number in every Overview
finding is a value of the metric it states (parsed out of the sentence, compared with
compute() for the view, for its channels, or for the previous period).
"""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date, timedelta
from itertools import permutations
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gtm import fmt, periods
from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.load.loader import load
from gtm.metrics import breakdown, compute, dataset_info, registry, resolve_qualified_stage
from ui import nav

APP = str(Path(__file__).resolve().parent.parent / "app.py")
OPTIONAL = ("accounts", "touches", "campaigns", "spend", "opportunity_stages", "stages",
            "opportunity_contacts", "arr", "signups")
pytestmark = pytest.mark.slow


# --- the extracts ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_extract(tmp_path_factory):
    from gtm import demo

    root = tmp_path_factory.mktemp("sparse-demo") / "extract"
    demo.generate(root, accounts=60)
    return root


def _write(folder: Path, name: str, header: list[str], rows: list[list]) -> None:
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)


def leads_and_wins(folder: Path) -> None:
    """60 MQLs from 2017-06-14 to 2018-05-31 (a first month the data only starts in) and 8
    won deals without an amount, account or stage history: the public funnel data set's
    shape (leads with a first-contact date and origin; closed deals with a won date)."""
    origins = ["organic_search", "paid_search", "social", "email", "direct_traffic"]
    start = date(2017, 6, 14)
    people = [[f"m{i}", (start + timedelta(days=6 * i)).isoformat(), origins[i % 5],
               (start + timedelta(days=6 * i)).isoformat()] for i in range(60)]
    _write(folder, "people", ["person_id", "created_date", "channel", "mql_date"], people)
    deals = [[f"w{i}", (start + timedelta(days=6 * (5 * i))).isoformat(), "Won",
              (start + timedelta(days=6 * (5 * i) + 20)).isoformat(), "true", "true",
              f"m{5 * i}"] for i in range(8)]
    _write(folder, "opportunities", ["opportunity_id", "created_date", "stage", "close_date",
                                     "is_closed", "is_won", "source_person_id"], deals)


def one_month(folder: Path) -> None:
    """May 2025 only: 6 leads, 3 MQLs, 2 deals (one won), one spend row."""
    _write(folder, "accounts", ["account_id", "name", "is_target"],
           [["a1", "Alpha", "true"], ["a2", "Beta", "false"]])
    _write(folder, "people", ["person_id", "account_id", "created_date", "channel", "mql_date"],
           [[f"p{i}", "a1" if i < 3 else "a2", f"2025-05-{2 + 4 * i:02d}",
             "events" if i % 2 else "content", f"2025-05-{4 + 4 * i:02d}" if i < 3 else ""]
            for i in range(6)])
    _write(folder, "opportunities", ["opportunity_id", "account_id", "created_date", "stage",
                                     "amount", "close_date", "is_closed", "is_won",
                                     "qualified_date", "channel"],
           [["o1", "a1", "2025-05-06", "Won", "12000", "2025-05-28", "true", "true",
             "2025-05-10", "events"],
            ["o2", "a2", "2025-05-12", "Demo", "5000", "2025-07-01", "false", "false", "",
             "content"]])
    _write(folder, "spend", ["month", "function", "channel", "amount"],
           [["2025-05-01", "marketing", "events", "3000"]])


def _copy(demo_extract: Path, folder: Path, drop: tuple[str, ...] = (),
          keep: tuple[str, ...] | None = None) -> None:
    for path in demo_extract.glob("*.csv"):
        if path.stem not in drop and (keep is None or path.stem in keep):
            shutil.copy(path, folder / path.name)


def single_deal(demo_extract: Path, folder: Path) -> None:
    _copy(demo_extract, folder, keep=("people", "accounts"))
    with open(demo_extract / "opportunities.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    won = next(r for r in rows[1:] if r[rows[0].index("is_won")] == "true")
    _write(folder, "opportunities", rows[0], [won])


VARIANTS = ["people_only", "leads_and_wins", "one_month", "single_deal",
            *(f"no_{t}" for t in OPTIONAL)]


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request, demo_extract, tmp_path_factory):
    """(name, database) of one sparse extract, loaded through the real loader."""
    name = request.param
    root = tmp_path_factory.mktemp(name)
    folder = root / "extract"
    folder.mkdir()
    if name == "people_only":
        _copy(demo_extract, folder, keep=("people",))
    elif name == "leads_and_wins":
        leads_and_wins(folder)
    elif name == "one_month":
        one_month(folder)
    elif name == "single_deal":
        single_deal(demo_extract, folder)
    else:
        _copy(demo_extract, folder, drop=(name.removeprefix("no_"),))
    result = load(folder, root / "db.duckdb")
    assert result.ok, [str(e) for e in result.errors]
    return name, root / "db.duckdb"


# --- the pages -----------------------------------------------------------------------------

def _texts(at: AppTest) -> list[str]:
    found = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success",
                                  "subheader") for e in getattr(at, kind)]
    found += [link.proto.label for link in at.get("page_link")]
    for chart in at.get("plotly_chart"):
        import json

        spec = json.loads(chart.proto.spec)
        found.append((spec["layout"].get("title") or {}).get("text", ""))
    return [re.sub(r"<br>|\\(?=[^\\])", " ", t) for t in found]


@pytest.fixture(scope="module")
def shown(variant, monkeypatch_module):
    """page -> (texts, tiles) of every page in the default view of the variant."""
    name, db = variant
    monkeypatch_module.setenv("TARGETLINE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    pages = {}
    for page in nav.PAGES:
        at.switch_page(page.path).run()
        assert not at.exception, (name, page.path, [e.value for e in at.exception])
        tiles = {m.label: m.value for m in at.metric}
        pages[page.path] = (_texts(at), tiles, [m.delta for m in at.metric])
    return pages


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def view(variant):
    """compute() of the app's default view, the previous period's and per channel."""
    _, db = variant
    con = store.connect(db)
    try:
        info = dataset_info(con)
        first, as_of = periods.as_date(info["first_date"]), info["data_as_of"]
        label = periods.default_period(first, as_of)
        flt = Filter(*periods.period_range(label, as_of))
        prev = flt.previous(label)
        qs = resolve_qualified_stage(con, Settings())
        now, before = compute(con, flt, Settings(), qs), compute(con, prev, Settings(), qs)
        by_channel = breakdown.by(con, flt, Settings(), qs, "channel")
        by_channel_before = breakdown.by(con, prev, Settings(), qs, "channel")
        return {"info": info, "flt": flt, "prev": prev, "now": now, "before": before,
                "channels": by_channel + by_channel_before}
    finally:
        con.close()


def test_every_page_runs_and_tiles_show_compute(variant, shown, view):
    name, _ = variant
    labels = {m.label: m for m in registry.METRICS.values()}
    for page, (_, tiles, _) in shown.items():
        for label, value in tiles.items():
            if label in labels:
                metric = labels[label]
                assert value == metric.format(view["now"][metric.id]), (name, page, label)
            assert value not in ("None", "nan"), (name, page, label)


CONTRADICTIONS = [  # (pattern, the metric facts under which the words are false)
    (r"[Nn]o deal was won|no new-business deal was won",
     lambda v, tables: (v["now"]["new_customers"] or 0) > 0),
    (r"CAC is 0\b|CAC of \$0\b|CAC \$0\b", lambda v, tables: not tables.get("spend")),
    (r"so the market holds it|addressable: feasible", lambda v, tables: not tables.get("accounts")),
    (r"single-threaded deals won", lambda v, tables: not tables.get("opportunity_contacts")),
    (r"\d{4,} ?%", lambda v, tables: True),  # a percent change of thousands is never a finding
]


def test_no_sentence_contradicts_the_metrics(variant, shown, view):
    name, _ = variant
    tables = view["info"]["tables"]
    for page, (texts, _tiles, deltas) in shown.items():
        for text in texts:
            for pattern, false_when in CONTRADICTIONS:
                if re.search(pattern, text):
                    assert not false_when(view, tables), (name, page, pattern, text)
        if page != "pages/growth.py" and view["prev"].end < periods.as_date(
                view["info"]["first_date"]):  # the planner's tiles say "solved", no period
            # no delta against a period without data: the tiles say so instead
            assert all(d in (None, "", "no earlier data") for d in deltas), (name, page, deltas)


# --- every number in the Overview findings is a value of the metric it states ---------------

TOKEN = re.compile(r"(?<![\w.-])(\$?-?\d[\d,]*(?:\.\d+)?[KMB]?)( ?%| ?x\b| days| months)?")
DATE_WORDS = re.compile(r"\b(?:19|20)\d{2}(?:-\d{2}(?:-\d{2})?|Q\d)?\b|"
                        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}\b")
CONSTANTS = {"0", "1", "2", "3", "4", "6", "7", "10", "12", "90 days", "4-6"}  # buckets, settings


def _universe(view) -> set[str]:
    """Every value the Overview may state, formatted every way a finding writes it."""
    values = [*view["now"].values(), *view["before"].values()]
    for _, row in view["channels"]:
        values += list(row.values())
    numbers = sorted({float(v) for v in values
                      if isinstance(v, int | float) and not fmt.is_missing(v)})
    out = set()
    for v in numbers:
        out |= {fmt.money(v), fmt.count(v), fmt.percent(v), fmt.days(v), fmt.multiple(v),
                f"{v:,.0f}", f"{v * 100:.0f} %"}
    for a, b in permutations(numbers, 2):
        if not a:
            continue  # changes and ratios between two stated values
        out |= {fmt.percent(abs(b / a - 1)), f"{b / a:.1f}x", fmt.percent(b / a),
                fmt.count(abs(b - a)), fmt.money(a + b)}
    return out


def _tokens(text: str) -> list[str]:
    text = DATE_WORDS.sub(" ", text)
    return [(number + (unit or "")).strip() for number, unit in TOKEN.findall(text)]


def test_every_number_in_the_overview_findings_is_a_metric_value(variant, shown, view):
    name, _ = variant
    universe = _universe(view)
    findings = [t for t in shown["pages/overview.py"][0]
                if " · " in t and "Data as of" not in t  # the header is no finding
                and "Growth equation" not in t]  # the plan's numbers: tests/test_growth*.py
    assert findings, name
    for sentence in findings:
        for token in _tokens(sentence.split(" · ", 1)[1]):
            if token in CONSTANTS or token.rstrip(" %x") in CONSTANTS:
                continue
            shown_as = token.replace(" x", "x")
            assert shown_as in universe or shown_as.replace(" ", "") in {
                u.replace(" ", "") for u in universe}, (name, sentence, token)
