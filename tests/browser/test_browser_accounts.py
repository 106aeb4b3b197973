"""Buying groups, Net ARR and Target market in a real browser: each opens from its URL with
its charts drawn, and a link with the grain reopens the Net ARR page on that grain."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, charts", [("/buying-groups", 2), ("/net-arr", 3),
                                          ("/target-market", 3)])
def test_page_opens_from_its_url_with_charts(app, path, charts):
    tab = app.open(path, charts=charts)
    assert urlsplit(tab.url).path == path
    # a rerun may redraw the page right after it first settles: wait, do not sample once
    tab.wait_for_function(
        f"document.querySelectorAll('[data-testid=stPlotlyChart]').length >= {charts}")
    tab.wait_for_function("document.querySelectorAll('[data-testid=stMetric]').length >= 3")
    assert tab.locator("[data-testid=stException]").count() == 0
    app.screenshot("acct" + path.replace("/", "-"))


def test_a_link_with_grain_reopens_net_arr_by_quarter(app):
    tab = app.open("/net-arr?period=2026Q2&grain=Quarter", charts=3)
    # waits, not snapshots: on a busy machine the link's rerun may still be drawing
    expect(tab.get_by_role("radio", name="Quarter")).to_be_checked(timeout=60_000)
    expect(tab.locator("[data-testid=stMain]")).to_contain_text("of 8 quarters",
                                                                 timeout=60_000)
    assert parse_qs(urlsplit(tab.url).query)["grain"] == ["Quarter"]
    app.screenshot("acct-net-arr-quarter")
    tab.get_by_text("Month", exact=True).click()
    tab.wait_for_function("new URL(location.href).searchParams.get('grain') !== 'Quarter'")
