"""The Targets page and the growth page's plan check in a real browser: the draft reopens
from a link with its charts drawn, a rule added with the widgets lands in the URL, and the
field example reads infeasible by 35.3x."""

from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
ICP = (Path(__file__).resolve().parents[2] / "docs" / "icp-example.yaml").read_text()


def test_targets_page_opens_with_the_draft_from_the_link(app):
    tab = app.open("/targets?icp=" + quote(ICP), charts=3)
    main = tab.locator("[data-testid=stMain]")  # polled: a rerun may redraw it after it settles
    expect(main).to_contain_text("Demo ICP 2027 · 4 rules, 10 points; targets: tier A (fit 80 "
                                 "or more)", timeout=60_000)
    expect(main).to_contain_text("Evidence for a rule", timeout=60_000)  # the tabs
    expect(main).to_contain_text("Who is engaged", timeout=60_000)
    assert tab.locator("[data-testid=stException]").count() == 0
    app.screenshot("targets")


def test_the_open_tab_goes_into_the_link(app):
    tab = app.open("/targets?icp=" + quote(ICP), charts=2)
    tab.get_by_role("tab", name="Tiers A, B, C").click()
    tab.wait_for_function("new URL(location.href).searchParams.get('ttab') === 'Tiers A, B, C'")
    tab.locator(".st-key-chart-tiers .js-plotly-plot").wait_for()
    expect(tab.locator("[data-testid=stMain]")).to_contain_text("Tier A from a fit of 80",
                                                                 timeout=60_000)
    app.screenshot("targets-tiers")


def test_a_rule_added_in_the_page_goes_into_the_link(app):
    tab = app.open("/targets?icp=" + quote(ICP), charts=3)
    tab.get_by_role("textbox", name="Other values (comma separated)").fill("Media")
    tab.get_by_role("textbox", name="Other values (comma separated)").press("Enter")
    tab.get_by_role("button", name="Add rule").click()
    tab.wait_for_function("(new URL(location.href).searchParams.get('icp') || '')"
                          ".includes('Media')")
    draft = parse_qs(urlsplit(tab.url).query)["icp"][0]
    assert "values: [Media]" in draft and "Demo ICP 2027" in draft


def test_the_plan_check_reads_infeasible_by_35_3x(app):
    tab = app.open("/growth?ptop=265000&psql=26000&psal=2600&pmarket=7500", charts=3)
    verdict = tab.get_by_text("Infeasible: 265,000 visitors is 35.3x the market of 7,500 "
                              "people at the top of the funnel (and 3.5x at SQL).").first
    verdict.wait_for(timeout=60_000)  # the plan check is drawn after the charts
    verdict.scroll_into_view_if_needed()
    assert verdict.is_visible()
    assert "3.5x the market" in tab.inner_text("[data-testid=stMain]")
    app.screenshot("growth-plan-check")
