"""Historical inputs of the growth equation on tests/data/tiny_groups (README.md)."""

from datetime import date

import pytest

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.metrics import base, compute, growth_inputs
from gtm.plan import growth

SETTINGS = Settings(group_size=3)
Q2 = Filter(date(2025, 4, 1), date(2025, 6, 30))


@pytest.fixture(scope="module")
def con(tiny_groups_db):
    c = store.connect(tiny_groups_db)
    yield c
    c.close()


def params(con, flt=Q2):
    return base.params(flt, SETTINGS, base.resolve_qualified_stage(con, SETTINGS))


def test_historical(con):
    h = growth_inputs.historical(con, params(con))
    assert h["revenue_goal"] == 700.0  # won new business closed in Q2: o2 500 + o4 200
    assert h["sale_price"] == 350.0  # 700 / 2
    assert h["win_rate"] == 0.5  # qualified closed in Q2: o2 won, o3 lost, o4 won, o7 lost
    # metrics.md v2: qualified in Q2 at target accounts (o3 at T3; o7 is at N1, not a target)
    # / target accounts engaged in Q2 (T1, T2, T3) = 1/3 qualified opportunity per account
    assert h["qualification_rate"] == pytest.approx(1 / 3)
    assert h["cac"] == 900.0  # (marketing 800 + sales 1000) / new customers 2 (T2, N1)
    assert h["target_accounts"] == 4  # T1, T2, T4 flagged; T3 by fit score 80
    assert h["addressable_people"] == 12  # 4 x group size 3
    assert h["group_size"] == 3


def test_cac_equals_dashboard_cac(con):
    for flt in (Q2, Filter(Q2.start, Q2.end, channels=("paid_search",)),
                Filter(date(2025, 4, 15), date(2025, 5, 31))):
        assert growth_inputs.historical(con, params(con, flt))["cac"] == pytest.approx(
            compute(con, flt, SETTINGS)["cac"])
    assert growth_inputs.historical(con, params(con, Q2))["win_rate"] == compute(
        con, Q2, SETTINGS)["qualified_win_rate"]


def test_undefined_inputs_are_none(con):
    # January 2025: nothing won, nothing closed -> no sale price, win rate or CAC;
    # revenue is a real 0
    h = growth_inputs.historical(con, params(con, Filter(date(2025, 1, 1), date(2025, 1, 31))))
    assert h["revenue_goal"] == 0.0
    assert h["sale_price"] is None and h["win_rate"] is None and h["cac"] is None
    assert h["why"]["cac"] == "no new customer was won in this period"
    assert h["why"]["sale_price"] == "no new-business deal was won in this period"


def test_historical_feeds_the_planner(con):
    h = growth_inputs.historical(con, params(con))
    fields = {k: h[k] for k in ("revenue_goal", "sale_price", "win_rate", "qualification_rate",
                                "cac", "addressable_people", "group_size")}
    plan = growth.solve(growth.PlanInputs(**fields))
    # N = 700 / 350 = 2, Q = 2 / 0.5 = 4, T = 4 / (1/3) = 12, people 36 > 12 addressable
    assert plan.engaged_targets == pytest.approx(12.0)
    assert plan.feasible is False


def test_monthly_history(con):
    df = growth_inputs.monthly_history(con, params(con), months=4)
    assert [str(m)[:7] for m in df["month"]] == ["2025-03", "2025-04", "2025-05", "2025-06"]
    # qualified new business by close month: Apr o4 won 200; May o2 won 500, o7 lost;
    # Jun o3 lost
    assert df["qualified_opportunities"].tolist() == [0, 1, 2, 1]
    assert df["won"].tolist() == [0, 1, 1, 0]
    assert df["win_rate"].tolist()[1:] == [1.0, 0.5, 0.0]
    assert df["avg_deal"].isna().tolist() == [True, False, False, True]
    assert df["avg_deal"].tolist()[1:3] == [200.0, 500.0]
    assert len(growth_inputs.monthly_history(con, params(con))) == 24


def test_monthly_history_feeds_the_band(con):
    df = growth_inputs.monthly_history(con, params(con), months=4)
    band = growth.forecast_band(df, months_ahead=3)
    assert band["p10"] is None and "at least 3 months" in band["reason"]  # 2 deal months
