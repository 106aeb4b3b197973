"""Net ARR properties on random ARR histories (hypothesis), loaded through the real loader.

Random accounts x 15 months (Jan 2024 .. Mar 2025) of whole-dollar ARR, with missing
months and explicit zero rows. A plain-Python reference classifies each account-month
the way metrics.md says; the SQL must agree, the bridge must close, and the ratios must
stay in range.
"""

import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.load.loader import load
from gtm.metrics import arr, base

MONTHS = [date(2024 + (m // 12), m % 12 + 1, 1) for m in range(15)]

cell = st.one_of(st.none(), st.just(0), st.integers(min_value=1, max_value=1000))
histories = st.lists(st.lists(cell, min_size=15, max_size=15), min_size=1, max_size=5)
periods = st.tuples(st.integers(0, 14), st.integers(0, 14)).map(sorted)


def month_end(d: date) -> date:
    nxt = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def write_extract(folder: Path, accounts: list[list]) -> None:
    (folder / "people.csv").write_text("person_id,created_date,channel\nP1,2024-01-01,email\n")
    (folder / "accounts.csv").write_text(
        "account_id,segment\n" + "".join(f"A{i},S{i % 2}\n" for i in range(len(accounts))))
    (folder / "opportunities.csv").write_text(
        "opportunity_id,account_id,created_date,stage,is_closed,is_won\n"
        "O1,A0,2024-01-01,Closed Won,true,true\n")
    rows = [f"A{i},{m},{v}\n" for i, h in enumerate(accounts)
            for m, v in zip(MONTHS, h, strict=True) if v is not None]
    (folder / "arr.csv").write_text("account_id,month,arr\n" + "".join(rows))


def reference(accounts: list[list], first: int, last: int) -> dict:
    """metrics.md by hand: a missing month is 0; classify each month in [first, last]."""
    totals = dict.fromkeys(("new", "reactivation", "expansion", "contraction", "churn"), 0)
    for h in accounts:
        values = [v or 0 for v in h]
        for m in range(first, last + 1):
            prev, now = (values[m - 1] if m else 0), values[m]
            had = any(v > 0 for v in values[:m])
            if prev == 0 and now > 0:
                totals["reactivation" if had else "new"] += now
            elif now > prev > 0:
                totals["expansion"] += now - prev
            elif 0 < now < prev:
                totals["contraction"] += prev - now
            elif prev > 0 and now == 0:
                totals["churn"] += prev
    return totals


def total(accounts: list[list], m: int) -> int:
    return sum((h[m] or 0) for h in accounts) if m >= 0 else 0


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(accounts=histories, period=periods)
def test_net_arr_properties(accounts, period):
    first, last = period
    # One steady account with a row every month, so the latest snapshot on or before the
    # period end (the ARR as-of month) is the period's last month.
    accounts = accounts + [[1] * 15]
    with tempfile.TemporaryDirectory() as tmp:
        folder, db = Path(tmp) / "extract", Path(tmp) / "t.duckdb"
        folder.mkdir()
        write_extract(folder, accounts)
        result = load(folder, db)
        assert result.ok, result.errors
        con = store.connect(db)
        try:
            check(con, accounts, first, last)
        finally:
            con.close()


def check(con, accounts, first, last):
    s = Settings()
    p = base.params(Filter(MONTHS[first], month_end(MONTHS[last])), s,
                    base.resolve_qualified_stage(con, s))
    h = arr.headline(con, p)
    ref = reference(accounts, first, last)
    assert (h["new_arr"], h["reactivation_arr"], h["expansion_arr"], h["contraction_arr"],
            h["churned_arr"]) == tuple(float(ref[k]) for k in ref)
    # the bridge sums to the change in total ARR
    assert h["net_new_arr"] == total(accounts, last) - total(accounts, first - 1)
    bridge = arr.bridge(con, p)
    assert bridge["starting_arr"].iloc[0] == total(accounts, first - 1)
    assert bridge["ending_arr"].iloc[-1] == total(accounts, last)
    flows = (bridge["new"] + bridge["reactivation"] + bridge["expansion"]
             - bridge["contraction"] - bridge["churn"])
    assert (bridge["starting_arr"] + flows).tolist() == bridge["ending_arr"].tolist()
    # retention: the reference ratios; GRR <= NRR and 0 <= GRR <= 1
    then = [(h_[last - 12] or 0, h_[last] or 0) for h_ in accounts] if last >= 12 else []
    base_arr = sum(t for t, _ in then if t > 0)
    if base_arr == 0:
        assert h["nrr_12m"] is None and h["grr_12m"] is None
    else:
        assert h["nrr_12m"] == sum(n for t, n in then if t > 0) / base_arr
        assert h["grr_12m"] == sum(min(n, t) for t, n in then if t > 0) / base_arr
        assert 0 <= h["grr_12m"] <= 1 and h["grr_12m"] <= h["nrr_12m"]
    if h["quick_ratio"] is not None:
        assert h["quick_ratio"] >= 0
