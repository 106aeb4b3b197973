"""gtm.narrative.findings: one sentence per page, exact wording on tiny hand-made inputs.

Every function must also survive None and empty inputs with a neutral sentence.
"""

import pandas as pd
import pytest

from gtm.narrative import findings
from gtm.plan import growth


def channels(rows):
    return pd.DataFrame(rows, columns=["channel", "mqls", "qualified_pipeline"])


# ---- wording helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after", "expected"), [
    (100, 125, "rose 25 % to X"),  # 125 / 100 - 1 = 25 %
    (100, 70, "fell 30 % to X"),  # 1 - 70 / 100 = 30 %
    (50, 105, "grew 2.1x to X"),  # 105 / 50 = 2.1
    (80, 80, "held flat at X"),
    (0, 12, "grew from 0 to X"),
    (0, 0, "held at X"),
    (None, 5, "was X"),
])
def test_moved(before, after, expected):
    assert findings.moved(before, after, "X") == expected


def test_channel_name_and_lists():
    assert findings.channel_name("paid_search") == "Paid search"
    assert findings.channel_name(None) == "Unknown"
    assert findings.and_list(["a", "b", "c"]) == "a, b and c"
    assert findings.lower("CAC") == "CAC"
    assert findings.lower("Average sale price") == "average sale price"


# ---- MQLs vs pipeline ---------------------------------------------------------------------------


def test_mql_vs_pipeline_compares_the_top_mql_channel_with_last_period():
    now = channels([("events", 40, 900_000.0), ("paid_search", 120, 70_000.0)])
    before = channels([("events", 40, 800_000.0), ("paid_search", 50, 100_000.0)])
    # paid search leads on MQLs: 120 / 50 = 2.4x; pipeline 70K / 100K = -30 %
    assert findings.mql_vs_pipeline(now, before) == (
        "Paid search MQLs grew 2.4x to 120; its qualified pipeline fell 30 % to $70K.")


def test_mql_vs_pipeline_without_a_previous_period():
    now = channels([("events", 40, 900_000.0)])
    assert findings.mql_vs_pipeline(now, None) == (
        "Events brought the most MQLs (40) and $900K of qualified pipeline.")
    assert findings.mql_vs_pipeline(now, channels([])) == (
        "Events brought the most MQLs (40) and $900K of qualified pipeline.")


def test_mql_vs_pipeline_neutral_sentences():
    assert findings.mql_vs_pipeline(None) == "No MQLs or qualified pipeline in this period yet."
    assert findings.mql_vs_pipeline(channels([])) == (
        "No MQLs or qualified pipeline in this period yet.")
    assert findings.mql_vs_pipeline(channels([("events", 0, 5000.0)])) == (
        "No MQLs in this period; qualified pipeline was $5K.")


# ---- CAC vs CPL ------------------------------------------------------------------------------------


def costs(rows):
    return pd.DataFrame(rows, columns=["channel", "marketing_spend", "cpl", "marketing_cac"])


def test_cac_vs_cpl_cheap_leads_expensive_customers():
    df = costs([("paid_search", 10_000.0, 50.0, 20_000.0), ("events", 30_000.0, 300.0, 6_000.0),
                ("unknown", 5_000.0, 1.0, None), ("Blended", 45_000.0, 90.0, 9_000.0)])
    # unknown (spend or leads without a channel) and Blended are no channel to act on, even
    # with the lowest CPL
    assert findings.cac_vs_cpl(df) == (
        "Paid search has the lowest cost per lead ($50) but a CAC of $20K; "
        "events wins customers cheapest, at $6K.")


def test_cac_vs_cpl_same_channel_and_no_customers():
    both = costs([("events", 30_000.0, 40.0, 6_000.0), ("email", 1_000.0, 80.0, 9_000.0)])
    assert findings.cac_vs_cpl(both) == (
        "Events is the cheapest channel per lead ($40) and per new customer (CAC $6K).")
    none = costs([("email", 1_000.0, 10.0, None), ("events", 30_000.0, 40.0, 6_000.0)])
    assert findings.cac_vs_cpl(none) == (
        "Email has the lowest cost per lead ($10) but won no new customers.")


def test_cac_vs_cpl_neutral():
    expected = "No marketing spend by channel in this period to compare costs."
    assert findings.cac_vs_cpl(None) == expected
    assert findings.cac_vs_cpl(costs([])) == expected
    assert findings.cac_vs_cpl(costs([("Blended", 0.0, None, None)])) == expected


# ---- Buying groups ------------------------------------------------------------------------------------


def threading(closed, won):
    return pd.DataFrame({"bucket": ["0", "1", "2-3", "4-6", "7+"], "closed": closed, "won": won})


def test_buying_groups_compares_multi_with_single_threaded():
    # single: 0 + 1 buckets, 2 + 8 closed, 0 + 1 won -> 1 / 10 = 10 %
    # multi: 4-6 + 7+, 6 + 4 closed, 3 + 2 won -> 5 / 10 = 50 %; 30 closed in all
    df = threading([2, 8, 10, 6, 4], [0, 1, 3, 3, 2])
    assert findings.buying_groups(df) == (
        "Deals with 4 or more contacts won 50 % of the time, single-threaded deals 10 % "
        "(10 of 30 closed deals had one contact or none).")


def test_buying_groups_when_one_side_is_missing():
    assert findings.buying_groups(threading([0, 4, 2, 0, 0], [0, 1, 1, 0, 0])) == (
        "No closed deal had 4 or more contacts; single-threaded deals won 25 %.")
    assert findings.buying_groups(threading([0, 0, 2, 4, 0], [0, 0, 1, 3, 0])) == (
        "Every closed deal had 2 or more contacts; those with 4 or more won 75 %.")
    assert findings.buying_groups(threading([0, 0, 4, 0, 0], [0, 0, 1, 0, 0])) == (
        "All 4 closed deals had 2-3 contacts; 25 % were won.")


def test_buying_groups_neutral():
    assert findings.buying_groups(None) == "No closed deals in this period yet."
    assert findings.buying_groups(threading([0] * 5, [0] * 5)) == (
        "No closed deals in this period yet.")


# ---- Growth ------------------------------------------------------------------------------------------------


def plan(goal=1_000_000, market=1_000.0):
    # N = 1M / 50K = 20; Q = 20 / 0.25 = 80; T = 80 / 0.5 = 160; people = 160 x 5 = 800
    return growth.solve(growth.PlanInputs(goal, 50_000, 0.25, 0.5, 10_000, market, 5))


def test_growth_feasible_and_infeasible():
    assert findings.growth(plan()) == (
        "A $1M goal needs 20 customers from 160 engaged target accounts (800 people): "
        "80 % of the 1,000 addressable, so the market holds it.")
    # 800 people of 500: 800 / 500 - 1 = 60 % more
    assert findings.growth(plan(market=500.0)) == (
        "A $1M goal needs 20 customers from 160 engaged target accounts (800 people), "
        "but only 500 exist: 60 % more buyers than the market holds.")


def test_growth_neutral():
    assert findings.growth(None) == (
        "Set a revenue goal, sale price and rates to see what the plan takes.")
    assert findings.growth(plan(market=None)) == (
        "A $1M goal needs 20 customers from 160 engaged target accounts (800 people); "
        "the addressable market is unknown.")
    no_rate = growth.solve(growth.PlanInputs(1_000_000, 50_000, 0.25, 0, 10_000, 100, 5))
    assert findings.growth(no_rate) == (
        "A $1M goal cannot be traced to target accounts: a rate is missing or zero.")


def test_tornado_names_the_inputs_with_the_biggest_swing():
    rows = [{"label": "Average sale price", "low": 180.0, "high": 140.0, "swing": 40.0},
            {"label": "Revenue goal (new ARR)", "low": 144.0, "high": 176.0, "swing": 32.0}]
    assert findings.tornado(rows, "engaged_targets") == (
        "Average sale price moves engaged target accounts needed most: ±10 % gives 140 to 180.")
    tied = [dict(rows[0]), {**rows[0], "label": "Qualified win rate"}, rows[1]]
    assert findings.tornado(tied, "budget") == (
        "Average sale price and qualified win rate move acquisition budget most: "
        "±10 % gives $140 to $180.")
    assert findings.tornado([], "budget") == "Acquisition budget is n/a, so nothing moves it."


def test_forecast_sentence():
    band = {"p10": 1.0e6, "p50": 1.5e6, "p90": 2.2e6, "months_ahead": 12, "basis_months": 24}
    assert findings.forecast(band, 1.2e6) == (
        "At the pace of the last 24 months, the next 12 months bring $1M to $2.2M of new ARR "
        "(median $1.5M), against $1.2M in the last 12 months.")
    assert findings.forecast(band) == (
        "At the pace of the last 24 months, the next 12 months bring $1M to $2.2M of new ARR "
        "(median $1.5M).")
    none = {"p10": None, "p50": None, "p90": None, "reason": "Needs at least 3 months."}
    assert findings.forecast(none) == "No forecast band: needs at least 3 months."
    assert findings.forecast(None) == "No forecast band: the history is too short."


# ---- Net ARR, velocity, target market ---------------------------------------------------------------------


def test_net_arr():
    values = {"net_new_arr": 150_000.0, "new_arr": 120_000.0, "expansion_arr": 60_000.0,
              "reactivation_arr": 0.0, "contraction_arr": 10_000.0, "churned_arr": 20_000.0,
              "nrr_12m": 1.04}
    # 120K + 60K - 10K - 20K = 150K
    assert findings.net_arr(values) == (
        "Net new ARR was $150K: $120K new and $60K expansion, less $30K of contraction and "
        "churn; 12-month NRR is 104 %.")
    assert findings.net_arr({**values, "nrr_12m": None}).endswith("contraction and churn.")
    assert findings.net_arr(None) == "No ARR movements in this period yet."
    assert findings.net_arr({"net_new_arr": None}) == "No ARR movements in this period yet."


def test_velocity():
    values = {"stale_pipeline_amount": 1_250_000.0, "stale_pipeline_count": 14,
              "sales_cycle_days_median": 64.0}
    assert findings.velocity(values, 90) == (
        "$1.2M of open pipeline (14 deals) has not changed stage in 90 days; "
        "the median sales cycle is 64 days.")
    assert findings.velocity({"stale_pipeline_amount": 0.0, "stale_pipeline_count": 0}, 60) == (
        "No open deal has gone 60 days without a stage change.")
    assert findings.velocity(None, 90) == "No open pipeline to check for stalled deals yet."


def penetration(values):
    months = pd.date_range("2026-07-01", periods=len(values), freq="MS")
    return pd.DataFrame({"month": months, "target_accounts": 80, "penetration": values})


def test_target_market():
    assert findings.target_market(penetration([0.2, 0.3, 0.35])) == (
        "Target-account penetration rose from 20 % to 35 % between Jul 2026 and Sep 2026 "
        "(80 target accounts).")
    assert findings.target_market(penetration([0.35])) == (
        "35 % of the 80 target accounts were engaged in Jul 2026.")
    assert findings.target_market(penetration([0.4, 0.4])) == (
        "Target-account penetration held at 40 % between Jul 2026 and Aug 2026 "
        "(80 target accounts).")
    neutral = "No target accounts in the data yet, so there is no market to penetrate."
    assert findings.target_market(None) == neutral
    assert findings.target_market(penetration([]).assign(target_accounts=0)) == neutral


def test_mql_finding_says_a_pipeline_the_extract_cannot_tell_is_unknown():
    """Won deals without an amount or a way to qualify them: the pipeline is no $0."""
    now, before = channels([("events", 6, 0.0)]), channels([("events", 3, 0.0)])
    known = {"qualification": False, "amounts": False}
    assert findings.mql_vs_pipeline(now, before, known) == (
        "Events MQLs rose from 3 to 6; its qualified pipeline is unknown: no deal can be "
        "called qualified: the data has no stage history (opportunity_stages.csv) and no "
        "qualified_date.")
    assert "held at $0" in findings.mql_vs_pipeline(now, before, known | {
        "qualification": True, "amounts": True})
