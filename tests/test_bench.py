"""The benchmark (perf/bench.py, perf/pandas_baseline.py).

What is checked: the budget arithmetic by hand, the pandas baseline against the
hand-worked tiny extract (tests/data/tiny/README.md) and against metrics.compute,
and one smoke run at a small size that must produce every figure and render its
table. Speed is never asserted here: the budgets are checked by the benchmark
itself, by hand, at the enterprise size.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
from datetime import date
from pathlib import Path

import pytest

from gtm.demo import DEFAULT_ACCOUNTS
from gtm.filters import Filter, Settings
from perf import bench
from perf import pandas_baseline as bench_pandas
from perf.bench import Figure, Page, agree, app_pages, default_year, fmt_value
from ui import nav

TINY = Path(__file__).parent / "data" / "tiny"
SMOKE_ACCOUNTS = DEFAULT_ACCOUNTS  # the issue: the default size, inside the suite


# --- budgets and figures, by hand ---------------------------------------------------


def test_status_says_by_how_much_a_budget_is_missed():
    # 3.0 s against < 2.0 s: over by 3.0 - 2.0 = 1.00 s, 3.0 / 2.0 = 1.5x the budget
    assert Figure("a", "a", 3.0, "s", 2.0).status() == "over by 1.00 s (1.5x budget)"
    # 200 ms against < 150 ms: over by 50 ms, 200 / 150 = 1.33 -> 1.3x
    assert Figure("w", "w", 200.0, "ms", 150.0).status() == "over by 50 ms (1.3x budget)"
    assert Figure("b", "b", 2.0, "s", 2.0).status() == "ok"  # at the budget is within it
    # speed-up 2.0x against >= 5.0x: short by 5.0 / 2.0 = 2.5x
    assert Figure("x", "x", 2.0, "x", 5.0, higher_is_better=True).status() == "short by 2.5x"
    assert Figure("y", "y", 6.0, "x", 5.0, higher_is_better=True).status() == "ok"
    assert Figure("i", "i", 1.0, "s").status() == ""  # informative, no budget
    missing = Figure("m", "m", None, "ms", 50.0, note="no slider on the page")
    assert missing.status() == "not measured: no slider on the page"


def test_budgeted_figures_take_the_issue_budgets_and_units():
    load = bench.budgeted("load_s", "load", 61.0, "load_s")
    assert (load.budget, load.unit, load.higher_is_better) == (60.0, "s", False)
    rss = bench.budgeted("load_rss_mb", "rss", 100.0, "load_rss_mb")
    assert (rss.budget, rss.unit) == (4096.0, "MB")
    speedup = bench.budgeted("speedup_x", "speed-up", 4.0, "speedup_x")
    assert (speedup.budget, speedup.unit, speedup.higher_is_better) == (5.0, "x", True)
    assert bench.budgeted("slider_ms", "s", 1.0, "slider_ms").budget == 50.0
    assert bench.budgeted("page_warm_ms", "w", 1.0, "page_warm_ms").budget == 150.0


def test_values_are_formatted_in_their_unit():
    assert fmt_value(1.234, "s") == "1.23 s"
    assert fmt_value(42.4, "ms") == "42 ms"
    assert fmt_value(4.25, "ms") == "4.2 ms"
    assert fmt_value(4096, "MB") == "4,096 MB"
    assert fmt_value(-0.4, "MB") == "-0.4 MB"
    assert fmt_value(7.25, "x") == "7.2x"
    assert fmt_value(None, "s") == "n/a"


def test_default_year_is_the_last_full_calendar_year():
    assert default_year(date(2026, 10, 31)) == 2025  # the demo's as-of: 2026 is not over
    assert default_year(date(2025, 12, 31)) == 2025  # the last day completes the year
    assert default_year(date(2026, 1, 1)) == 2025


def test_app_pages_are_the_files_the_app_registers():
    """The bench times the list app.py navigates (ui/nav.py), the default page first."""
    pages = app_pages()
    assert "nav.PAGES" in bench.APP.read_text()  # app.py registers that list
    assert len(pages) == len(nav.PAGES) == len(list((bench.APP.parent / "pages").glob("*.py")))
    assert pages[0] == Page("pages/overview.py", "Overview", "")  # the default page: "/"
    for page in pages:
        assert (bench.APP.parent / page.path).is_file()
        assert page.url_path == "" or page.url_path == Path(page.path).stem


def test_agreement_rows_name_the_definition_that_differs():
    rows = {r["id"]: r for r in agree(
        {"leads": 10, "qualified_opportunities": 1, "cac": None, "mqls": 8},
        {"leads": 10, "qualified_opportunities": 5, "cac": None, "mqls": 9})}
    assert rows["leads"]["agrees"] and rows["cac"]["agrees"]  # n/a on both sides agrees
    assert not rows["qualified_opportunities"]["agrees"]
    assert rows["qualified_opportunities"]["note"] == "pandas: supplied qualified_date only"
    assert rows["mqls"]["note"] == "differs"


# --- the pandas baseline on the tiny extract -------------------------------------------


def test_pandas_baseline_on_the_tiny_extract_by_hand():
    got = bench_pandas.measure(TINY, "2025-07-01", "2025-09-30")["values"]
    assert got == {
        "leads": 10,  # P1 P3 P4 P5 P6 P7 P8 P9 P11 P13 created in Q3
        "mqls": 8,  # P1 P3 P5 P6 P7 P8 P10 P11
        "qualified_opportunities": 1,  # only O7 supplies a qualified_date (08-06)
        "qualified_pipeline": 25000.0,  # O7's amount
        "signups": 4,  # S1 S2 S3 S5
        "marketing_spend": 70000.0,  # 30000 + 30000 + 6000 + 4000
        "sales_spend": 60000.0,  # 3 x 20000
        "cpl": 7000.0,  # 70000 / 10
        "cost_per_mql": 8750.0,  # 70000 / 8
        "new_customers": 2,  # A1 (O1 08-15), A2 (O2 09-10)
        "cac": 65000.0,  # (70000 + 60000) / 2
        "net_new_arr": 225000.0,  # new 160000 + expansion 85000 - churn 20000
        "target_account_penetration": 1.0,  # targets A1, A2 both touched in Q3 (P1, P3)
    }


def test_pandas_baseline_agrees_with_compute_where_definitions_coincide(tiny_con):
    theirs = bench_pandas.measure(TINY, "2025-07-01", "2025-09-30")["values"]
    from gtm.metrics import compute

    ours = compute(tiny_con, Filter(date(2025, 7, 1), date(2025, 9, 30)),
                   Settings(qualified_stage="Discovery"))
    rows = {r["id"]: r for r in agree(theirs, ours)}
    assert set(rows) == set(bench_pandas.METRIC_IDS)
    differ = {mid for mid, r in rows.items() if not r["agrees"]}
    # Discovery qualifies O1 O2 O3 O7 O11 (5; README), the baseline sees O7's date only
    assert differ == {"qualified_opportunities", "qualified_pipeline"}
    assert rows["qualified_opportunities"]["targetline"] == 5


# --- one smoke run at a small size ----------------------------------------------------------


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """`python -m gtm bench --runs 1 --skip-browser --reruns 3` (the default size) through
    add_arguments/run: (exit code, printed table, JSON written with --out, workdir)."""
    work = tmp_path_factory.mktemp("bench")
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    args = parser.parse_args(["--runs", "1", "--skip-browser", "--reruns", "3", "--workdir", str(work),
                              "--out", str(work / "result.json")])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = bench.run(args)
    data = json.loads((work / "result.json").read_text()) if code == 0 else {}
    return code, printed.getvalue(), data, work


def expected_ids() -> set[str]:
    ids = {"load_s", "load_rss_mb", "report_s", "compute_cold_s", "compute_warm_s",
           "pandas_s", "pandas_rss_mb", "speedup_x", "pandas_agree", "slider_ms",
           "qbr_s[pptx]", "qbr_s[pdf]", "preview_s"}  # preview_s: a Targets rule change
    for page in app_pages():
        key = page.url_path or "overview"
        ids |= {f"page_cold_s[{key}]", f"page_warm_ms[{key}]", f"rerun_growth_mb[{key}]",
                f"page_json_kb[{key}]"}
    return ids


@pytest.mark.slow
def test_smoke_run_produces_every_figure(smoke):
    code, _, data, _ = smoke
    assert code == 0
    assert data["notes"] == []  # no step failed
    figures = {f["id"]: f for f in data["figures"]}
    assert set(figures) == expected_ids()
    for fid, fig in figures.items():
        value = fig["value"]
        assert isinstance(value, int | float) and math.isfinite(value), (fid, fig)
        if fid.startswith("page_json_kb"):  # the Data page and the Overview draw no chart
            assert (value > 0) == (not fig["note"].startswith("0 charts")), (fid, fig)
        elif not fid.startswith("rerun_growth_mb"):  # RSS can shrink between reruns
            assert value > 0, (fid, fig)
    assert data["accounts"] == SMOKE_ACCOUNTS and data["year"] == 2025
    assert data["sizes"]["people"] > 0 and data["sizes"]["touches"] > 0
    assert data["machine"]["cores"] >= 1 and data["machine"]["memory_gb"] > 0
    assert data["command"] == "python -m gtm bench --runs 1 --skip-browser --reruns 3"


@pytest.mark.slow
def test_smoke_run_prints_the_table(smoke):
    code, printed, data, _ = smoke
    assert code == 0
    assert "cores" in printed and "GB memory" in printed and f"rows: accounts {SMOKE_ACCOUNTS:,}" in printed
    assert "figure" in printed and "budget" in printed and "status" in printed
    for fig in data["figures"]:
        assert fig["label"] in printed
        if fig["budget"] is not None:
            assert fig["status"].startswith(("ok", "over by", "short by"))
    assert "agrees" in printed and "net_new_arr" in printed


@pytest.mark.slow
def test_smoke_run_reuses_the_generated_extract(smoke):
    _, _, _, work = smoke
    marker = json.loads((work / "extract" / bench.MARKER).read_text())
    assert (marker["accounts"], marker["seed"]) == (SMOKE_ACCOUNTS, 7)
    logged = []
    folder, rows = bench.prepare_extract(bench.Options(SMOKE_ACCOUNTS, workdir=work),
                                         logged.append)
    assert folder == work / "extract" and rows == marker["rows"]
    assert logged == [f"reusing the demo extract in {folder}"]


@pytest.mark.browser
@pytest.mark.slow
def test_browser_times_a_cold_page_until_its_charts_are_drawn(smoke):
    """On the growth page (three charts), ready means drawn: Streamlit shows skeletons while
    it fetches Plotly's code, and a check that ignored them counted 0 charts. A sidebar click
    counts as done on the page clicked, not on the page the tab showed before."""
    if not bench.CHROMIUM.exists():
        pytest.skip(f"no {bench.CHROMIUM}")
    _, _, _, work = smoke
    db = next((work / "db").glob("run-*/bench.duckdb"))
    growth = next(p for p in app_pages() if p.url_path == "growth")
    opts = bench.Options(SMOKE_ACCOUNTS, runs=1, workdir=work)
    cold, returning, clicked = bench.measure_browser(db, opts, lambda message: None,
                                                     pages=[growth])
    assert cold.id == "browser_cold_s[growth]" and cold.value > 0
    assert int(cold.note.split()[0]) >= 2, cold.note  # charts drawn, not skeletons
    assert returning.id == "browser_warm_s[growth]" and returning.value > 0
    # the click is timed on the new page: growth's charts, not the velocity tab's five
    assert clicked.id == "browser_click_s[growth]" and clicked.value > 0
    assert clicked.note == f"{cold.note}, from velocity"
    floor, = bench.measure_floor(opts, lambda message: None)
    assert floor.id == "browser_floor_s" and 0 < floor.value
    multiple, = bench.floor_multiples([cold, returning, clicked, floor])
    assert multiple.id == "browser_floor_x[growth]" and multiple.budget == 1.3
    assert multiple.value == pytest.approx(cold.value / floor.value)


@pytest.mark.browser
@pytest.mark.slow
def test_browser_times_slider_moves_to_new_numbers_and_a_filter_change(smoke):
    """Each of the 20 key presses changes the tiles (a move that changed nothing would time
    out, not count); the filter change counts on the page redrawn for the new period."""
    if not bench.CHROMIUM.exists():
        pytest.skip(f"no {bench.CHROMIUM}")
    _, _, _, work = smoke
    db = next((work / "db").glob("run-*/bench.duckdb"))
    opts = bench.Options(SMOKE_ACCOUNTS, runs=1, workdir=work)
    floor, slider, p95, period = bench.measure_interaction(db, opts, lambda message: None)
    assert floor.id == "browser_slider_floor_ms" and floor.value > 0
    assert (slider.id, p95.id, period.id) == (
        "browser_slider_ms", "browser_slider_p95_ms", "browser_filter_s")
    assert 0 < slider.value <= p95.value and slider.note.startswith("20 key presses")
    assert period.value > 0 and period.note == "5 charts redrawn"  # velocity's five
