"""The sidebar's "Download the QBR pack" in a real browser: the files a user gets."""

import subprocess

import pytest
from pptx import Presentation

pytestmark = pytest.mark.browser


def _download(tab, label: str, folder):
    with tab.expect_download(timeout=180_000) as info:
        tab.get_by_role("button", name=label).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def test_the_share_popover_downloads_the_pack_of_this_view(app, tmp_path):
    tab = app.open("/net-arr?period=2026Q2&region=EMEA", charts=1)
    tab.get_by_role("button", name="Share this view").click()
    tab.get_by_role("button", name="Download the QBR pack (PowerPoint)").wait_for()
    app.screenshot("qbr-popover")
    deck = _download(tab, "Download the QBR pack (PowerPoint)", tmp_path)
    assert deck.name == "targetline-qbr-2026-04-01-2026-06-30.pptx"
    prs = Presentation(deck)
    titles = [next(s for s in slide.shapes if s.name == "title").text_frame.text
              for slide in prs.slides]
    assert "Net ARR" in titles and "Overview" in titles
    net_arr = prs.slides[titles.index("Net ARR")]
    footer = next(s for s in net_arr.shapes if s.name == "footer").text_frame
    link = next(r.hyperlink.address for p in footer.paragraphs for r in p.runs
                if r.hyperlink.address)
    assert link == f"{app.base}/net-arr?period=2026Q2&region=EMEA"  # the server's own URL
    assert "Period ending 2026-06-30" in footer.text
    pdf = _download(tab, "Download the QBR pack (PDF)", tmp_path)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("\f") == len(prs.slides) and "Period ending 2026-06-30" in text


def test_after_a_slider_move_the_link_and_the_pack_follow_the_planner(app, tmp_path):
    """A growth slider reruns only its fragment (the sidebar does not run): the popover's
    link and the pack's growth slide must still carry the value the slider shows now."""
    tab = app.open("/growth?period=2026Q1&win=30", charts=3)
    slider = tab.get_by_role("slider", name="Qualified win rate")
    slider.focus()
    for _ in range(2):  # 2 steps of 0.5 points: 30 % -> 31 %
        tab.keyboard.press("ArrowRight")
        tab.wait_for_timeout(600)
        tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    tab.wait_for_function("() => location.search.includes('win=31')")
    tab.get_by_role("button", name="Share this view").click()
    code = tab.locator("[data-testid=stPopoverBody] [data-testid=stCode]")
    code.wait_for()
    assert "win=31" in code.inner_text() and "win=30" not in code.inner_text()
    deck = _download(tab, "Download the QBR pack (PowerPoint)", tmp_path)
    links = {r.hyperlink.address for slide in Presentation(deck).slides
             for s in slide.shapes if s.name == "footer"
             for p in s.text_frame.paragraphs for r in p.runs if r.hyperlink.address}
    growth = [link for link in links if "/growth?" in link]
    assert growth and all("win=31" in link for link in growth), growth
