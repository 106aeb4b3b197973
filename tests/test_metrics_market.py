"""Target market and demand creation vs harvest on tests/data/tiny_groups (README.md)."""

from datetime import date

import pytest

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.metrics import base, compute, market

SETTINGS = Settings(group_size=3,
                    required_roles=("economic_buyer", "champion", "decision_maker", "user"))
Q2 = Filter(date(2025, 4, 1), date(2025, 6, 30))


@pytest.fixture(scope="module")
def con(tiny_groups_db):
    c = store.connect(tiny_groups_db)
    yield c
    c.close()


def params(con, flt=Q2):
    return base.params(flt, SETTINGS, base.resolve_qualified_stage(con, SETTINGS))


def test_penetration(con):
    # T1 (touches), T2 (touches p5 Apr 1, p6 Apr 2), T3 (p7 on o3, open until Jun 10) of
    # T1..T4 (T3 is a target by fit_score 80; N1 is_target false despite 90)
    assert market.penetration(con, params(con)) == pytest.approx(0.75)
    emea = Filter(Q2.start, Q2.end, regions=("EMEA",))
    assert market.penetration(con, params(con, emea)) == 1.0  # T2 of T2


def test_penetration_counts_deals_open_in_period(con):
    # January 2025: p7's touch (T3, Jan 10); o1 (T1, created Feb 1) and o3 (Mar 1) not yet
    # open, o2 (T2, created Jan 10, contacts p6, p11) open -> T2, T3
    january = Filter(date(2025, 1, 1), date(2025, 1, 31))
    assert market.penetration(con, params(con, january)) == pytest.approx(0.5)


def test_penetration_by_month(con):
    df = market.penetration_by_month(con, params(con))
    assert [str(m)[:7] for m in df["month"]] == ["2025-04", "2025-05", "2025-06"]
    assert df["target_accounts"].tolist() == [4, 4, 4]
    # each month: T1 (o1 open), T2 (o2 until May 15, o9 from Jun 1), T3 (o3 until Jun 10)
    assert df["engaged_targets"].tolist() == [3, 3, 3]
    assert df["penetration"].tolist() == [0.75, 0.75, 0.75]


def test_cost_per_target_account_reached_by_channel(con):
    df = market.cost_per_target_account_reached(con, params(con)).set_index("channel")
    # paid_search 300 / T1 (p1; p8 is N1, p10 has no account); events 200 / T1;
    # content 150 / T1; email 100 / T2; unknown 50 reaches nobody -> n/a
    assert df["marketing_spend"].to_dict() == {
        "paid_search": 300, "events": 200, "content": 150, "email": 100, "unknown": 50}
    assert df["target_accounts_reached"].to_dict() == {
        "paid_search": 1, "events": 1, "content": 1, "email": 1, "unknown": 0}
    assert df.loc["email", "cost_per_target_account_reached"] == 100.0
    assert pd_isna(df.loc["unknown", "cost_per_target_account_reached"])


def pd_isna(value):
    return value is None or value != value


def test_demand_split(con):
    df = market.demand_split(con, params(con)).set_index("demand_type")
    assert df.index.tolist() == ["create", "harvest", "unassigned"]
    # spend: c2 events (no type -> create) 200; c1 harvest 300 + email (no campaign,
    # default harvest) 100 + c3 content (campaign says harvest) 150; no channel 50
    assert df["spend"].tolist() == [200, 550, 50]
    # leads in Q2 by first touch's campaign: p2 c2, p6 c4 (create); p1 c1, p4 c3, p8 c1,
    # p10 (no campaign: paid_search default) harvest; p12 unknown channel -> unassigned
    assert df["leads"].tolist() == [2, 4, 1]
    # qualified in Q2: o3 content 300 (create), o7 paid_search 250 (harvest)
    assert df["qualified_pipeline"].tolist() == [300, 250, 0]
    # new customers: T2 (o2 email), N1 (o4 paid_search) -> harvest
    assert df["new_customers"].tolist() == [0, 2, 0]


def test_demand_split_totals_match_headline(con):
    values = compute(con, Q2, SETTINGS)
    df = market.demand_split(con, params(con))
    assert df["spend"].sum() == values["marketing_spend"]
    assert df["leads"].sum() == values["leads"]
    assert df["qualified_pipeline"].sum() == values["qualified_pipeline"]
    assert df["new_customers"].sum() == values["new_customers"]


def test_every_default_is_a_demand_type():
    assert set(market.DEMAND_DEFAULTS.values()) <= {"create", "harvest"}
