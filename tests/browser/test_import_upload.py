"""The Data page with HubSpot exports: the import report, a preview, the problems by
file/line/column, a refused load that keeps the served dataset, and the choice to leave
the bad rows out and load (on a server of its own, so the shared dataset stays)."""

import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import App

HUBSPOT = Path(__file__).resolve().parents[1] / "data" / "hubspot"
DEALS = "hubspot-crm-exports-all-deals-2024-07-01.csv"


def _damaged(tmp_path) -> Path:
    """Deal 5004 (line 5): no associated company (a warning) and 'soon' as the date it
    entered Qualified To Buy (a row error: the history entry cannot be read)."""
    folder = tmp_path / "hs"
    shutil.copytree(HUBSPOT, folder)
    deals = folder / DEALS
    deals.write_text(deals.read_text().replace("EMAIL_MARKETING,9003,105", "EMAIL_MARKETING,,105")
                     .replace("2024-05-06T11:00:00Z", "soon", 1))
    return folder


def _upload(tab, folder: Path) -> None:
    tab.get_by_role("tab", name="Load a new extract").click()
    tab.locator("input[type=file]").set_input_files(sorted(str(p) for p in folder.iterdir()))
    tab.get_by_text("Detected source:").wait_for()
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")


def test_hubspot_upload_shows_report_preview_and_problems(app, app_db, tmp_path):
    from gtm.load import store

    before = store.current_version(app_db)
    tab = app.open("/data")
    _upload(tab, _damaged(tmp_path))
    body = tab.inner_text("body")
    assert "hubspot" in body and "1 problem(s) to fix before loading" in body
    assert "Import report" in body
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download CSV").last.click()
    text = Path(download.value.path()).read_text()
    assert f"{DEALS},5,hs_v2_date_entered_qualifiedtobuy," in text and "'soon'" in text
    assert f"{DEALS},5,associatedcompanyid," in text and "no associated company" in text
    app.screenshot("data-import-preview")
    tab.get_by_role("button", name="Check and load").click()
    tab.get_by_text("the previous dataset is still served").wait_for()
    tab.get_by_role("button", name="Leave out the bad rows and load").wait_for()
    assert store.current_version(app_db) == before


@pytest.fixture
def own_server(tmp_path):
    from gtm.importers import import_and_load
    from perf.server import streamlit_server

    db = tmp_path / "own" / "targetline.duckdb"
    assert import_and_load(HUBSPOT, db)[1].ok
    with streamlit_server(db, tmp_path / "streamlit.log") as url:
        yield url, db


def test_leave_out_the_bad_rows_and_load(page, own_server, tmp_path):
    from gtm.load import store

    url, db = own_server
    before = store.current_version(db)
    app = App(page, url)
    tab = app.open("/data")
    _upload(tab, _damaged(tmp_path))
    tab.get_by_role("button", name="Check and load").click()
    tab.get_by_role("button", name="Leave out the bad rows and load").click()
    tab.get_by_text("1 row(s) left out").wait_for()
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    body = tab.inner_text("body")
    assert "1 bad row(s) left out" in body and "Import report" in body
    assert store.current_version(db) != before
    entry = store.read_history(db)[-1]
    assert entry["result"] == "ok" and entry["left_out"] == {"opportunities": 1}
    app.screenshot("data-left-out-rows")
