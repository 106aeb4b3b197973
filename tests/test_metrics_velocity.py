"""Velocity and fail-fast on tests/data/tiny (arithmetic: tests/data/tiny/README.md)."""

from datetime import date

import pandas as pd
import pytest

from gtm.filters import Filter, Settings
from gtm.metrics import params, resolve_qualified_stage, velocity

Q3 = Filter(date(2025, 7, 1), date(2025, 9, 30))
DISCOVERY = Settings(qualified_stage="Discovery")


def p(con, flt=Q3, settings=DISCOVERY):
    return params(flt, settings, resolve_qualified_stage(con, settings))


def test_stage0_days_median_and_p75(tiny_con):
    # created -> qualified of Q3's qualified: O7 1, O11 15, O2 16, O3 19, O1 53
    # median 16; p75 = quantile_cont at position 0.75 x 4 = 3 -> 19
    c = velocity.clocks(tiny_con, p(tiny_con))
    assert (c["stage0_days_median"], c["stage0_days_p75"]) == (16, 19)


def test_sales_cycle_days_median(tiny_con):
    # qualified -> close of won nb in Q3: O3 31, O1 44, O11 47, O2 71 -> (44 + 47) / 2
    assert velocity.clocks(tiny_con, p(tiny_con))["sales_cycle_days_median"] == 45.5


def test_sales_velocity_per_day(tiny_con):
    # open qualified at 09-30: O6, O7 = 2; win rate 4/5; average won amount 235000 / 4 =
    # 58750; average cycle 193 / 4 = 48.25 -> 2 x 0.8 x 58750 / 48.25
    v = velocity.sales_velocity(tiny_con, p(tiny_con))["sales_velocity_per_day"]
    assert v == pytest.approx(2 * 0.8 * 58750 / 48.25)


def test_time_to_no_days_median(tiny_con):
    # lost nb in Q3: O5 07-10 -> 07-31 = 21, O4 04-01 -> 08-10 = 131 -> median 76
    assert velocity.clocks(tiny_con, p(tiny_con))["time_to_no_days_median"] == 76


def test_time_to_no_people_days_median(tiny_con):
    # disqualified in Q3: P9 10, P13 20, P14 101 days -> median 20
    assert velocity.clocks(tiny_con, p(tiny_con))["time_to_no_people_days_median"] == 20


def test_stale_pipeline(tiny_con):
    # open at 09-30, no stage change > 90 days: O6 (last 04-10, 173 days, 60000) and
    # O12 (no history: created 05-15, 138 days, no amount); O7 changed 08-20 (41 days)
    c = velocity.clocks(tiny_con, p(tiny_con))
    assert (c["stale_pipeline_count"], c["stale_pipeline_amount"]) == (2, 60000)


def test_stale_days_setting(tiny_con):
    # 150 days: only O6 (173) is stale
    s = Settings(qualified_stage="Discovery", stale_days=150)
    c = velocity.clocks(tiny_con, p(tiny_con, settings=s))
    assert (c["stale_pipeline_count"], c["stale_pipeline_amount"]) == (1, 60000)


def test_stale_is_judged_as_of_the_period_end(tiny_con):
    # as of 2025-06-30: open nb = O1 (last change 05-10: 51 days), O2 (06-15), O4 (05-01:
    # 60 days), O6 (04-10: 81 days), O12 (05-15) -> nothing over 90 days
    flt = Filter(date(2025, 4, 1), date(2025, 6, 30))
    assert velocity.clocks(tiny_con, p(tiny_con, flt))["stale_pipeline_count"] == 0


def test_stale_list(tiny_con):
    s = velocity.stale_list(tiny_con, p(tiny_con))
    assert list(s["opportunity_id"]) == ["O6", "O12"]  # largest amount first
    assert list(s["days_since_change"]) == [173, 138]
    assert list(s["account_name"]) == ["Gamma", "Beta"]
    assert list(s["stage"]) == ["Proposal", "Discovery"]
    assert len(velocity.stale_list(tiny_con, p(tiny_con), limit=1)) == 1


def test_zero_denominators_give_none(tiny_con):
    # January 2024: nothing qualified, won, lost or disqualified; nothing open yet
    h = velocity.headline(tiny_con, p(tiny_con, Filter(date(2024, 1, 1), date(2024, 1, 31))))
    for key in ("stage0_days_median", "stage0_days_p75", "sales_cycle_days_median",
                "time_to_no_days_median", "time_to_no_people_days_median",
                "sales_velocity_per_day"):
        assert h[key] is None, key
    assert (h["stale_pipeline_count"], h["stale_pipeline_amount"]) == (0, 0)


def test_pipeline_waterfall_bridge(tiny_con):
    # opening (open 06-30): O1 O2 O4 O6 O12 = 5 / 250000; created O3 O5 O7 O11 = 4 / 130000;
    # won O1 O2 O3 O11 = 4 / 235000; lost O4 O5 = 2 / 60000; closing O6 O7 O12 = 3 / 85000;
    # pushed out (open, expected close in Q3): O6 = 1 / 60000; overdue (expected close on or
    # before 09-30): O6 too (O7 11-30, O12 12-31)
    w = velocity.pipeline_waterfall(tiny_con, p(tiny_con)).set_index("step")
    expected = {"opening": (250000, 5), "created": (130000, 4), "won": (235000, 4),
                "lost": (60000, 2), "closing": (85000, 3), "pushed_out": (60000, 1),
                "overdue": (60000, 1)}
    assert {k: (w.loc[k, "amount"], w.loc[k, "count"]) for k in expected} == expected
    for col in ("amount", "count"):
        assert w.loc["opening", col] + w.loc["created", col] - w.loc["won", col] \
            - w.loc["lost", col] == w.loc["closing", col]


def test_pipeline_waterfall_qualified_only(tiny_con):
    # qualified open at 06-30: O4 (05-01) + O6 (03-20) = 100000; qualified in Q3 260000;
    # won 235000; lost O4 40000 (O5 never qualified); closing O6 + O7 = 85000
    w = velocity.pipeline_waterfall(tiny_con, p(tiny_con), qualified_only=True)
    w = w.set_index("step")["amount"]
    assert (w["opening"], w["qualified"], w["won"], w["lost"], w["closing"]) == \
        (100000, 260000, 235000, 40000, 85000)


def test_stage0_by_month(tiny_con):
    # July: O2 16, O1 53, O11 15 -> median 16; August: O7 1, O3 19 -> 10; September: none
    m = velocity.stage0_by_month(tiny_con, p(tiny_con))
    assert list(m["qualified_opportunities"]) == [3, 2, 0]
    assert list(m["stage0_days_median"][:2]) == [16, 10] and pd.isna(m.iloc[2].stage0_days_median)


def test_cycle_by_month(tiny_con):
    # August: O1 44 days; September: O11 47, O2 71, O3 31 -> median 47, mean 49.67
    m = velocity.cycle_by_month(tiny_con, p(tiny_con))
    assert list(m["won"]) == [0, 1, 3]
    assert m.iloc[2].sales_cycle_days_median == 47
    assert m.iloc[2].sales_cycle_days_mean == pytest.approx(149 / 3)


def test_disqualification_reasons(tiny_con):
    # Q3: P9 and P14 (paid_search, no budget), P13 (events, student)
    d = velocity.disqualification_reasons(tiny_con, p(tiny_con))
    assert d.values.tolist() == [["paid_search", "no budget", 2], ["events", "student", 1]]


def test_time_to_no_distribution(tiny_con):
    t = velocity.time_to_no(tiny_con, p(tiny_con))
    assert t[t.kind == "opportunity"]["days"].tolist() == [21, 131]
    assert t[t.kind == "person"]["days"].tolist() == [10, 20, 101]


def test_channel_filter(tiny_con):
    # content: qualified O3 (19), O7 (1), O11 (15) -> median 15; won O3 31, O11 47 -> 39
    flt = Filter(Q3.start, Q3.end, channels=("content",))
    c = velocity.clocks(tiny_con, p(tiny_con, flt))
    assert (c["stage0_days_median"], c["sales_cycle_days_median"]) == (15, 39)


def test_overdue_includes_expected_dates_before_the_period(tiny_con):
    # Q4 2025 as of 12-31: open O7 (expected 11-30) and O12 (12-31) are pushed out and
    # overdue; O6 (expected 09-15, before Q4) is overdue only -> pushed 2 / 25000,
    # overdue 3 / 85000
    flt = Filter(date(2025, 10, 1), date(2025, 12, 31))
    w = velocity.pipeline_waterfall(tiny_con, p(tiny_con, flt)).set_index("step")
    assert (w.loc["pushed_out", "count"], w.loc["pushed_out", "amount"]) == (2, 25000)
    assert (w.loc["overdue", "count"], w.loc["overdue", "amount"]) == (3, 85000)
