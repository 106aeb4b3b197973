"""The Data page with HubSpot exports: what was recognised, a preview, the problems by
file/line/column, and a refused load that keeps the served dataset."""

import shutil
from pathlib import Path

HUBSPOT = Path(__file__).resolve().parents[1] / "data" / "hubspot"
DEALS = "hubspot-crm-exports-all-deals-2024-07-01.csv"


def test_hubspot_upload_shows_recognition_preview_and_problems(app, app_db, tmp_path):
    from gtm.load import store

    before = store.current_version(app_db)
    folder = tmp_path / "hs"
    shutil.copytree(HUBSPOT, folder)
    deals = folder / DEALS
    deals.write_text(deals.read_text().replace("EMAIL_MARKETING,9003,105", "EMAIL_MARKETING,,105"))
    tab = app.open("/data")
    tab.get_by_role("tab", name="Load a new extract").click()
    tab.locator("input[type=file]").set_input_files(sorted(str(p) for p in folder.iterdir()))
    tab.get_by_text("Detected source:").wait_for()
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    body = tab.inner_text("body")
    assert "hubspot" in body and "1 problem(s) to fix before loading" in body
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download CSV").last.click()
    text = Path(download.value.path()).read_text()
    assert f"{DEALS},5,associatedcompanyid," in text and "has no associated company" in text
    app.screenshot("data-import-preview")
    tab.get_by_role("button", name="Check and load").click()
    tab.get_by_text("the previous dataset is still served").wait_for()
    assert store.current_version(app_db) == before
