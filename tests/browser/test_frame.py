"""The frame in a real browser: links carry the view, pages keep the global filters."""

import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_a_data_page_link_reopens_its_filters(app):
    tab = app.open("/data?period=2025Q1&region=EMEA&region=NA")
    assert app.selectbox_text("Period") == "2025Q1"
    assert app.chosen("Regions", 2) == ["EMEA", "NA"]
    assert "2025Q1 (Jan 1, 2025 – Mar 31, 2025) · EMEA, NA" in tab.inner_text("body")
    assert urlsplit(tab.url).path == "/data"
    tab.get_by_role("tab", name="Glossary").click()
    tab.get_by_role("heading", name="Volume versus quality").wait_for()
    tab.wait_for_timeout(500)
    app.screenshot("data")


def test_switching_pages_keeps_the_global_filters_in_the_url(app):
    tab = app.open("/?period=2025Q1&channel=events")
    assert app.selectbox_text("Period") == "2025Q1"
    app.screenshot("overview")
    tab.locator("[data-testid=stSidebarNav] a", has_text="Net ARR").click()
    tab.wait_for_url("**/net-arr?**")
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    assert query(tab.url) == {"period": ["2025Q1"], "channel": ["events"]}
    assert app.selectbox_text("Period") == "2025Q1"
    assert app.chosen("Channels", 1) == ["events"]
    app.screenshot("net-arr")


def test_a_broken_link_says_what_it_ignored(app):
    tab = app.open("/?period=2031Q9&region=Atlantis")
    notice = tab.locator("[data-testid=stAlert]", has_text="Ignored period=2031Q9")
    notice.wait_for()
    assert "Ignored region=Atlantis from the link" in tab.inner_text("body")
    assert "period" not in query(tab.url)
    app.screenshot("broken-link")


def test_a_refused_upload_names_file_line_column_and_keeps_the_dataset(app, app_db, tmp_path):
    from gtm.load import store

    before = store.current_version(app_db)
    people = tmp_path / "people.csv"
    people.write_text("person_id,created_date,channel\nP1,2025-01-02,events\n")
    opportunities = tmp_path / "opportunities.csv"
    opportunities.write_text("opportunity_id,account_id,created_date,stage,is_closed,is_won\n"
                             "O1,A1,notadate,Discovery,false,false\n")
    tab = app.open("/data")
    tab.get_by_role("tab", name="Load a new extract").click()
    tab.locator("input[type=file]").set_input_files([str(people), str(opportunities)])
    tab.get_by_role("button", name="Check and load").click()
    tab.get_by_text("the previous dataset is still served").wait_for()
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    # the problems table is a canvas: check the CSV the page offers for it instead
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Download CSV").last.click()
    text = Path(download.value.path()).read_text()
    assert "opportunities.csv,2,created_date," in text
    assert store.current_version(app_db) == before
    app.screenshot("data-refused-upload")


def test_a_zip_that_climbs_out_is_refused(app, tmp_path):
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../../people.csv", "x")
    tab = app.open("/data")
    tab.get_by_role("tab", name="Load a new extract").click()
    tab.locator("input[type=file]").set_input_files([str(archive)])
    tab.get_by_role("button", name="Check and load").click()
    tab.get_by_text("'../../people.csv' is not a plain file name").wait_for()
    assert not (tmp_path.parent / "people.csv").exists()
