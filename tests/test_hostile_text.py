"""Hostile CRM text is shown as plain text on every page and is inert in every download.

CRM fields are typed by many people, and an extract may be crafted: an account named
`<script>alert(1)</script>`, a lost reason `[click](javascript:alert(1))`, a campaign
called `=HYPERLINK("http://x","y")`. A copy of tests/data/tiny_load gets these values
in every free-text column (names, titles, reasons, campaign names) and in the values
that end up in captions and selectors (region, segment, channel); every page then runs
through AppTest. Text elements (markdown, captions, alerts, titles) must show them
escaped; dataframes are not Markdown, so they may hold them as is. Downloads are made
by ui.safe_csv, checked over every column kind.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import ui
from gtm.load.loader import load

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TINY_LOAD = Path(__file__).parent / "data" / "tiny_load"
PAGES = ["pages/overview.py", "pages/mql-vs-pipeline.py", "pages/cac-vs-cpl.py",
         "pages/buying-groups.py", "pages/growth.py", "pages/net-arr.py", "pages/velocity.py",
         "pages/target-market.py", "pages/data.py"]

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": "<img src=x onerror=alert(1)>",
    "link": "[click](javascript:alert(1))",
    "bold": "**bold**",
    "formula": '=HYPERLINK("http://x","y")',
    "plus": "+cmd",
    "minus": "-1+1",
    "at": "@SUM(A1:A2)",
}
# Markup that must never reach a text element unescaped (a backslash before it = escaped).
MARKUP = [r"<script", r"<img", r"\[click\]\(", r"\*\*bold"]

# file -> {column: hostile value}; every row of the column gets it (ids keep references).
EDITS = {
    "accounts.csv": {"Name": HOSTILE["script"], "Region": HOSTILE["link"],
                     "Segment": HOSTILE["bold"]},
    "people.csv": {"title": HOSTILE["img"], "disqualified_reason": HOSTILE["formula"],
                   "channel": HOSTILE["at"]},
    "opportunities.csv": {"lost_reason": HOSTILE["link"]},
    "campaigns.csv": {"name": HOSTILE["formula"]},
}


def _rewrite(path: Path, columns: dict[str, str]) -> None:
    rows = list(csv.reader(path.open(newline="")))
    header = [h.strip() for h in rows[0]]
    for row in rows[1:]:
        for name, value in columns.items():
            row[header.index(name)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue())


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile") / "extract"
    shutil.copytree(TINY_LOAD, folder)
    for name, columns in EDITS.items():
        _rewrite(folder / name, columns)
    db = folder.parent / "targetline.duckdb"
    result = load(folder, db)
    assert result.ok, [str(e) for e in result.errors]
    return db


def text_elements(at: AppTest) -> list[str]:
    """Every element whose value Streamlit renders as Markdown (or as a title)."""
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title",
             "header", "subheader")
    values = [e.value for kind in kinds for e in getattr(at, kind)]
    values += [m.label for m in at.metric] + [str(m.help or "") for m in at.metric]
    return [str(v) for v in values]


def unescaped(text: str) -> list[str]:
    return [m for m in MARKUP if re.search(r"(?<!\\)" + m, text)]


@pytest.mark.parametrize("page", PAGES)
def test_hostile_text_is_plain_on_every_page(hostile_db, monkeypatch, page):
    monkeypatch.setenv("TARGETLINE_DB", str(hostile_db))
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    bad = {text: unescaped(text) for text in text_elements(at) if unescaped(text)}
    assert bad == {}


def test_hostile_values_reach_the_page_at_all(hostile_db, monkeypatch):
    """Not vacuous: the hostile region is an option of the sidebar, so the check above
    looked at pages that carry the values."""
    monkeypatch.setenv("TARGETLINE_DB", str(hostile_db))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["region"] = HOSTILE["link"]
    at.run()
    assert HOSTILE["link"] in next(w for w in at.multiselect if w.key == "region").options
    caption = at.caption[0].value  # the header's filter summary names the chosen region
    assert "\\[click\\](javascript\\:alert(1))" in caption
    assert not unescaped(caption)


def read_back(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def test_safe_csv_neutralises_every_column_kind():
    values = list(HOSTILE.values())
    df = pd.DataFrame({
        "object": pd.Series(values, dtype=object),
        "string": pd.Series(values, dtype="string"),
        "str": pd.Series(values),  # pandas 3's default text dtype
        "category": pd.Series(values, dtype="category"),
        "mixed": pd.Series([1, "=1+1", None, 2.5, "\tx", "\rx", "-", "plain"], dtype=object),
        "number": [-1.5, 2, 3, 4, 5, 6, 7, 8],
        "when": pd.to_datetime(["2025-01-01"] * 8),
        "=HYPERLINK(\"h\")": ["a"] * 8,  # a hostile header too
    })
    out = read_back(ui.safe_csv(df))
    for column in ("object", "string", "str", "category"):
        for raw, cell in zip(values, out[column], strict=True):
            formula = raw.startswith(("=", "+", "-", "@"))
            assert cell == ("'" + raw if formula else raw), (column, raw, cell)
    # a missing cell reads n/a in a download as on screen (issue 15: unknown is not zero)
    assert list(out["mixed"]) == ["1", "'=1+1", "n/a", "2.5", "'\tx", "'\rx", "'-", "plain"]
    assert len(out) == 8  # a CR inside a cell is quoted, never a new row
    assert list(out["number"])[:2] == ["-1.5", "2.0"]  # numbers stay numbers
    assert out.columns[-1] == "'=HYPERLINK(\"h\")"


def test_a_line_break_inside_a_cell_cannot_start_a_formula_row():
    df = pd.DataFrame({"reason": ["ok\r=HYPERLINK(\"http://x\")", "ok\n@SUM(1)", "fine"]})
    out = read_back(ui.safe_csv(df))
    assert list(out["reason"]) == list(df["reason"])  # three rows, each cell whole


def test_every_download_button_goes_through_safe_csv():
    """Static: st.download_button is only called in ui/download.py, with safe_csv data (or
    the QBR pack's builder: slides, not spreadsheet cells)."""
    calls = []
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "download_button":
                calls.append((path.name, ast.unparse(node.args[1]) if len(node.args) > 1
                              else ""))
    allowed = {("download.py", "safe_csv(df)"), ("download.py", "build"),  # rows, the pack
               ("download.py", "lambda: safe_csv(frame())"),  # rows, deferred for long lists
               ("download.py", "text.encode('utf-8')")}  # a target definition's YAML: text
    assert calls and all(call in allowed for call in calls), calls
