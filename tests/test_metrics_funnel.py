"""Volume versus quality on tests/data/tiny (arithmetic: tests/data/tiny/README.md).

Period Q3 2025; qualified stage named "Discovery" unless a test says otherwise.
"""

from datetime import date

import pandas as pd
import pytest

from gtm.filters import Filter, Settings
from gtm.metrics import funnel, params, resolve_qualified_stage

Q3 = Filter(date(2025, 7, 1), date(2025, 9, 30))
DISCOVERY = Settings(qualified_stage="Discovery")


def p(con, flt=Q3, settings=DISCOVERY):
    return params(flt, settings, resolve_qualified_stage(con, settings))


def test_leads(tiny_con):
    # created in Q3: P1 P3 P4 P5 P6 P7 P8 P9 P11 P13 = 10 (P2, P10, P14 before; P12 in October)
    assert funnel.volume(tiny_con, p(tiny_con))["leads"] == 10


def test_mqls(tiny_con):
    # mql_date in Q3: P1 P3 P5 P6 P7 P8 P10 P11 = 8 (P10 was a lead in June; P12 MQL in Oct)
    assert funnel.volume(tiny_con, p(tiny_con))["mqls"] == 8


def test_target_leads(tiny_con):
    # A1 (is_target) and A2 (fit 85 >= 70): P1, P11 of A1 + P3, P4 of A2 = 4;
    # A3 has fit 90 but is_target=false, which wins
    assert funnel.volume(tiny_con, p(tiny_con))["target_leads"] == 4


def test_target_leads_icp_threshold(tiny_con):
    # threshold 90: A2's 85 no longer qualifies -> only A1's P1, P11 = 2
    s = Settings(qualified_stage="Discovery", icp_threshold=90)
    assert funnel.volume(tiny_con, p(tiny_con, settings=s))["target_leads"] == 2


def test_qualified_opportunities_and_pipeline(tiny_con):
    # nb with qualified_date in Q3: O1 07-02, O2 07-01, O3 08-20, O7 08-06 (supplied), O11 07-20
    # pipeline 120000 + 30000 + 50000 + 25000 + 35000 = 260000 (O8 is expansion)
    v = funnel.volume(tiny_con, p(tiny_con))
    assert v["qualified_opportunities"] == 5
    assert v["qualified_pipeline"] == 260000


def test_skipped_stage_still_qualifies(tiny_con):
    # O3 went Stage 0 -> Proposal, skipping Discovery: qualified on 08-20 (entered Proposal)
    # -> August has O3 (50000) and O7 (25000): 2 / 75000
    m = funnel.by_month(tiny_con, p(tiny_con)).set_index("month")
    assert m.loc[pd.Timestamp("2025-08-01"), "qualified_opportunities"] == 2
    assert m.loc[pd.Timestamp("2025-08-01"), "qualified_pipeline"] == 75000


def test_supplied_qualified_date_wins(tiny_con):
    # O7: history enters Discovery 08-20, supplied qualified_date 08-06; a period of
    # 2025-08-01..08-10 must see it qualified (only O7 qualifies then) -> 1 / 25000
    flt = Filter(date(2025, 8, 1), date(2025, 8, 10))
    v = funnel.volume(tiny_con, p(tiny_con, flt))
    assert (v["qualified_opportunities"], v["qualified_pipeline"]) == (1, 25000)


def test_mql_to_customer_rate(tiny_con):
    # P1 (A1 O3 created 08-01 >= 07-05, won) and P5 (A3 O11 created 07-05 >= 07-02, won)
    # convert; the 6 others do not -> 2 / 8 = 0.25
    assert funnel.mql_to_customer_rate(tiny_con, p(tiny_con))["mql_to_customer_rate"] == 0.25


def test_mql_to_customer_rate_by_channel_adds_up(tiny_con):
    # issue 15: the cohort per channel. events: P1 (converts), P10 -> 1 of 2; paid_search: P3,
    # P5 (converts), P8 -> 1 of 3; content: P6 (A3's O11 was created before her 08-12 MQL),
    # P7, P11 (A1's O3 before 09-28) -> 0 of 3. 1 + 1 + 0 = the headline's 2 of 8.
    ch = funnel.by_channel(tiny_con, p(tiny_con)).set_index("channel")
    assert ch.loc[["events", "paid_search", "content"], "mql_customers"].tolist() == [1, 1, 0]
    assert ch.loc["events", "mql_to_customer_rate"] == 0.5
    assert ch.loc["paid_search", "mql_to_customer_rate"] == pytest.approx(1 / 3)
    assert ch.loc["content", "mql_to_customer_rate"] == 0
    assert ch["mql_customers"].sum() / ch["mqls"].sum() == 0.25


def test_mql_to_customer_cohort_matures_to_the_dataset_as_of(tiny_con):
    # Period 07-01..09-15 holds 7 MQLs (P11's 09-28 is outside). O3 is won 09-20, after the
    # period but before the dataset's as-of date, so P1 still converts, as does P5 -> 2 / 7
    flt = Filter(date(2025, 7, 1), date(2025, 9, 15))
    rate = funnel.mql_to_customer_rate(tiny_con, p(tiny_con, flt))["mql_to_customer_rate"]
    assert rate == pytest.approx(2 / 7)


def test_qualified_win_rate(tiny_con):
    # closed in Q3 and qualified: O1 O2 O3 O11 won, O4 lost; O5 never qualified -> 4/5
    assert funnel.qualified_win_rate(tiny_con, p(tiny_con))["qualified_win_rate"] == 0.8


def test_signups_and_activation(tiny_con):
    # Q3 signups S1 S2 S3 S5 = 4; S1 activated after 15 days; S2 after 45 (> 30);
    # S5 on 10-10, after the as-of date -> 1 activated, rate 1/4
    s = funnel.signups(tiny_con, p(tiny_con))
    assert s == {"signups": 4, "activated_signups": 1, "activation_rate": 0.25}


def test_activation_days_setting(tiny_con):
    # 45-day window: S2 (45 days) now counts -> 2 / 4
    s = Settings(qualified_stage="Discovery", activation_days=45)
    assert funnel.signups(tiny_con, p(tiny_con, settings=s))["activated_signups"] == 2


def test_zero_denominators_give_none(tiny_con):
    # January 2024: no MQLs, no closed qualified deals, no signups
    flt = Filter(date(2024, 1, 1), date(2024, 1, 31))
    h = funnel.headline(tiny_con, p(tiny_con, flt))
    assert h["mql_to_customer_rate"] is None
    assert h["qualified_win_rate"] is None
    assert h["activation_rate"] is None
    assert (h["leads"], h["qualified_pipeline"]) == (0, 0)


def test_channel_filter_narrows_people_and_deals(tiny_con):
    # paid_search: leads P3 P4 P5 P8 P9 = 5, MQLs P3 P5 P8 = 3, qualified O2 = 1 / 30000
    flt = Filter(Q3.start, Q3.end, channels=("paid_search",))
    v = funnel.volume(tiny_con, p(tiny_con, flt))
    assert (v["leads"], v["mqls"], v["qualified_opportunities"]) == (5, 3, 1)
    assert v["qualified_pipeline"] == 30000


def test_region_filter_drops_unmatched_leads(tiny_con):
    # EMEA = A2, A4: leads P3 P4 (A2), P7 (A4) = 3 (unmatched P8 P9 P13 dropped)
    flt = Filter(Q3.start, Q3.end, regions=("EMEA",))
    assert funnel.volume(tiny_con, p(tiny_con, flt))["leads"] == 3


def test_motion_filter(tiny_con):
    # product-led = accounts with a signup (A4): Q3 leads P7 = 1; qualified O7 = 1
    flt = Filter(Q3.start, Q3.end, motions=("product_led",))
    v = funnel.volume(tiny_con, p(tiny_con, flt))
    assert (v["leads"], v["qualified_opportunities"]) == (1, 1)


def test_auto_qualified_stage_default_threshold(tiny_con):
    # win rates: Stage 0 6/9, Discovery 6/8, Proposal 6/7, Negotiation 1 -> .25 picks Stage 0
    assert resolve_qualified_stage(tiny_con, Settings()).stage == "Stage 0"


@pytest.mark.parametrize("threshold, stage", [(0.70, "Discovery"), (0.80, "Proposal"),
                                              (0.95, "Negotiation")])
def test_auto_qualified_stage_threshold(tiny_con, threshold, stage):
    q = resolve_qualified_stage(tiny_con, Settings(qualified_threshold=threshold))
    assert q.stage == stage


def test_auto_at_070_equals_named_discovery(tiny_con):
    auto = funnel.volume(tiny_con, p(tiny_con, settings=Settings(qualified_threshold=0.7)))
    assert auto == funnel.volume(tiny_con, p(tiny_con))


def test_named_stage_proposal(tiny_con):
    # Proposal (3): O1 07-15, O2 08-01 (Negotiation, Proposal skipped), O3 08-20, O7 08-06
    # (supplied) in Q3; O11 went Discovery -> Won 09-05, so it qualifies on 09-05 -> 5 / 260000
    # with O6 qualified 04-10 (Q2); win rate: O1 O2 O3 O11 won; O4 never reached Proposal -> 4/4
    s = Settings(qualified_stage="Proposal")
    v = funnel.volume(tiny_con, p(tiny_con, settings=s))
    assert (v["qualified_opportunities"], v["qualified_pipeline"]) == (5, 260000)
    assert funnel.qualified_win_rate(tiny_con, p(tiny_con, settings=s))["qualified_win_rate"] == 1


def test_unknown_named_stage_is_refused(tiny_con):
    with pytest.raises(ValueError, match="unknown qualified stage"):
        resolve_qualified_stage(tiny_con, Settings(qualified_stage="SQO"))


def test_stage_table(tiny_con):
    # closed deals that reached each stage (won deals reached all; O3 skipped Discovery)
    t = funnel.stage_table(tiny_con)
    assert t["stage"].tolist() == ["Stage 0", "Discovery", "Proposal", "Negotiation"]
    assert t["reached_closed"].tolist() == [9, 8, 7, 6]
    assert t["reached_won"].tolist() == [6, 6, 6, 6]


def test_by_month(tiny_con):
    # July leads P1 P5 P7 P13 P3 = 5, MQLs P1 P3 P5 P7 P10 = 5, targets P1 P3 = 2,
    # qualified O1 O2 O11 = 185000; Sep signups S3 S5 = 2, none activated
    m = funnel.by_month(tiny_con, p(tiny_con))
    assert list(m["month"].dt.strftime("%Y-%m-%d")) == ["2025-07-01", "2025-08-01", "2025-09-01"]
    jul = m.iloc[0]
    assert (jul.leads, jul.mqls, jul.target_leads, jul.qualified_opportunities) == (5, 5, 2, 3)
    assert jul.qualified_pipeline == 185000
    assert (m.iloc[2].signups, m.iloc[2].activated_signups) == (2, 0)
    assert m["leads"].sum() == 10 and m["qualified_pipeline"].sum() == 260000


def test_by_channel(tiny_con):
    # content: qualified O3 O7 O11 = 110000 of 260000; MQLs 3 of 8; no new customer
    c = funnel.by_channel(tiny_con, p(tiny_con)).set_index("channel")
    assert c.loc["content", "qualified_pipeline"] == 110000
    assert c.loc["content", "mql_share"] == pytest.approx(3 / 8)
    assert c.loc["content", "pipeline_share"] == pytest.approx(110000 / 260000)
    assert c.loc["events", "won_customers"] == 1 and c.loc["content", "won_customers"] == 0
    assert c["leads"].sum() == 10 and c["mqls"].sum() == 8


def test_channel_ranking_flags_mql_flattered_channels(tiny_con):
    # MQLs: content 3, paid_search 3 (both rank 1), events 2 (3); pipeline: events 1,
    # content 2, paid_search 3; marketing CAC: events 30000, paid_search 30000 (rank 1),
    # content none (3). Gap needed: max(2, ceil(3/4)) = 2.
    # paid_search: 3 - 1 = 2 -> flattered; content: CAC rank 3 - 1 = 2 -> flattered; events no
    r = funnel.channel_ranking(tiny_con, p(tiny_con)).set_index("channel")
    assert r.loc["paid_search", "rank_by_pipeline"] == 3
    assert bool(r.loc["paid_search", "flattered"]) and bool(r.loc["content", "flattered"])
    assert not bool(r.loc["events", "flattered"])


def test_by_segment(tiny_con):
    # Enterprise (A1): qualified O1 + O3 = 170000, closed qualified O1 O3 both won -> 1.0,
    # new customer A1; SMB (A2, A3): O2 + O11 = 65000, O2 O11 won, O4 lost -> 2/3
    s = funnel.by_segment(tiny_con, p(tiny_con)).set_index("segment")
    assert s.loc["Enterprise", "qualified_pipeline"] == 170000
    assert s.loc["SMB", "qualified_win_rate"] == pytest.approx(2 / 3)
    assert s.loc["Enterprise", "new_customers"] == 1 and s.loc["SMB", "new_customers"] == 1
    assert s.loc["unknown", "leads"] == 3  # P8 P9 P13 have no account
