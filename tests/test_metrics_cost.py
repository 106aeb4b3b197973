"""Cost metrics on tests/data/tiny (arithmetic: tests/data/tiny/README.md), Q3 2025."""

from datetime import date

import pandas as pd
import pytest

from gtm.filters import Filter, Settings
from gtm.metrics import compute, cost, params, resolve_qualified_stage
from gtm.metrics.compute import previous_period

Q3 = Filter(date(2025, 7, 1), date(2025, 9, 30))
DISCOVERY = Settings(qualified_stage="Discovery")


def p(con, flt=Q3, settings=DISCOVERY):
    return params(flt, settings, resolve_qualified_stage(con, settings))


def test_marketing_and_sales_spend(tiny_con):
    # marketing: paid_search 3 x 10000 + events 20000 + 10000 + content 6000 + unknown
    # 4000 = 70000 (March-June rows and October's 99999 are outside); sales 3 x 20000 = 60000
    assert cost.spend(tiny_con, p(tiny_con)) == {"marketing_spend": 70000,
                                                 "sales_spend": 60000}


def test_spend_month_overlapping_a_partial_period_counts(tiny_con):
    # 2025-08-15..08-31 overlaps the August spend month: marketing 10000 + 6000 + 4000
    flt = Filter(date(2025, 8, 15), date(2025, 8, 31))
    assert cost.spend(tiny_con, p(tiny_con, flt))["marketing_spend"] == 20000


def test_cpl(tiny_con):
    assert cost.unit_costs(tiny_con, p(tiny_con))["cpl"] == 7000  # 70000 / 10 leads


def test_cost_per_mql(tiny_con):
    assert cost.unit_costs(tiny_con, p(tiny_con))["cost_per_mql"] == 8750  # 70000 / 8 MQLs


def test_cost_per_qualified_opportunity(tiny_con):
    # 70000 / 5 qualified (O1 O2 O3 O7 O11)
    assert cost.unit_costs(tiny_con, p(tiny_con))["cost_per_qualified_opportunity"] == 14000


def test_new_customers_second_deal_is_not_new(tiny_con):
    # A1 (first won O1 08-15) and A2 (O2 09-10) = 2. Not new: O3 (A1's second win),
    # O11 (A3 first won O10 in March), O8 (expansion)
    assert cost.unit_costs(tiny_con, p(tiny_con))["new_customers"] == 2


def test_first_win_is_over_all_periods(tiny_con):
    # Q1 2025: A3's first win O10 (03-15) makes A3 new then -> 1; Q3 does not count A3 again
    flt = Filter(date(2025, 1, 1), date(2025, 3, 31))
    assert cost.unit_costs(tiny_con, p(tiny_con, flt))["new_customers"] == 1


def test_cac(tiny_con):
    assert cost.unit_costs(tiny_con, p(tiny_con))["cac"] == 65000  # (70000 + 60000) / 2


def test_cac_payback_months(tiny_con):
    # 65000 / ((120000 + 30000) / 2 / 12 x 0.8) = 65000 / 5000 = 13
    assert cost.unit_costs(tiny_con, p(tiny_con))["cac_payback_months"] == pytest.approx(13)


def test_cac_payback_uses_gross_margin(tiny_con):
    # margin 0.5: 65000 / (75000 / 12 x 0.5) = 65000 / 3125 = 20.8
    s = Settings(qualified_stage="Discovery", gross_margin=0.5)
    assert cost.unit_costs(tiny_con, p(tiny_con, settings=s))["cac_payback_months"] == \
        pytest.approx(20.8)


def test_zero_denominators_give_none(tiny_con):
    # January 2024: no spend, leads, MQLs, qualified deals or new customers
    flt = Filter(date(2024, 1, 1), date(2024, 1, 31))
    h = cost.headline(tiny_con, p(tiny_con, flt))
    assert (h["marketing_spend"], h["sales_spend"], h["new_customers"]) == (0, 0, 0)
    for key in ("cpl", "cost_per_mql", "cost_per_qualified_opportunity", "cac",
                "cac_payback_months"):
        assert h[key] is None, key


def test_channel_filter_narrows_leads_and_spend_consistently(tiny_con):
    # paid_search: spend 30000 (sales spend has no channel -> 0), leads 5, MQLs 3,
    # qualified O2 = 1, new customers A2 = 1 -> CPL 6000, cost/MQL 10000, CAC 30000
    flt = Filter(Q3.start, Q3.end, channels=("paid_search",))
    h = cost.headline(tiny_con, p(tiny_con, flt))
    assert (h["marketing_spend"], h["sales_spend"]) == (30000, 0)
    assert (h["cpl"], h["cost_per_mql"], h["cost_per_qualified_opportunity"]) == \
        (6000, 10000, 30000)
    assert (h["new_customers"], h["cac"]) == (1, 30000)


def test_region_filter_does_not_narrow_spend(tiny_con):
    # spend has no region: EMEA still sees 70000 / 60000 (DECISIONS.md)
    flt = Filter(Q3.start, Q3.end, regions=("EMEA",))
    assert cost.spend(tiny_con, p(tiny_con, flt)) == {"marketing_spend": 70000,
                                                      "sales_spend": 60000}


def test_by_channel(tiny_con):
    c = cost.by_channel(tiny_con, p(tiny_con)).set_index("channel")
    # paid_search: 30000 / 5 leads, / 3 MQLs, / 1 qualified (O2), / 1 new customer (A2)
    ps = c.loc["paid_search"]
    assert (ps.cpl, ps.cost_per_mql, ps.cost_per_qualified_opportunity, ps.marketing_cac) == \
        (6000, 10000, 30000, 30000)
    # events: 30000 / 2 leads = 15000; content: 6000 / 3 = 2000, CAC undefined (0 new)
    assert c.loc["events", "cpl"] == 15000 and c.loc["content", "cpl"] == 2000
    assert pd.isna(c.loc["content", "marketing_cac"])
    # unknown marketing spend 4000 has no leads
    assert c.loc["unknown", "marketing_spend"] == 4000 and pd.isna(c.loc["unknown", "cpl"])


def test_by_channel_blended_row_matches_headline(tiny_con):
    # Blended: 70000 / 10 = 7000, / 8 = 8750, / 5 = 14000, marketing CAC 70000 / 2 = 35000
    c = cost.by_channel(tiny_con, p(tiny_con))
    assert c.iloc[-1]["channel"] == "Blended"
    b = c.set_index("channel").loc["Blended"]
    assert (b.marketing_spend, b.leads, b.mqls, b.new_customers) == (70000, 10, 8, 2)
    assert (b.cpl, b.cost_per_mql, b.cost_per_qualified_opportunity, b.marketing_cac) == \
        (7000, 8750, 14000, 35000)


def test_by_month(tiny_con):
    # July: marketing 10000 + 20000, sales 20000, 5 leads -> CPL 6000, no new customer;
    # August: 20000 / 3 leads, new customer A1 -> CAC (20000 + 20000) / 1 = 40000
    m = cost.by_month(tiny_con, p(tiny_con))
    jul, aug = m.iloc[0], m.iloc[1]
    assert (jul.marketing_spend, jul.sales_spend, jul.cpl) == (30000, 20000, 6000)
    assert pd.isna(jul.cac)
    assert aug.cpl == pytest.approx(20000 / 3) and aug.cac == 40000
    assert m["marketing_spend"].sum() == 70000


def test_magic_number(tiny_con):
    # net new ARR Q3 = 160000 new + 85000 expansion - 20000 churn = 225000;
    # Q2 spend = 15000 + 25000 + 10000 = 50000 -> 4.5 (March's 7000 is not Q2)
    assert compute(tiny_con, Q3, DISCOVERY)["magic_number"] == pytest.approx(4.5)


def test_ltv_to_cac(tiny_con):
    # LTV = 75000 x 0.8 / (1 - GRR 2/3) = 180000; CAC 65000 -> 2.769...
    assert compute(tiny_con, Q3, DISCOVERY)["ltv_to_cac"] == pytest.approx(180000 / 65000)


def test_previous_period_is_calendar_aligned():
    # Q3 -> Q2 (not 2025-03-31..06-30); a month -> the month before; Jan -> Dec;
    # a period that is not whole months -> the same number of days before
    assert previous_period(Q3) == Filter(date(2025, 4, 1), date(2025, 6, 30))
    assert previous_period(Filter(date(2025, 3, 1), date(2025, 3, 31))) == \
        Filter(date(2025, 2, 1), date(2025, 2, 28))
    assert previous_period(Filter(date(2025, 1, 1), date(2025, 2, 28))) == \
        Filter(date(2024, 11, 1), date(2024, 12, 31))
    assert previous_period(Filter(date(2025, 7, 10), date(2025, 7, 19))) == \
        Filter(date(2025, 6, 30), date(2025, 7, 9))


def test_magic_number_and_ltv_undefined_without_base(tiny_con):
    # Q2 2024: previous period Q1 2024 has no spend; no new customer -> CAC undefined
    v = compute(tiny_con, Filter(date(2024, 4, 1), date(2024, 6, 30)), DISCOVERY)
    assert v["magic_number"] is None and v["ltv_to_cac"] is None


def test_by_channel_blended_row_when_nothing_happened(tiny_con):
    # January 2024: no spend, people or deals -> only the Blended row, all zeros, ratios n/a
    c = cost.by_channel(tiny_con, p(tiny_con, Filter(date(2024, 1, 1), date(2024, 1, 31))))
    assert c["channel"].tolist() == ["Blended"]
    assert (c.iloc[0].marketing_spend, c.iloc[0].leads, c.iloc[0].new_customers) == (0, 0, 0)
    assert pd.isna(c.iloc[0].cpl) and pd.isna(c.iloc[0].marketing_cac)


@pytest.fixture(scope="module")
def required_only_con(tmp_path_factory):
    """tests/data/tiny with only people, opportunities and accounts (no spend, signups,
    ARR or stage history), through the real loader."""
    import shutil
    from pathlib import Path

    from gtm.load import store
    from gtm.load.loader import load

    folder = tmp_path_factory.mktemp("required_only")
    for name in ("people", "opportunities", "accounts"):
        shutil.copy(Path(__file__).parent / "data" / "tiny" / f"{name}.csv", folder)
    result = load(folder, folder / "db.duckdb")
    assert result.ok, [str(e) for e in result.errors]
    con = store.connect(folder / "db.duckdb")
    yield con
    con.close()


def test_without_a_spend_file_costs_are_undefined_not_zero(required_only_con):
    # no spend.csv: "CAC $0" would be false -> every spend figure is n/a; new customers
    # still A1 and A2 = 2; no signups.csv -> signups n/a too
    v = compute(required_only_con, Q3, DISCOVERY)
    for key in ("marketing_spend", "sales_spend", "cpl", "cost_per_mql",
                "cost_per_qualified_opportunity", "cac", "cac_payback_months",
                "magic_number", "ltv_to_cac", "signups", "activated_signups",
                "activation_rate"):
        assert v[key] is None, key
    assert v["new_customers"] == 2 and v["leads"] == 10
