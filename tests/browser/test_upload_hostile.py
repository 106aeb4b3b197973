"""Hostile files and names in a real browser (issue 13): the server survives, the page says
why, nothing stays behind; hostile channel names are drawn as text in the charts.

The xlsx bomb killed the server for every user when uploaded on the Data page, and the
uploaded CRM files stayed in /tmp/targetline-preview-*. Here a server of its own (with
its own temporary folder) takes the bomb and a zip bomb through the uploader; it must
answer afterwards, show the refusal naming the files and the bounds, keep the uploader,
and leave its temporary folder empty. Screenshots: data-hostile-upload.png and
hostile-channel-names.png in $TARGETLINE_SHOTS.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from conftest import READY, screenshot, wait_ready
from test_hostile_charts import hostile_demo_db

from gtm.load import store
from perf import hostile
from perf.server import streamlit_server

pytestmark = pytest.mark.browser
TINY_LOAD = Path(__file__).resolve().parents[1] / "data" / "tiny_load"
CAMPAIGNS = [["campaign_id", "name", "channel", "demand_type", "start_date", "end_date"],
             ["C1", "Search Q1", "paid_search", "Harvest", "2025-01-01", "2025-03-31"]]


@pytest.fixture(scope="module")
def private_server(app_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-upload")
    tmp = folder / "tmp"
    tmp.mkdir()
    with streamlit_server(app_db, folder / "streamlit.log", env={"TMPDIR": str(tmp)}) as url:
        yield url, tmp


def upload(page, url: str, files: list) -> str:
    """A fresh session of the Data page: the uploads (source detected), Check and load."""
    page.goto(url + "/data")
    wait_ready(page)
    page.get_by_role("tab", name="Load a new extract").click()
    page.locator("input[type=file]").set_input_files([str(p) for p in files])
    page.wait_for_timeout(800)
    page.wait_for_selector(READY)
    page.get_by_role("button", name="Check and load").click()
    page.get_by_text("the previous dataset is still served").first.wait_for()
    page.wait_for_selector(READY)
    return page.inner_text("body")


def alive(url: str) -> bool:
    with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as response:
        return response.status == 200


def test_hostile_uploads_are_refused_and_the_server_survives(private_server, page, app_db,
                                                             tmp_path):
    url, tmp = private_server
    before = store.current_version(app_db)
    bomb = hostile.xlsx(tmp_path / "campaigns.xlsx", CAMPAIGNS)
    zipped = hostile.zip_bomb(tmp_path / "extract.zip", unpacked=300 * 1024 * 1024)
    body = upload(page, url, [bomb, zipped])
    assert "Upload refused" in body
    assert "extract.zip: touches.csv unpacks to 300 MB" in body and "the bound is 100:1" in body
    assert page.locator("input[type=file]").count() == 1  # the uploader is still there
    screenshot(page, "data-hostile-upload")
    assert alive(url)
    # the bomb in a canonical extract goes through staging to the loader: refused by its bound
    extract = [p for p in sorted(TINY_LOAD.glob("*.csv")) if p.name != "campaigns.csv"]
    body = upload(page, url, [*extract, bomb])
    assert "Load refused with" in body
    page.get_by_text("campaigns.xlsx").first.wait_for()
    screenshot(page, "data-hostile-upload-xlsx")
    assert alive(url)
    assert store.current_version(app_db) == before
    assert [p.name for p in tmp.iterdir() if p.name.startswith("targetline-")] == []


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-names")
    db = hostile_demo_db(root)
    with streamlit_server(db, root / "streamlit.log") as url:
        yield url


@pytest.mark.parametrize("path, charts", [("/mql-vs-pipeline", 5), ("/cac-vs-cpl", 4)])
def test_hostile_channel_names_are_drawn_as_text(hostile_server, page, path, charts):
    page.goto(hostile_server + path)
    wait_ready(page, charts=charts)
    page.wait_for_timeout(1000)
    plots = page.locator(".js-plotly-plot")
    assert plots.locator("a").count() == 0  # no clickable link inside any chart
    big = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot text, '
        + '.js-plotly-plot tspan')].filter(e => (e.getAttribute('style') || '')
        .includes('90px')).length""")
    assert big == 0  # no label drawn huge
    text = " ".join(plots.all_inner_texts()) + page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent)"
        ".join(' ')")
    assert '<a href="https://x.example/p">' in text or "<b>" in text  # shown as typed
    screenshot(page, "hostile-channel-names" + path.replace("/", "-"))
