"""The whole app through app.py (Streamlit AppTest) on a small demo company.

Checks what a user relies on: every page opens, a shared link reopens the same
filters, a broken link says what it ignored, the glossary explains every metric.
"""

from pathlib import Path
from urllib.parse import quote_plus

import pytest
from streamlit.testing.v1 import AppTest

from gtm import periods
from gtm.load import store
from gtm.metrics import dataset_info, registry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/overview.py", "pages/mql-vs-pipeline.py", "pages/cac-vs-cpl.py",
         "pages/buying-groups.py", "pages/growth.py", "pages/net-arr.py", "pages/velocity.py",
         "pages/target-market.py", "pages/data.py"]


@pytest.fixture
def info(app_db):
    con = store.connect(app_db)
    try:
        return dataset_info(con)
    finally:
        con.close()


@pytest.fixture
def app(app_db, monkeypatch):
    """A fresh session of the app reading the demo dataset; call with query params."""
    monkeypatch.setenv("TARGETLINE_DB", str(app_db))

    def open_app(page: str | None = None, **params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return open_app


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_inside_the_frame(app, page):
    at = app(page)
    assert not at.exception, [e.value for e in at.exception]
    # the sidebar (drawn by app.py) is there on every page: the frame ran around it
    assert widget(at, "selectbox", "period").value
    assert at.title[0].value


def test_default_period_is_the_last_complete_quarter(app, info):
    at = app()
    # the demo company is as of 2026-10-31: Q4 2026 is not complete, so Q3 2026
    assert info["data_as_of"].isoformat() == "2026-10-31"
    assert widget(at, "selectbox", "period").value == "2026Q3"
    assert "2026Q3 (Jul 1, 2026 – Sep 30, 2026)" in at.caption[0].value


def test_link_reopens_period_and_region_on_every_page(app, info):
    region = info["regions"][0]
    at = app(period="2025Q1", region=[region])
    assert widget(at, "selectbox", "period").value == "2025Q1"
    assert widget(at, "multiselect", "region").value == [region]
    assert "2025Q1 (Jan 1, 2025 – Mar 31, 2025)" in at.caption[0].value
    for page in ("pages/net-arr.py", "pages/data.py", "pages/overview.py"):
        at.switch_page(page).run()
        assert widget(at, "selectbox", "period").value == "2025Q1"
        assert widget(at, "multiselect", "region").value == [region]
    assert not infos(at)


def test_link_with_custom_dates_and_settings(app):
    at = app(period="Custom", start="2025-02-01", end="2025-05-15", margin="0.6", group="9")
    assert widget(at, "date_input", "start").value.isoformat() == "2025-02-01"
    assert widget(at, "date_input", "end").value.isoformat() == "2025-05-15"
    assert widget(at, "number_input", "margin").value == pytest.approx(0.6)
    assert widget(at, "number_input", "group").value == 9
    assert "Feb 1, 2025 – May 15, 2025" in at.caption[0].value
    assert not infos(at)


def test_a_link_outside_the_data_is_clamped_with_one_notice(app, info):
    # issue 15: a start before the data's first day starts the period on that day, an end
    # after the as-of date ends it there; never "ignored", never a swapped period
    first, as_of = periods.as_date(info["first_date"]), info["data_as_of"]
    at = app(period="Custom", start="2001-01-01", end="2099-12-31")
    assert widget(at, "date_input", "start").value == first
    assert widget(at, "date_input", "end").value == as_of
    notes = [i for i in infos(at) if "link" in i]
    assert len(notes) == 2, notes
    assert f"the period starts on {first}" in notes[0].replace("\\", "")
    assert not at.warning  # no "dates were swapped"


def test_invalid_link_values_fall_back_with_a_notice(app, info):
    at = app(period="2031Q9", region=["Atlantis"], margin="7", motion="Robots",
             start="2025-01-01")
    first = periods.as_date(info["first_date"])
    assert widget(at, "selectbox", "period").value == periods.default_period(first, info["data_as_of"])
    assert widget(at, "multiselect", "region").value == []
    assert widget(at, "number_input", "margin").value == pytest.approx(0.8)
    assert widget(at, "selectbox", "motion").value == "All"
    notices = "\n".join(infos(at))
    assert "Ignored period=2031Q9 from the link" in notices
    assert "Ignored region=Atlantis from the link" in notices
    assert "Ignored margin=7 from the link" in notices
    assert "Ignored motion=Robots from the link" in notices
    assert "Ignored start=2025-01-01 from the link" in notices
    assert not at.exception


def test_data_page_glossary_lists_every_metric(app):
    at = app("pages/data.py")
    ids = set()
    for frame in at.dataframe:
        if "id" in frame.value.columns and "definition" in frame.value.columns:
            ids |= set(frame.value["id"])
    assert ids == set(registry.METRICS)


def test_data_page_shows_what_is_loaded(app, info):
    at = app("pages/data.py")
    tables = next(f.value for f in at.dataframe if "provided" in f.value.columns)
    provided = dict(zip(tables["table"], tables["provided"], strict=True))
    assert provided["people"] and provided["opportunities"]
    assert any(f"**Data as of** {info['data_as_of']}" in m.value for m in at.markdown)


def test_overview_headline_row_uses_registry_labels(app):
    at = app()
    labels = [m.label for m in at.metric]
    for metric_id in ("qualified_pipeline", "new_customers", "cac", "net_new_arr",
                      "qualified_win_rate"):
        assert registry.get(metric_id).label in labels


def test_first_run_loads_the_demo_with_progress(app_db, tmp_path, monkeypatch):
    """No dataset yet: app.py calls gtm.demo.ensure_loaded(progress=...) once, then shows it."""
    import gtm.demo
    from gtm.load.loader import load

    db = tmp_path / "fresh.duckdb"
    monkeypatch.setenv("TARGETLINE_DB", str(db))
    calls = []

    def fake_ensure_loaded(db_path=None, progress=None):
        progress("generating", 0.5)  # the (message, fraction) signature of gtm.demo
        calls.append(db_path)
        extract = app_db.parent / "extract"  # the app_db fixture's generated CSVs
        return load(extract, store.default_db_path()).ok

    monkeypatch.setattr(gtm.demo, "ensure_loaded", fake_ensure_loaded)
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert calls == [None]
    assert not at.exception
    assert store.current_version(db) is not None
    assert registry.get("qualified_pipeline").label in [m.label for m in at.metric]


def test_without_any_dataset_the_data_page_still_works(tmp_path, monkeypatch):
    import gtm.demo

    monkeypatch.setenv("TARGETLINE_DB", str(tmp_path / "none.duckdb"))

    def failing_demo(db_path=None, progress=None):
        raise RuntimeError("no disk space")

    monkeypatch.setattr(gtm.demo, "ensure_loaded", failing_demo)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "no disk space" in at.error[0].value
    assert "No dataset is loaded yet" in infos(at)[0]
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert "Nothing is loaded yet" in "\n".join(infos(at))


def test_share_popover_holds_the_link_of_this_view(app, info):
    """The link sits in a popover: a code block always on screen made every first view
    fetch Streamlit's syntax highlighter, about 0.5 s of a cold page on a 2-core machine."""
    region = info["regions"][0]
    at = app("pages/velocity.py", period="2025Q1", region=[region])
    popover = next(p for p in at.sidebar.get("popover")
                   if p.proto.popover.label == "Share this view")
    link = popover.code[0].value
    assert link.startswith("/velocity?"), link
    assert "period=2025Q1" in link and f"region={quote_plus(region)}" in link, link
