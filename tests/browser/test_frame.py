"""The frame in a real browser: links carry the view, pages keep the global filters."""

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
