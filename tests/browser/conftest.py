"""A real server (`streamlit run ui/serve.py`, app.py as served) on a free port, driven
by headless Debian Chromium.

AppTest runs scripts but no browser: URLs, page switches and what is drawn on
screen need the real server and frontend. Without /usr/bin/chromium the browser
tests skip locally but fail under CI (env CI set), so CI can never pass silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perf.server import streamlit_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
READY = "[data-testid=stApp][data-test-script-state=notRunning]"
SHOTS = Path(os.environ.get("TARGETLINE_SHOTS", "/tmp/tl/shots"))


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server(app_db, tmp_path_factory):
    """Base URL of the app serving the demo dataset; the process is ended afterwards."""
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(app_db, log) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (install Debian's chromium: make browser)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    # bypass_csp: wait_for_function probes are scripts the app's CSP (ui/security.py)
    # refuses; test_security_headers.py loads the pages under the CSP itself
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, bypass_csp=True)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


def wait_ready(tab, charts: int = 0) -> None:
    """Wait until the script finished and stayed finished (a first run may rerun at once,
    e.g. through app.py or for a link's values), then for `charts` Plotly charts."""
    tab.wait_for_selector("[data-testid=stApp]")
    for _ in range(2):
        tab.wait_for_timeout(400)  # a run (or the rerun after it) may not have started yet
        tab.wait_for_selector(READY)
    tab.wait_for_selector("[data-testid=stSidebar] [data-testid=stSelectbox]")
    if charts:
        tab.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}")


def screenshot(tab, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


class App:
    """One browser tab on the running app: open a URL, wait, read, screenshot."""

    def __init__(self, tab, base: str):
        self.tab, self.base = tab, base

    def open(self, path: str, charts: int = 0):
        self.tab.goto(self.base + path)
        wait_ready(self.tab, charts)
        return self.tab

    def selectbox_text(self, label: str) -> str:
        return self.tab.get_by_role("combobox", name=label, exact=True).input_value()

    def chosen(self, label: str, expect_count: int) -> list[str]:
        """The values chosen in a multiselect, once `expect_count` tags are drawn."""
        from playwright.sync_api import expect

        box = self.tab.locator("[data-testid=stMultiSelect]").filter(
            has=self.tab.get_by_role("combobox", name=label, exact=True))
        tags = box.locator("[data-tag]")
        expect(tags).to_have_count(expect_count)
        return [tag.get_attribute("aria-label") for tag in tags.all()]

    def screenshot(self, name: str) -> Path:
        return screenshot(self.tab, name)


@pytest.fixture
def app(page, server):
    return App(page, server)
