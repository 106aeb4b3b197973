"""MQLs vs pipeline, CAC vs CPL and Velocity in a real browser: each opens from its URL
with its charts drawn, and the velocity page's pipeline view reopens from a link."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# path, charts the page draws on the demo company, a heading it shows
PAGES = [("/mql-vs-pipeline", 5, "MQLs vs qualified pipeline"),
         ("/cac-vs-cpl", 4, "CAC vs cost per lead"),
         ("/velocity", 5, "Velocity and fail-fast")]


@pytest.mark.parametrize(("path", "charts", "title"), PAGES)
def test_page_opens_from_its_url_with_charts(app, path, charts, title):
    tab = app.open(path + "?period=2026Q3", charts=charts)
    tab.get_by_role("heading", name=title).wait_for()
    assert tab.locator("[data-testid=stException]").count() == 0
    # a rerun may redraw the page right after it first settles: wait, do not sample once
    tab.wait_for_function(f"document.querySelectorAll('.js-plotly-plot').length >= {charts}")
    tab.wait_for_function("document.querySelectorAll('[data-testid=stMetric]').length >= 6")
    app.screenshot("funnel" + path.replace("/", "-"))


def test_velocity_link_reopens_the_qualified_pipeline_view(app):
    tab = app.open("/velocity?flow=Qualified+only", charts=5)
    expect(tab.get_by_role("radio", name="Qualified only")).to_be_checked(timeout=60_000)
    # the waterfall may be redrawn right after the page settles: poll, never sample once
    expect(step_labels(tab).nth(1)).to_have_text("Qualified", timeout=60_000)
    tab.get_by_role("radio", name="All deals").click()
    tab.wait_for_url("**/velocity")  # the default view drops the parameter
    expect(step_labels(tab)).to_have_text(
        ["Open at start", "Created", "Won", "Lost", "Open at end"], timeout=60_000)


def step_labels(tab):
    """The x-axis labels of the pipeline waterfall (the chart that starts 'Open at start')."""
    chart = tab.locator(".js-plotly-plot", has=tab.locator(".xtick text", has_text="Open at start"))
    return chart.locator(".xtick text")
