"""MQLs vs pipeline, CAC vs CPL and Velocity: the pages through app.py, and their findings.

AppTest checks what an executive relies on: each page opens, its headline tiles show
exactly what gtm.metrics.compute returns for the same view (formatted by the registry,
deltas against the previous period), its charts are drawn, and a link reopens the
page's own widget. The finding sentences (chart titles) are tested on tiny frames
with the expected wording worked out beside them.
"""

import json
from pathlib import Path
from shutil import copytree

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gtm import periods
from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.metrics import compute, dataset_info, registry
from gtm.narrative import funnel as find
from ui.charts import wrap_title
from ui.kpi import delta_text

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MQL_KPIS = ["leads", "mqls", "qualified_opportunities", "qualified_pipeline",
            "qualified_win_rate", "mql_to_customer_rate", "activation_rate"]
CAC_KPIS = ["cpl", "cost_per_mql", "cost_per_qualified_opportunity", "cac",
            "cac_payback_months", "magic_number", "ltv_to_cac"]
VELOCITY_KPIS = ["stage0_days_median", "stage0_days_p75", "sales_cycle_days_median",
                 "sales_velocity_per_day", "time_to_no_days_median",
                 "time_to_no_people_days_median", "stale_pipeline_amount", "stale_pipeline_count"]
PAGES = [("pages/mql-vs-pipeline.py", MQL_KPIS, 5), ("pages/cac-vs-cpl.py", CAC_KPIS, 4),
         ("pages/velocity.py", VELOCITY_KPIS, 5)]


def open_page(db: Path, page: str, **params) -> AppTest:
    """A fresh session of the app on `db`, opened on `page` with link parameters."""
    at = AppTest.from_file(APP, default_timeout=180)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(page).run()


@pytest.fixture(scope="module")
def expected(app_db):
    """compute() for the app's default view (last full quarter) and its previous quarter."""
    con = store.connect(app_db)
    try:
        info = dataset_info(con)
        label = periods.default_period(periods.as_date(info["first_date"]), info["data_as_of"])
        start, end = periods.period_range(label, info["data_as_of"])
        p_start, p_end = periods.previous_range(label, start, end)
        return {"info": info,
                "now": compute(con, Filter(start, end), Settings()),
                "before": compute(con, Filter(p_start, p_end), Settings())}
    finally:
        con.close()


@pytest.fixture
def env(app_db, monkeypatch):
    monkeypatch.setenv("TARGETLINE_DB", str(app_db))
    return app_db


def tiles(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.proto.delta or None) for m in at.metric}


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize(("page", "kpis", "charts"), PAGES)
def test_page_shows_compute_values_and_its_charts(env, expected, page, kpis, charts):
    at = open_page(env, page)
    assert not at.exception, [e.value for e in at.exception]
    shown = tiles(at)
    for metric_id in kpis:
        metric = registry.get(metric_id)
        now, before = expected["now"][metric_id], expected["before"][metric_id]
        assert shown[metric.label][0] == metric.format(now), metric_id
        assert shown[metric.label][1] == delta_text(metric_id, now, before), metric_id
    specs = chart_specs(at)
    assert len(specs) >= charts
    for spec in specs:  # every chart states a finding and which date it is at (metrics.md v2)
        assert spec["layout"]["title"]["text"]
        assert any(a.get("text", "").startswith(("period ending ", "data as of "))
                   for a in spec["layout"].get("annotations", []))


def test_mql_page_colours_each_lens(env):
    at = open_page(env, "pages/mql-vs-pipeline.py")
    bars = {t["name"]: t["marker"]["color"] for s in chart_specs(at) for t in s["data"]
            if t.get("type") == "bar" and "name" in t}
    assert bars["Share of MQLs"] == bars["MQLs"] == bars["Signups"] == "#9AA5B1"
    assert bars["Share of qualified pipeline"] == bars["Qualified pipeline"] == "#1F4E79"
    assert "earliest stage from which" in "\n".join(m.value for m in at.markdown)


def test_velocity_waterfall_link_reopens_qualified_view(env, expected):
    at = open_page(env, "pages/velocity.py", flow="Qualified only")
    assert not at.exception
    assert next(w for w in at.get("button_group") if w.key == "flow").value == "Qualified only"
    waterfall = next(t for s in chart_specs(at) for t in s["data"] if t["type"] == "waterfall")
    assert waterfall["x"] == ["Open at start", "Qualified", "Won", "Lost", "Open at end"]


def test_cost_page_says_spend_ignores_the_region_filter(env, expected):
    region = expected["info"]["regions"][0]
    at = open_page(env, "pages/cac-vs-cpl.py", region=[region])
    assert not at.exception
    assert any("Spend is not narrowed by the region filter" in i.value for i in at.info)
    assert not any("Spend is not narrowed" in i.value for i in open_page(
        env, "pages/cac-vs-cpl.py").info)


@pytest.fixture(scope="module")
def lean_db(app_db, tmp_path_factory):
    """The app's demo extract without signups.csv and spend.csv (a sales-led company
    that keeps no spend file)."""
    from gtm.load.loader import load

    root = tmp_path_factory.mktemp("lean")
    extract = copytree(app_db.parent / "extract", root / "extract")
    for name in ("signups.csv", "spend.csv"):
        (extract / name).unlink()
    db = root / "lean.duckdb"
    assert load(extract, db).ok
    return db


@pytest.mark.parametrize(("page", "file"), [("pages/mql-vs-pipeline.py", "signups.csv"),
                                            ("pages/cac-vs-cpl.py", "spend.csv")])
def test_missing_optional_file_is_named_not_a_crash(lean_db, monkeypatch, page, file):
    monkeypatch.setenv("TARGETLINE_DB", str(lean_db))
    at = open_page(lean_db, page)
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"Add {file}" in i.value for i in at.info)


# --- findings on hand-made frames -------------------------------------------------------


def test_label_share_change_and_title_helpers():
    assert find.label("paid_search") == "paid search" and find.label(None) == "unknown"
    assert (find.share(0.195), find.share(0.001), find.share(None)) == ("20 %", "<1 %", "n/a")
    assert find.change(100, 123) == "rose 23 %" and find.change(50, 42) == "fell 16 %"
    assert find.change(0, 5) == "started from 0" and find.change(10, 10) == "held flat"
    assert find.ordinal(1) == "1st" and find.ordinal(12) == "12th" and find.ordinal(23) == "23rd"
    # CRM text cannot become Plotly markup; long findings wrap at word boundaries
    assert wrap_title("<a href='x'>No budget</a>", 200) == \
        "&lt;a href='x'&gt;No budget&lt;/a&gt;"  # ui.chart_text: & < > only
    assert wrap_title("one two three", 7) == "one two<br>three"


def channels(**rows) -> pd.DataFrame:
    """channel -> (mqls, qualified_pipeline), with shares as funnel.by_channel has them."""
    df = pd.DataFrame([(c, m, q) for c, (m, q) in rows.items()],
                      columns=["channel", "mqls", "qualified_pipeline"])
    df["mql_share"] = df["mqls"] / df["mqls"].sum()
    df["pipeline_share"] = df["qualified_pipeline"] / df["qualified_pipeline"].sum()
    return df


def test_lens_by_channel_names_the_flattered_and_the_undersold_channel():
    # MQL shares 60 / 30 / 10 %, pipeline shares 10 / 30 / 60 %:
    # paid search gap +50 pts (flattered), outbound -50 pts (undersold)
    df = channels(paid_search=(60, 100_000), events=(30, 300_000), outbound=(10, 600_000))
    assert find.lens_by_channel(df) == ("Paid search brought 60 % of MQLs but 10 % of "
                                        "qualified pipeline; outbound 10 % of MQLs and 60 % of "
                                        "pipeline")
    # shares within 5 points: 50/50 vs 52/48
    even = channels(a=(50, 52), b=(50, 48))
    assert find.lens_by_channel(even) == "MQL and pipeline shares agree within 5 points for every channel"
    assert find.lens_by_channel(channels(a=(0, 10))).startswith("No MQLs")


def test_lens_by_month_compares_first_and_last_month():
    df = pd.DataFrame({"month": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01"]),
                       "mqls": [200, 210, 250], "qualified_pipeline": [2e6, 1.9e6, 1.5e6]})
    # MQLs 200 -> 250 = +25 %; pipeline 2.0M -> 1.5M = -25 %
    assert find.lens_by_month(df) == ("From Jul 2026 to Sep 2026 MQLs rose 25 % while "
                                      "qualified pipeline fell 25 %")
    assert find.lens_by_month(df.iloc[:1]) == "Jul 2026: 200 MQLs and $2M of qualified pipeline"


def ranking(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channel", "rank_by_mqls", "rank_by_pipeline", "flattered"])


def test_lens_ranking_and_flattered_list():
    df = ranking([("paid_search", 1, 4, True), ("webinar", 2, 3, False),
                  ("events", 3, 2, False), ("outbound", 4, 1, False)])
    # largest pipeline-minus-MQL rank gap: paid search 4 - 1 = 3
    assert find.lens_ranking(df) == ("Paid search ranks 1st of 4 by MQLs but 4th by qualified "
                                     "pipeline; the MQL lens flatters 1 channel")
    assert find.flattered_channels(df) == "paid search"
    two = df.assign(flattered=[True, True, False, False])
    assert find.flattered_channels(two) == "paid search and webinar"
    agree = ranking([("a", 1, 1, False), ("b", 2, 2, False)])
    assert find.lens_ranking(agree) == "No channel ranks higher by MQLs than by qualified pipeline"


def test_qualified_stage_sentence():
    rates = pd.DataFrame({"stage": ["Discovery", "Solution Fit", "Proposal"],
                          "win_rate": [0.14, 0.33, 0.48]})
    assert find.qualified_stage("Solution Fit", rates, 0.25) == (
        "Solution Fit is the qualified stage: 33 % of closed deals that reached it were won "
        "(Discovery: 14 %)")
    assert find.qualified_stage(None, rates, 0.9).startswith("No stage reaches a 90 % win rate")


def test_activation_sentence():
    df = pd.DataFrame({"month": pd.to_datetime(["2026-07-01", "2026-08-01"]),
                       "signups": [100, 50], "activated_signups": [20, 25]})
    # 45 / 150 = 30 %; best month Aug: 25 / 50 = 50 %
    assert find.activation(df, 30) == ("30 % of 150 signups activated within 30 days; "
                                       "best month Aug 2026 (50 %)")
    assert find.activation(df.assign(signups=0), 30) == "No signups in this period"


def costs(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channel", "cpl", "marketing_cac"])


def test_cheap_leads_ranks_the_lowest_cpl_channel_on_cac():
    df = costs([("paid_search", 50.0, 9000.0), ("events", 400.0, 4000.0),
                ("outbound", 300.0, 6000.0), ("unknown", None, None),
                ("Blended", 150.0, 6000.0)])
    # lowest CPL: paid search $50; CACs 4000 < 6000 < 9000 -> 3rd of 3
    assert find.cheap_leads(df) == ("Paid search has the lowest CPL ($50) and ranks 3rd of 3 on "
                                    "marketing CAC ($9K)")
    no_customer = df.assign(marketing_cac=[None, 4000.0, 6000.0, None, 6000.0])
    assert find.cheap_leads(no_customer) == ("Paid search has the lowest CPL ($50) but won no new "
                                             "customer; the lowest CAC is events ($4K)")


def test_lead_to_customer_multiple():
    df = costs([("paid_search", 50.0, 9000.0), ("events", 400.0, 4000.0),
                ("Blended", 150.0, 6000.0)])
    # 9000 / 50 = 180x; 4000 / 400 = 10x
    assert find.lead_to_customer(df) == ("Paid search: a $50 lead becomes a $9K customer (180x); "
                                         "events converts spend best ($400 lead, $4K customer, 10x)")


def test_cost_ladder_and_trend():
    values = {"cpl": 200.0, "cost_per_qualified_opportunity": 3600.0, "cac": 66000.0}
    # 66000 / 200 = 330
    assert find.cost_ladder(values) == "A new customer costs $66K (blended), 330x the $200 cost per lead"
    assert find.cost_ladder({**values, "cac": None}).startswith("No new customer in this period")
    assert find.cost_ladder({}) == "No spend recorded for this period: every unit cost is n/a"
    months = pd.DataFrame({"month": pd.to_datetime(["2026-07-01", "2026-09-01"]),
                           "cpl": [200.0, 180.0], "cac": [50000.0, 60000.0]})
    assert find.cost_trend(months) == "From Jul 2026 to Sep 2026 CPL fell 10 %, CAC rose 20 %"


def test_slowest_stage0_month_and_cycle_range():
    df = pd.DataFrame({"month": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01"]),
                       "stage0_days_median": [23.0, 27.0, None],
                       "stage0_days_p75": [38.0, 46.0, None]})
    assert find.slowest_stage0(df) == ("The stage-0 clock was slowest in Aug 2026: median 27 days "
                                       "from created to qualified (p75 46 days)")
    assert find.slowest_stage0(df.iloc[2:]) == "No deal qualified in this period"
    cycle = pd.DataFrame({"month": df["month"], "sales_cycle_days_median": [45.0, 60.0, 78.5]})
    assert find.cycle_range(cycle) == ("Won deals closed fastest in Jul 2026 (45 days median) and "
                                       "slowest in Sep 2026 (78 days)")


def test_time_to_no_and_stale():
    assert find.time_to_no({"time_to_no_days_median": 28.5,
                            "time_to_no_people_days_median": 4.0}) == (
        "Lost deals took a median 28 days to reach a no; disqualified leads 4 days")
    assert find.time_to_no({}) == "No deal was lost and no lead disqualified in this period"
    assert find.stale({"stale_pipeline_count": 23, "stale_pipeline_amount": 1_274_000}, 90) == (
        "23 open deals worth $1.3M went more than 90 days without a stage change")
    assert find.stale({"stale_pipeline_count": 0}, 60).startswith("No open deal has gone more than 60")


def test_pipeline_movement_from_the_waterfall():
    df = pd.DataFrame({"step": ["opening", "created", "won", "lost", "closing", "pushed_out"],
                       "amount": [10e6, 4e6, 1e6, 1e6, 12e6, 0.5e6]})
    # 10M + 4M - 1M - 1M = 12M: grew 20 %
    assert find.pipeline_movement(df) == ("Open pipeline grew 20 % to $12M: $4M created, $1M won, "
                                          "$1M lost")
    qualified = df.assign(step=df["step"].replace({"created": "qualified"}))
    assert "$4M qualified" in find.pipeline_movement(qualified)


def test_disqualification_names_the_top_channel_and_reason():
    df = pd.DataFrame({"channel": ["paid_search", "paid_search", "events", None],
                       "disqualified_reason": ["No budget", "Not ICP", "No budget", "Duplicate"],
                       "people": [6, 4, 7, 1]})
    # paid search 10 > events 7 > unknown 1; its top reason No budget 6 / 10 = 60 %
    assert find.disqualification(df) == ("Paid search loses the most leads (10 disqualified), "
                                          "60 % for \u201cNo budget\u201d")
    assert find.disqualification(df.iloc[:0]) == "No lead was disqualified in this period"
