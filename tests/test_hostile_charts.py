"""CRM text in charts is drawn as text, never as HTML (issue 13, item 8).

Plotly draws `<a href>`, `<b>`, `<span style>` in labels, ticks, titles, hovers and
annotations as HTML: a channel named `<a href="https://x">referral</a>` became a
clickable link on four pages, a `<span style="font-size:90px">` label was drawn huge. A
demo company gets hostile channel, campaign, account, segment, stage and
disqualification-reason names; every chart of every page is then rendered through
AppTest and its figure JSON must carry no markup but the house's own (`<br>` line breaks
and the `<extra>` of hover templates). Each page's charts must also show the escaped
names (`&lt;a href=...`), so the check is not vacuous.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gtm import demo
from gtm.load.loader import load

APP = str(Path(__file__).resolve().parent.parent / "app.py")
WRAPPERS = (
    lambda v: f'<a href="https://x.example/p">{v}</a>',
    lambda v: f'<span style="font-size:90px">{v}</span>',
    lambda v: f"<b>{v}</b>",
)
ESCAPED = ("&lt;a href=", "&lt;span style=", "&lt;b&gt;")
# file -> columns whose values become hostile (one wrapper per distinct value, in turn)
HOSTILE_COLUMNS = {
    "people.csv": ("channel", "disqualified_reason"),
    "touches.csv": ("channel",),
    "opportunities.csv": ("channel", "stage"),
    "opportunity_stages.csv": ("stage",),
    "stages.csv": ("stage",),
    "spend.csv": ("channel",),
    "signups.csv": ("channel",),
    "campaigns.csv": ("channel", "name"),
    "accounts.csv": ("name", "segment"),
}
# pages with charts -> do their charts carry data text at all (growth's do not)
PAGES = {"pages/mql-vs-pipeline.py": True, "pages/cac-vs-cpl.py": True,
         "pages/buying-groups.py": True, "pages/growth.py": False, "pages/net-arr.py": True,
         "pages/velocity.py": True, "pages/target-market.py": True}
HOUSE_MARKUP = re.compile(r"<(?!br>|/?extra>)")  # any tag opener that is not the house's own


def _hostile(folder: Path) -> None:
    """Rewrite the demo extract in place: each distinct value of a hostile column gets a
    wrapper (the same value gets the same wrapper in every file, so references hold)."""
    chosen: dict[str, str] = {}
    for name, columns in HOSTILE_COLUMNS.items():
        path = folder / name
        rows = list(csv.DictReader(path.open(newline="", encoding="utf-8")))
        for row in rows:
            for column in columns:
                value = row[column]
                if value:
                    key = f"{column}:{value}" if column in ("name", "segment") else value
                    wrap = WRAPPERS[len(chosen) % len(WRAPPERS)]
                    row[column] = chosen.setdefault(key, wrap(value))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        path.write_text(out.getvalue(), encoding="utf-8")


def hostile_demo_db(root: Path) -> Path:
    """A 150-account demo company with hostile names, loaded into root/targetline.duckdb."""
    demo.generate(root / "extract", accounts=150)
    _hostile(root / "extract")
    db = root / "targetline.duckdb"
    result = load(root / "extract", db)
    assert result.ok, [str(e) for e in result.errors[:5]]
    return db


@pytest.fixture(scope="module")
def hostile_demo(tmp_path_factory):
    return hostile_demo_db(tmp_path_factory.mktemp("hostile-charts"))


def strings(node) -> list[str]:
    """Every string in a figure's JSON (data, layout, templates)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


def page_figures(db: Path, monkeypatch, page: str) -> list[dict]:
    monkeypatch.setenv("TARGETLINE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_chart_draws_hostile_names_as_text(hostile_demo, monkeypatch, page):
    figures = page_figures(hostile_demo, monkeypatch, page)
    assert figures, f"{page} drew no chart"
    texts = [s for fig in figures for s in strings(fig)]
    markup = sorted({t for t in texts if HOUSE_MARKUP.search(t)})
    assert markup == [], markup[:5]
    if PAGES[page]:  # not vacuous: the hostile names reached this page's charts, escaped
        assert any(e in t for t in texts for e in ESCAPED), f"no CRM text in {page}'s charts"


def test_the_escape_is_the_one_plotly_reverses():
    """chart_text turns exactly & < > into entities (Plotly shows them as characters);
    quotes stay, so nothing else changes on screen."""
    from ui.charts import chart_text, wrap_title

    assert chart_text('<a href="x">R&D</a>') == '&lt;a href="x"&gt;R&amp;D&lt;/a&gt;'
    assert wrap_title("<b>big</b> channel wins", 10) == "&lt;b&gt;big&lt;/b&gt;<br>channel<br>wins"


def test_the_targets_evidence_draws_hostile_values_as_text(hostile_demo, monkeypatch):
    """Issue 16: the Targets page's evidence chart names each value of the field picked
    (here the hostile segments) and its tiers/targets charts name groups: all as text."""
    monkeypatch.setenv("TARGETLINE_DB", str(hostile_demo))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/targets.py")
    at.query_params["field"] = "segment"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = [s for chart in at.get("plotly_chart") for s in strings(json.loads(chart.proto.spec))]
    assert sorted({t for t in texts if HOUSE_MARKUP.search(t)}) == []
    assert any(e in t for t in texts for e in ESCAPED), "no segment in the evidence chart"
