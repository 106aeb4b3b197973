"""The growth planner in a real browser: links carry the sliders, a keypress moves the URL."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.metrics import run
from gtm.metrics.growth_inputs import historical
from gtm.plan import growth
from gtm.plan.growth import FIELD_LABELS, format_field

pytestmark = pytest.mark.browser
CHARTS = 3  # funnel, tornado, forecast band


@pytest.fixture(scope="module")
def specs_q1(app_db):
    """Slider specs and group size for period=2026Q1 (the links below pin it)."""
    con = store.connect(app_db)
    try:
        hist = run(con, historical, Filter(date(2026, 1, 1), date(2026, 3, 31)), Settings())
    finally:
        con.close()
    return growth.sliders(hist), int(hist["group_size"])


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def tiles(tab) -> dict[str, str]:
    out = {}
    for metric in tab.locator("[data-testid=stMetric]").all():
        label = metric.locator("[data-testid=stMetricLabel]").inner_text().strip()
        out[label] = metric.locator("[data-testid=stMetricValue]").inner_text().strip()
    return out


def expected(specs, group_size, values: dict) -> dict[str, str]:
    by_name = {n: values[s.key] for n, s in specs.items() if s.key in values}
    plan = growth.solve(growth.plan_inputs(specs, by_name, group_size))
    return {FIELD_LABELS[n]: format_field(n, plan.value(n)) for n in growth.SOLVE_FOR}


def settle(tab) -> None:
    tab.wait_for_timeout(600)
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    tab.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {CHARTS}")


def test_a_link_reopens_the_sliders_and_a_keypress_moves_them(app, specs_q1):
    specs, size = specs_q1
    goal = int(specs["revenue_goal"].high / 2)
    tab = app.open(f"/growth?period=2026Q1&goal={goal}&win=30", charts=CHARTS)
    slider = tab.get_by_role("slider", name=FIELD_LABELS["win_rate"])
    assert slider.get_attribute("aria-valuetext") == "30.0 %"
    assert tab.get_by_role("slider", name=FIELD_LABELS["revenue_goal"]).input_value() == str(goal)
    values = {s.key: s.default for s in specs.values()} | {"goal": goal, "win": 30.0}
    before = tiles(tab)
    assert {k: before.get(k) for k in expected(specs, size, values)} == expected(
        specs, size, values)
    app.screenshot("growth-link")

    slider.focus()
    for _ in range(4):  # 4 steps of 0.5 points: 30 % -> 32 %
        tab.keyboard.press("ArrowRight")
        settle(tab)
    tab.wait_for_function("() => location.search.includes('win=32')")
    assert query(tab.url)["win"] == ["32"] and query(tab.url)["goal"] == [str(goal)]
    after = tiles(tab)
    want = expected(specs, size, values | {"win": 32.0})
    assert {k: after.get(k) for k in want} == want
    assert after != before


def test_infeasible_plan_warns_and_pages_keep_the_filters(app, specs_q1):
    tab = app.open("/growth?period=2026Q1&market=5", charts=CHARTS)
    warning = tab.locator("[data-testid=stAlert]", has_text="more buyers than exist")
    warning.wait_for()
    assert "more than the market" in warning.inner_text()
    app.screenshot("growth-infeasible")
    tab.locator("[data-testid=stSidebarNav] a", has_text="Net ARR").click()
    tab.wait_for_url("**/net-arr?**")
    settle_page(tab)
    assert query(tab.url)["period"] == ["2026Q1"]
    tab.locator("[data-testid=stSidebarNav] a", has_text="Growth equation").click()
    tab.wait_for_url("**/growth?**")
    settle(tab)
    assert query(tab.url)["period"] == ["2026Q1"]
    assert app.selectbox_text("Period") == "2026Q1"


def settle_page(tab) -> None:
    tab.wait_for_timeout(600)
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")


def test_growth_and_overview_screenshots(app):
    tab = app.open("/growth", charts=CHARTS)
    assert tab.locator("[data-testid=stAlert]", has_text="feasib").count() >= 1  # the check, or why not
    app.screenshot("growth")
    tab = app.open("/")
    links = tab.locator("[data-testid=stPageLink]")
    links.first.wait_for()
    assert links.count() == 9  # one finding per analytic page (8) and the warm starts' one
    app.screenshot("overview-findings")
    links.filter(has_text="Growth equation").click()
    tab.wait_for_url("**/growth**")
    settle(tab)
    assert tab.get_by_role("heading", name="Growth equation").count() == 1
