"""Net ARR on tests/data/tiny_arr (hand arithmetic in its README.md).

Period Q2 2025 (2025-04-01..2025-06-30); ARR as-of month June 2025; 12 months
before: June 2024.
"""

from datetime import date
from pathlib import Path

import pytest

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.load.loader import load
from gtm.metrics import arr, base

DATA = Path(__file__).parent / "data" / "tiny_arr"
Q2 = (date(2025, 4, 1), date(2025, 6, 30))


@pytest.fixture(scope="module")
def con(tiny_arr_db):
    c = store.connect(tiny_arr_db)
    yield c
    c.close()


def params(con, start=Q2[0], end=Q2[1], **filters):
    settings = Settings()
    return base.params(Filter(start, end, **filters), settings,
                       base.resolve_qualified_stage(con, settings))


def test_headline_q2(con):
    h = arr.headline(con, params(con))
    assert h["new_arr"] == 90.0  # A3 60 (May, first ARR) + X9 30 (Jun, unknown account)
    assert h["reactivation_arr"] == 80.0  # A2: 200 to missing April (0) to 80 in May
    assert h["expansion_arr"] == 50.0  # A1 100 -> 150 in April
    assert h["contraction_arr"] == 30.0  # A1 150 -> 120 in June
    assert h["churned_arr"] == 250.0  # A2 200 (April, no row) + A4 50 (May, row of 0)
    assert h["net_new_arr"] == -60.0  # 90 + 80 + 50 - 30 - 250; also 290 (Jun) - 350 (Mar)
    # base June 2024: A1 100 + A2 200 + A4 50 + A5 40 = 390; now 120 + 80 + 0 + 0 = 200
    assert h["nrr_12m"] == pytest.approx(200 / 390)
    # GRR caps A1 at its 100: (100 + 80 + 0 + 0) / 390
    assert h["grr_12m"] == pytest.approx(180 / 390)
    # (new 90 + reactivation 80 + expansion 50) / (contraction 30 + churn 250)
    assert h["quick_ratio"] == pytest.approx(220 / 280)


def test_headline_returns_plain_floats_or_none(con):
    h = arr.headline(con, params(con))
    assert all(v is None or type(v) is float for v in h.values())


def test_missing_month_is_churn_then_reactivation_not_new(con):
    # April alone: A2 has no April row -> churn 200; A1 expands 50.
    april = arr.headline(con, params(con, date(2025, 4, 1), date(2025, 4, 30)))
    assert (april["churned_arr"], april["expansion_arr"], april["new_arr"]) == (200.0, 50.0, 0.0)
    # May alone: A2 comes back at 80 -> reactivation (had ARR before), A3 is new 60,
    # A4's explicit 0 row -> churn 50.
    may = arr.headline(con, params(con, date(2025, 5, 1), date(2025, 5, 31)))
    assert may["reactivation_arr"] == 80.0
    assert may["new_arr"] == 60.0
    assert may["churned_arr"] == 50.0


def test_period_counts_months_whose_first_day_is_inside(con):
    # 2025-04-15..06-30 holds May and June only: April's expansion 50 and churn 200 drop out.
    h = arr.headline(con, params(con, date(2025, 4, 15), date(2025, 6, 30)))
    assert h["expansion_arr"] == 0.0
    assert h["churned_arr"] == 50.0  # A4 in May
    assert h["net_new_arr"] == 90.0  # 90 + 80 + 0 - 30 - 50


def test_region_filter_drops_unknown_accounts(con):
    # NA = A1, A3, A5; X9 (no account row) drops out under an account filter.
    h = arr.headline(con, params(con, regions=("NA",)))
    assert h["new_arr"] == 60.0  # A3 only
    assert h["net_new_arr"] == 80.0  # 60 + 50 - 30
    assert h["nrr_12m"] == pytest.approx(120 / 140)  # A1 120 / (A1 100 + A5 40)
    assert h["grr_12m"] == pytest.approx(100 / 140)


def test_channel_filter_uses_first_won_new_business_channel(con):
    # paid_search: A1 (O1 before O6 events) and A3 (O3); A5 has no won deal.
    h = arr.headline(con, params(con, channels=("paid_search",)))
    assert h["net_new_arr"] == 80.0  # A3 new 60 + A1 expansion 50 - contraction 30
    assert h["nrr_12m"] == pytest.approx(1.2)  # A1 120 / 100
    assert h["grr_12m"] == 1.0  # capped at 100 / 100


def test_zero_denominators_give_none(con):
    # July 2024 as of: 12 months earlier (July 2023) nobody had ARR -> no NRR/GRR base.
    h = arr.headline(con, params(con, date(2024, 7, 1), date(2024, 7, 31)))
    assert h["nrr_12m"] is None and h["grr_12m"] is None
    assert h["quick_ratio"] is None  # nothing lost in July 2024
    assert h["net_new_arr"] == 0.0


def test_bridge_by_month_closes(con):
    df = arr.bridge(con, params(con))
    assert df["label"].tolist() == ["2025-04", "2025-05", "2025-06"]
    # April: 350 (March: A1 100 + A2 200 + A4 50) + 50 expansion - 200 churn = 200
    # May: 200 + 60 new + 80 reactivation - 50 churn = 290; June: 290 + 30 - 30 = 290
    assert df["starting_arr"].tolist() == [350.0, 200.0, 290.0]
    assert df["ending_arr"].tolist() == [200.0, 290.0, 290.0]
    flows = df["new"] + df["reactivation"] + df["expansion"] - df["contraction"] - df["churn"]
    assert (df["starting_arr"] + flows).tolist() == df["ending_arr"].tolist()
    assert df["starting_arr"].iloc[1:].tolist() == df["ending_arr"].iloc[:-1].tolist()


def test_bridge_by_quarter(con):
    df = arr.bridge(con, params(con), grain="quarter")
    assert df["label"].tolist() == ["2025-Q2"]
    row = df.iloc[0]
    assert (row.starting_arr, row.new, row.reactivation, row.expansion, row.contraction,
            row.churn, row.ending_arr) == (350.0, 90.0, 80.0, 50.0, 30.0, 250.0, 290.0)


def test_bridge_rejects_unknown_grain(con):
    with pytest.raises(ValueError, match="grain"):
        arr.bridge(con, params(con), grain="week")


def test_total_by_month_sums_duplicate_rows(con):
    df = arr.total_by_month(con, params(con))
    # June: A1 120 + A2 80 + A3 (two rows 40 + 20) + X9 30 = 290, 4 paying accounts
    assert df["arr"].tolist() == [200.0, 290.0, 290.0]
    assert df["customers"].tolist() == [2, 3, 4]


def test_by_segment(con):
    df = arr.by_segment(con, params(con)).set_index("segment")
    # Enterprise (A1, A4): expansion 50, contraction 30, churn 50 -> -30;
    # NRR (120 + 0) / (100 + 50), GRR (100 + 0) / 150
    ent = df.loc["Enterprise"]
    assert (ent.expansion, ent.contraction, ent.churn, ent.net_new_arr) == (50, 30, 50, -30)
    assert ent.nrr_12m == pytest.approx(0.8) and ent.grr_12m == pytest.approx(100 / 150)
    # SMB (A2, A3, A5): new 60, reactivation 80, churn 200 -> -60; NRR 80 / 240
    smb = df.loc["SMB"]
    assert (smb.new, smb.reactivation, smb.churn, smb.net_new_arr) == (60, 80, 200, -60)
    assert smb.nrr_12m == pytest.approx(80 / 240)
    # X9 has no account: segment "unknown", new 30, no NRR base
    assert df.loc["unknown", "net_new_arr"] == 30
    assert df["net_new_arr"].sum() == -60  # the headline


def test_without_arr_table_everything_is_none(tmp_path):
    # The same extract without arr.csv: metrics are n/a (not 0), breakdowns empty.
    folder = tmp_path / "no_arr"
    folder.mkdir()
    for name in ("accounts.csv", "people.csv", "opportunities.csv"):
        (folder / name).write_text((DATA / name).read_text())
    db = tmp_path / "no_arr.duckdb"
    assert load(folder, db).ok
    c = store.connect(db)
    try:
        assert set(arr.headline(c, params(c)).values()) == {None}
        assert arr.bridge(c, params(c)).empty
        assert arr.by_segment(c, params(c)).empty
    finally:
        c.close()
