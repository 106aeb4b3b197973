"""Buying groups, Net ARR and Target market: their finding sentences (on hand-made frames)
and the pages themselves through app.py (Streamlit AppTest) on the demo company.
"""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.load.loader import load
from gtm.metrics import arr, base, compute, groups, market, registry
from gtm.narrative import accounts as fa

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DATA = Path(__file__).parent / "data"


# --- finding sentences -------------------------------------------------------------------
def threading_frame(closed, won, cycle):
    """bucket rows 0, 1, 2-3, 4-6, 7+ as gtm.metrics.groups.threading returns them."""
    df = pd.DataFrame({"bucket": list(groups.BUCKETS), "closed": closed, "won": won,
                       "median_cycle_days": cycle})
    df["win_rate"] = df["won"] / df["closed"].where(df["closed"] > 0)
    return df


def test_threading_finding_compares_most_threaded_with_single():
    # 1 contact: 2 of 20 = 10 %; 7+: 5 of 10 = 50 % -> 5x
    df = threading_frame([0, 20, 10, 0, 10], [0, 2, 3, 0, 5], [None, 30, 40, None, 90])
    assert fa.threading_finding(df) == ("Deals with 7+ contacts win 5x as often as "
                                        "single-threaded deals (50 % vs 10 %)")
    # 7+ without closed deals: the next bucket (2-3: 3 of 10 = 30 %) -> 3x
    df = threading_frame([0, 20, 10, 0, 0], [0, 2, 3, 0, 0], [None, 30, 40, None, None])
    assert fa.threading_finding(df).startswith("Deals with 2-3 contacts win 3x as often")


def test_threading_finding_edge_cases():
    nothing = threading_frame([0] * 5, [0] * 5, [None] * 5)
    assert fa.threading_finding(nothing) == \
        "No closed new-business deals in this period to compare threading"
    never = threading_frame([0, 4, 0, 0, 2], [0, 0, 0, 0, 1], [None] * 5)
    assert fa.threading_finding(never) == \
        "Deals with 7+ contacts win 50 %; single-threaded deals never won"
    flat = threading_frame([0, 10, 0, 0, 10], [0, 4, 0, 0, 2], [None] * 5)  # 40 % vs 20 %
    assert fa.threading_finding(flat) == ("More contacts did not lift the win rate: 20 % with "
                                          "7+ contacts vs 40 % single-threaded")


def test_cycle_finding():
    df = threading_frame([0, 20, 10, 0, 10], [0, 2, 3, 0, 5], [None, 30, 40, None, 90])
    assert fa.cycle_finding(df) == \
        "Deals with 7+ contacts take longer: 90 days vs 30 days with a single contact"
    none = threading_frame([0, 20, 0, 0, 0], [0, 0, 0, 0, 0], [None] * 5)
    assert fa.cycle_finding(none) == "No won new-business deals in this period to time"


def test_heatmap_finding_names_the_most_missing_role():
    # champion missing at 2 of 3 accounts, economic_buyer at 1
    df = pd.DataFrame({"account": ["A", "B", "C"], "economic_buyer": [0, 1, 2],
                       "champion": [0, 0, 3]})
    assert fa.heatmap_finding(df, ["economic_buyer", "champion"]) == \
        "Champion is the gap: not engaged at 2 of 3 target accounts with open deals"
    full = pd.DataFrame({"account": ["A"], "champion": [1]})
    assert fa.heatmap_finding(full, ["champion"]).startswith("Every required role is engaged")
    assert fa.heatmap_finding(df.iloc[0:0], ["champion"]).startswith("No target account")


def test_single_threaded_finding():
    total = {"single_threaded_open_count": 3, "single_threaded_open_amount": 1_250_000.0}
    assert fa.single_threaded_finding(total) == \
        "$1.2M of open pipeline (3 deals) hangs on one contact or none"
    none = {"single_threaded_open_count": 0, "single_threaded_open_amount": 0.0}
    assert fa.single_threaded_finding(none) == "No open deal hangs on a single contact"


def bridge(start, new, reactivation, expansion, contraction, churn):
    end = start + new + reactivation + expansion - contraction - churn
    return {"starting_arr": start, "new": new, "reactivation": reactivation,
            "expansion": expansion, "contraction": contraction, "churn": churn,
            "ending_arr": end}


def test_bridge_finding():
    # 10M + 0.5M new + 1.2M expansion - 0.3M churn = 11.4M; expansion 1.2M > losses 0.3M
    assert fa.bridge_finding(bridge(10e6, 5e5, 0, 1.2e6, 0, 3e5)) == \
        "ARR grew from $10M to $11.4M: expansion alone outran churn and contraction ($300K)"
    # 10M + 1M new + 0.1M expansion - 0.2M contraction - 0.3M churn = 10.6M
    assert fa.bridge_finding(bridge(10e6, 1e6, 0, 1e5, 2e5, 3e5)) == (
        "ARR grew from $10M to $10.6M: new business carried it; churn and contraction "
        "($500K) outweighed expansion ($100K)")
    # 10M + 0.1M new - 0.6M churn = 9.5M
    assert fa.bridge_finding(bridge(10e6, 1e5, 0, 0, 0, 6e5)) == \
        "ARR shrank from $10M to $9.5M: churn and contraction ($600K) outweighed gains"
    assert fa.bridge_finding(bridge(10e6, 0, 0, 0, 0, 0)) == \
        "ARR held at $10M: no movement in this period"
    assert fa.bridge_finding(None) == "No ARR snapshots in this period"


def test_waterfall_steps_close_the_bridge():
    b = bridge(1000, 200, 50, 100, 30, 70)  # ending 1000 + 350 - 100 = 1250
    steps = fa.waterfall_steps(b)
    assert steps["step"].tolist() == ["Starting ARR", "New", "Reactivation", "Expansion",
                                      "Contraction", "Churn", "Ending ARR"]
    assert steps["value"].tolist() == [1000, 200, 50, 100, -30, -70, 1250]
    assert steps["value"].iloc[:-1].sum() == steps["value"].iloc[-1]


def test_period_bridge_takes_first_start_and_last_end():
    rows = pd.DataFrame({"period": [date(2025, 2, 1), date(2025, 1, 1)],
                         "starting_arr": [130.0, 100.0], "new": [10.0, 40.0],
                         "reactivation": [0.0, 0.0], "expansion": [5.0, 0.0],
                         "contraction": [0.0, 0.0], "churn": [15.0, 10.0],
                         "ending_arr": [130.0, 130.0]})
    # Jan: 100 + 40 - 10 = 130; Feb: 130 + 10 + 5 - 15 = 130
    assert arr.period_bridge(rows) == {"starting_arr": 100.0, "new": 50.0, "reactivation": 0.0,
                                       "expansion": 5.0, "contraction": 0.0, "churn": 25.0,
                                       "ending_arr": 130.0}
    assert arr.period_bridge(rows.iloc[0:0]) is None


def test_movements_finding():
    df = pd.DataFrame({"label": ["2025-01", "2025-02", "2025-03"], "new": [10.0, 0.0, 5.0],
                       "reactivation": [0.0] * 3, "expansion": [0.0, 2.0, 0.0],
                       "contraction": [0.0, 1.0, 0.0], "churn": [0.0, 8000.0, 1.0]})
    # net: 10, -7999, 4 -> positive in 2 of 3; losses peak 8001 in 2025-02
    assert fa.movements_finding(df) == \
        "Net new ARR was positive in 2 of 3 months; losses peaked at $8K in 2025-02"


def test_segment_finding():
    df = pd.DataFrame({"segment": ["Enterprise", "SMB", "unknown"],
                       "nrr_12m": [1.1, 0.85, None], "grr_12m": [0.95, 0.8, None]})
    assert fa.segment_finding(df) == \
        "Enterprise grows its base most (NRR 110 %); SMB least (85 %)"
    assert fa.segment_finding(df.iloc[[0]]) == "Enterprise: NRR 110 %, GRR 95 %"
    assert fa.segment_finding(df.iloc[[2]]).startswith("No account had ARR 12 months ago")


def test_penetration_finding():
    df = pd.DataFrame({"month": [date(2025, 1, 1), date(2025, 2, 1)],
                       "target_accounts": [40, 40], "engaged_targets": [10, 14],
                       "penetration": [0.25, 0.35]})
    assert fa.penetration_finding(df) == \
        "Monthly reach rose from 25 % to 35 % of 40 target accounts over 2 months"
    assert fa.penetration_finding(df.assign(target_accounts=0)).startswith(
        "No target accounts in this view")


def test_reach_finding():
    df = pd.DataFrame({"channel": ["outbound", "paid_search", "events", "email", "unknown"],
                       "marketing_spend": [11000.0, 98000.0, 0.0, 500.0, 700.0],
                       "target_accounts_reached": [10, 10, 3, 0, 0],
                       "cost_per_target_account_reached": [1100.0, 9800.0, 0.0, None, None]})
    # events reached 3 for $0; email spent and reached none; unknown spend is no channel
    assert fa.reach_finding(df) == ("Events reaches a target account for $0; paid search for "
                                    "$9.8K; email reached none")
    assert fa.reach_finding(df.iloc[[0]]) == "Outbound reaches a target account for $1.1K"
    assert fa.reach_finding(df.iloc[[3]]) == "No channel touched a target account in this period"


def test_demand_mix_and_finding():
    df = pd.DataFrame({"demand_type": ["create", "harvest", "unassigned"],
                       "spend": [300.0, 100.0, 0.0], "leads": [10, 30, 0],
                       "qualified_pipeline": [800.0, 200.0, 0.0],
                       "qualified_opportunities": [4, 1, 0], "new_customers": [3, 1, 0]})
    mix = fa.demand_mix(df)
    assert set(mix["demand_type"]) == {"Demand creation", "Demand harvest"}  # nothing unassigned
    shares = mix.set_index(["demand_type", "measure"])["share"]
    assert shares[("Demand creation", "Spend")] == 0.75  # 300 / 400
    assert shares[("Demand harvest", "Leads")] == 0.75  # 30 / 40
    assert fa.demand_finding(df) == ("Demand creation: 75 % of spend, 80 % of qualified "
                                     "pipeline, 75 % of new customers")


def test_trailing_filter():
    flt = Filter(date(2026, 7, 1), date(2026, 9, 30), regions=("EMEA",))
    assert fa.trailing_filter(flt, 12) == Filter(date(2025, 10, 1), date(2026, 9, 30),
                                                 regions=("EMEA",))
    # quarters: Q3 2026 and the 7 before it start with Q4 2024
    assert fa.trailing_filter(flt, 8, "quarter").start == date(2024, 10, 1)
    assert fa.trailing_filter(Filter(date(2026, 2, 1), date(2026, 2, 10)), 3).start == \
        date(2025, 12, 1)


# --- single-threaded deals: the stage at the period end --------------------------------
def test_single_threaded_stage_is_the_stage_at_period_end(tmp_path):
    folder = tmp_path / "groups"
    shutil.copytree(DATA / "tiny_groups", folder)
    # o3 was in Proposal on May 10 (lost Jun 10); o7 lost May 20 without history; o5 open
    (folder / "opportunity_stages.csv").write_text(
        "opportunity_id,stage,entered_date\n"
        "o3,Discovery,2025-03-01\no3,Proposal,2025-04-20\no3,Closed Lost,2025-06-10\n")
    db = tmp_path / "groups.duckdb"
    assert load(folder, db).ok
    con = store.connect(db)
    try:
        settings = Settings()
        p = base.params(Filter(date(2025, 4, 1), date(2025, 5, 10)), settings,
                        base.resolve_qualified_stage(con, settings))
        df = groups.single_threaded_open(con, p).set_index("opportunity_id")
    finally:
        con.close()
    assert df.loc["o3", "stage"] == "Proposal"  # not its current Closed Lost
    assert df.loc["o5", "stage"] == "Discovery"  # still open: its current stage
    assert pd.isna(df.loc["o7", "stage"])  # closed now, no history: unknown, not Closed Lost


# --- the pages through app.py -----------------------------------------------------------
PAGES = {"buying_groups": "pages/buying-groups.py", "net_arr": "pages/net-arr.py",
         "target_market": "pages/target-market.py"}


@pytest.fixture
def open_page(app_db, monkeypatch):
    def run(page: str, db=app_db, **params) -> AppTest:
        monkeypatch.setenv("TARGETLINE_DB", str(db))
        at = AppTest.from_file(APP, default_timeout=180)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(PAGES[page]).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return run


@pytest.fixture(scope="module")
def q3_values(app_db):
    """compute() for the app's default view (2026Q3, all dimensions, default settings)."""
    con = store.connect(app_db)
    try:
        flt = Filter(date(2026, 7, 1), date(2026, 9, 30))
        settings = Settings()
        qs = base.resolve_qualified_stage(con, settings)
        p = base.params(flt, settings, qs)
        return {"values": compute(con, flt, settings),
                "single": groups.single_threaded_total(con, p),
                "heatmap": fa.heatmap_finding(groups.role_heatmap(con, p),
                                              settings.required_roles),
                "targets": int(market.penetration_by_month(con, p)["target_accounts"].iloc[-1])}
    finally:
        con.close()


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def assert_kpis(at: AppTest, values: dict, ids: list[str]) -> None:
    tiles = shown(at)
    for metric_id in ids:
        metric = registry.get(metric_id)
        assert tiles[metric.label] == metric.format(values[metric_id]), metric_id


def chart_titles(at: AppTest) -> list[str]:
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_buying_groups_page(open_page, q3_values):
    at = open_page("buying_groups")
    assert_kpis(at, q3_values["values"],
                ["avg_group_coverage", "avg_role_coverage", "target_account_penetration"])
    from gtm import fmt
    assert shown(at)["Single-threaded open pipeline"] == \
        fmt.money(q3_values["single"]["single_threaded_open_amount"])
    titles = chart_titles(at)
    assert "single-<br>threaded" in titles[0] or "single-threaded" in titles[0]  # win rate
    assert "days" in titles[1]  # cycle
    if q3_values["heatmap"].startswith("No target account"):  # no heatmap: say why
        assert len(titles) == 2 and q3_values["heatmap"] in [i.value for i in at.info]
    else:
        assert titles[2] == q3_values["heatmap"]
    assert any(fa.single_threaded_finding(q3_values["single"]) == s.value for s in at.subheader)


def test_net_arr_page(open_page, q3_values):
    at = open_page("net_arr")
    assert_kpis(at, q3_values["values"],
                ["net_new_arr", "new_arr", "expansion_arr", "contraction_arr", "churned_arr",
                 "reactivation_arr", "nrr_12m", "grr_12m", "quick_ratio"])
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # waterfall, movements, by segment
    assert '"type":"waterfall"' in charts[0].proto.spec.replace(" ", "")
    assert next(r for r in at.radio if r.key == "grain").value == "Month"
    assert len(at.dataframe) == 1  # by segment, downloadable


def test_net_arr_grain_reopens_from_the_link(open_page):
    at = open_page("net_arr", grain="Quarter")
    assert next(r for r in at.radio if r.key == "grain").value == "Quarter"
    titles = chart_titles(at)
    assert any("of 8 quarters" in t for t in titles)


def test_target_market_page(open_page, q3_values):
    at = open_page("target_market")
    assert_kpis(at, q3_values["values"],
                ["target_account_penetration", "cost_per_target_account_reached"])
    assert shown(at)["Target accounts"] == str(q3_values["targets"])
    assert len(at.get("plotly_chart")) == 3  # penetration, cost per target reached, demand
    assert len(at.dataframe) == 2


@pytest.fixture(scope="module")
def no_arr_db(tmp_path_factory):
    """tests/data/tiny_groups (no arr.csv) loaded into a temporary database."""
    db = tmp_path_factory.mktemp("no_arr") / "no_arr.duckdb"
    assert load(DATA / "tiny_groups", db).ok
    return db


def test_net_arr_without_arr_csv_says_what_to_add(open_page, no_arr_db):
    at = open_page("net_arr", db=no_arr_db)
    notices = [i.value for i in at.info]
    assert any(n.startswith("Add arr.csv") for n in notices), notices
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("page", ["buying_groups", "target_market"])
def test_other_pages_run_on_a_tiny_dataset(open_page, no_arr_db, page):
    at = open_page(page, db=no_arr_db)
    assert at.get("plotly_chart")
