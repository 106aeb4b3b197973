"""Buying groups on tests/data/tiny_groups (hand arithmetic in its README.md).

Period Q2 2025, as of 2025-06-30; look-back 90 days = touches in (2025-04-01, 2025-06-30];
group size 3; required roles economic_buyer, champion, decision_maker, user.
"""

from datetime import date

import pytest

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.metrics import base, groups

SETTINGS = Settings(group_size=3,
                    required_roles=("economic_buyer", "champion", "decision_maker", "user"))


@pytest.fixture(scope="module")
def con(tiny_groups_db):
    c = store.connect(tiny_groups_db)
    yield c
    c.close()


def params(con, start=date(2025, 4, 1), end=date(2025, 6, 30), settings=SETTINGS, **filters):
    return base.params(Filter(start, end, **filters), settings,
                       base.resolve_qualified_stage(con, settings))


def test_headline(con):
    h = groups.headline(con, params(con))
    # role coverage: T1 {economic_buyer, champion} 2/4, T2 {champion} 1/4 (legal is not
    # required), T3 {user, decision_maker} 2/4, T4 0 -> (0.5 + 0.25 + 0.5 + 0) / 4
    assert h["avg_role_coverage"] == pytest.approx(0.3125)
    # group coverage: T1 4 people capped at 3/3 -> 1, T2 2/3, T3 1/3, T4 0 -> 2 / 4
    assert h["avg_group_coverage"] == pytest.approx(0.5)
    # penetration: T1, T2, T3 engaged in period of 4 targets
    assert h["target_account_penetration"] == pytest.approx(0.75)
    # marketing spend 800 / target accounts touched in period (T1, T2) 2
    assert h["cost_per_target_account_reached"] == pytest.approx(400.0)


def test_account_coverage(con):
    df = groups.account_coverage(con, params(con)).set_index("account_id")
    assert df.loc["T1", "engaged_people"] == 4  # p1, p2, p4 touches + p9 on o1 (p3 too old)
    assert df.loc["T1", "group_coverage"] == 1.0  # 4 / 3 capped at 100 %
    # T2: p6 (touch Apr 2) + p11 (on o2); p5's touch on Apr 1 is outside (end - 90, end]
    assert df.loc["T2", "engaged_people"] == 2
    assert df.loc["T2", "group_coverage"] == pytest.approx(2 / 3)
    # T3: p7 only through o3; its deal role decision_maker counts beside its person role user
    assert df.loc["T3", ["decision_maker", "user", "champion"]].tolist() == [True, True, False]
    assert df.loc["T3", "role_coverage"] == 0.5
    assert df.loc["T4", "engaged_people"] == 0 and df.loc["T4", "role_coverage"] == 0
    assert not df.loc["N1", "is_target"] and df.loc["N1", "champion"]
    assert list(df.columns[-4:]) == list(SETTINGS.required_roles)


def test_lookback_window_is_a_setting(con):
    # 91 days reaches back to p5's touch on 2025-04-01 (still T2's only extra person).
    wide = Settings(group_size=3, required_roles=SETTINGS.required_roles, lookback_days=91)
    df = groups.account_coverage(con, params(con, settings=wide)).set_index("account_id")
    assert df.loc["T2", "engaged_people"] == 3  # p5, p6, p11


def test_channel_filter_narrows_touches_and_deals(con):
    h = groups.headline(con, params(con, channels=("paid_search",)))
    # paid_search touches: p1 (T1); paid_search deals: o1 (T1: p1, p2, p9) -> only T1 engaged,
    # 3 people (3/3 = 1), roles economic_buyer + champion (2/4)
    assert h["avg_group_coverage"] == pytest.approx(1 / 4)
    assert h["avg_role_coverage"] == pytest.approx(0.5 / 4)
    assert h["target_account_penetration"] == pytest.approx(1 / 4)
    assert h["cost_per_target_account_reached"] == pytest.approx(300.0)  # 300 / T1


def test_zero_denominators_give_none(con):
    h = groups.headline(con, params(con, segments=("Mid-Market",)))  # no such accounts
    assert h == {"target_account_penetration": None, "avg_role_coverage": None,
                 "avg_group_coverage": None, "cost_per_target_account_reached": None}
    no_roles = Settings(group_size=3, required_roles=())
    assert groups.headline(con, params(con, settings=no_roles))["avg_role_coverage"] is None


def test_role_heatmap_worst_covered_first(con):
    df = groups.role_heatmap(con, params(con))
    # target accounts with open new-business deals: T2 (o9 700, coverage 0.25), then the
    # 0.5 ties by open pipeline: T1 (o1 1000), T3 (o5 400)
    assert df["account"].tolist() == ["Tern", "Titan", "Thule"]
    assert df["open_pipeline"].tolist() == [700.0, 1000.0, 400.0]
    assert df[list(SETTINGS.required_roles)].values.tolist() == [
        [0, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]]
    assert groups.role_heatmap(con, params(con), limit=1)["account"].tolist() == ["Tern"]


def test_threading_buckets(con):
    df = groups.threading(con, params(con)).set_index("bucket")
    assert df.index.tolist() == ["0", "1", "2-3", "4-6", "7+"]
    # closed new-business deals in Q2: o7 (0 contacts, lost), o3 (1, lost), o4 (1, won),
    # o2 (2 distinct: p6 listed twice + p11, won)
    assert df["closed"].tolist() == [1, 2, 1, 0, 0]
    assert df["won"].tolist() == [0, 1, 1, 0, 0]
    assert df.loc["1", "win_rate"] == 0.5 and df.loc["2-3", "win_rate"] == 1.0
    assert df["win_rate"].isna().tolist() == [False, False, False, True, True]  # n/a, not 0
    assert df.loc["1", "median_cycle_days"] == 41  # o4 qualified 03-10, won 04-20
    assert df.loc["2-3", "median_cycle_days"] == 89  # o2 qualified 02-15, won 05-15


def test_single_threaded_open(con):
    df = groups.single_threaded_open(con, params(con))
    # open new-business: o1 has 3 contacts (safe); o9 has 1 (700), o5 none (400)
    assert df["opportunity_id"].tolist() == ["o9", "o5"]
    assert df["contacts"].tolist() == [1, 0]
    assert groups.single_threaded_total(con, params(con)) == {
        "single_threaded_open_count": 2, "single_threaded_open_amount": 1100.0}


def test_single_threaded_open_as_of_period_end(con):
    # As of 2025-05-10 o3 (closed Jun 10, 1 contact) and o7 (closed May 20, none) were still
    # open; o2 (closes May 15) has 2 contacts; o9 did not exist yet.
    df = groups.single_threaded_open(con, params(con, date(2025, 4, 1), date(2025, 5, 10)))
    assert df["opportunity_id"].tolist() == ["o5", "o3", "o7"]  # by amount: 400, 300, 250
    assert df["amount"].sum() == 950.0
