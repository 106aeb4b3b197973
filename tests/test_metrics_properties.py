"""Properties of the funnel, cost and velocity metrics on random small extracts.

Each example writes a consistent random canonical extract to CSV, loads it through
the real loader and checks what must hold whatever the data: shares between 0 and 1,
costs never negative, parts never above their whole, the pipeline bridge closes.
"""

import csv
import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.metrics import compute, cost, funnel, params, registry, resolve_qualified_stage, velocity

CHANNELS = ("paid_search", "events", "content")
OPEN = ("Stage 0", "Discovery", "Proposal")
DAY0 = date(2025, 1, 1)


def _write(folder: Path, name: str, header: list[str], rows: list[list]) -> None:
    with open(folder / f"{name}.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([["" if v is None else v for v in r] for r in rows])


def _day(rnd, lo=0, hi=300) -> date:
    return DAY0 + timedelta(days=rnd.randint(lo, hi))


def _maybe(rnd, value, share=0.5):
    return value if rnd.random() < share else None


def _opportunity(rnd, i, accounts):
    created = _day(rnd, 0, 250)
    visited = sorted(rnd.sample(range(len(OPEN)), rnd.randint(1, len(OPEN))))
    when, history = created, []
    for s in visited:
        when += timedelta(days=rnd.randint(0, 40))
        history.append([f"O{i}", OPEN[s], when])
    outcome = rnd.choice(["open", "Closed Won", "Closed Lost"])
    if outcome != "open":
        when += timedelta(days=rnd.randint(0, 40))
        history.append([f"O{i}", outcome, when])
    stage = history[-1][1]
    close = when if outcome != "open" else when + timedelta(days=rnd.randint(-60, 90))
    qualified = _maybe(rnd, created + timedelta(days=rnd.randint(0, 20)), 0.2)
    row = [f"O{i}", rnd.choice(accounts), created,
           rnd.choice(["new_business", "new_business", "expansion"]), stage,
           _maybe(rnd, rnd.randint(1, 50) * 1000, 0.9), close, outcome != "open",
           outcome == "Closed Won", rnd.choice(CHANNELS), None, qualified, None]
    return row, history


def build_extract(folder: Path, seed: int, n_accounts: int, n_people: int, n_opps: int):
    rnd = random.Random(seed)
    accounts = [f"A{i}" for i in range(n_accounts)]
    _write(folder, "accounts", ["account_id", "region", "segment", "is_target", "fit_score"],
           [[a, rnd.choice(["NA", "EMEA"]), rnd.choice(["SMB", "Enterprise"]),
             _maybe(rnd, rnd.choice(["true", "false"])), rnd.randint(0, 100)] for a in accounts])
    people = []
    for i in range(n_people):
        created = _day(rnd)
        people.append([f"P{i}", _maybe(rnd, rnd.choice(accounts), 0.8), created,
                       rnd.choice(CHANNELS), _maybe(rnd, created + timedelta(rnd.randint(0, 30))),
                       _maybe(rnd, created + timedelta(rnd.randint(0, 90)), 0.2)])
    _write(folder, "people", ["person_id", "account_id", "created_date", "channel", "mql_date",
                              "disqualified_date"], people)
    opps, history = zip(*[_opportunity(rnd, i, accounts) for i in range(n_opps)], strict=True)
    _write(folder, "opportunities", ["opportunity_id", "account_id", "created_date", "type",
                                     "stage", "amount", "close_date", "is_closed", "is_won",
                                     "channel", "source_person_id", "qualified_date",
                                     "lost_reason"], list(opps))
    _write(folder, "opportunity_stages", ["opportunity_id", "stage", "entered_date"],
           [h for hs in history for h in hs])
    _write(folder, "stages", ["stage", "sort_order", "is_closed", "is_won"],
           [["Stage 0", 1, "false", "false"], ["Discovery", 2, "false", "false"],
            ["Proposal", 3, "false", "false"], ["Closed Won", 4, "true", "true"],
            ["Closed Lost", 5, "true", "false"]])
    _write(folder, "spend", ["month", "function", "channel", "amount"],
           [[date(2025, m, 1), f, rnd.choice(CHANNELS) if f == "marketing" else None,
             rnd.randint(0, 20) * 1000] for m in range(1, 13) for f in ("marketing", "sales")
            if rnd.random() < 0.8])
    signups = [[f"S{i}", s := _day(rnd), _maybe(rnd, s + timedelta(rnd.randint(0, 60))),
                _maybe(rnd, rnd.choice(accounts)), rnd.choice(CHANNELS)] for i in range(4)]
    _write(folder, "signups", ["signup_id", "signup_date", "activated_date", "account_id",
                               "channel"], signups)


RATIOS = ("mql_to_customer_rate", "qualified_win_rate", "activation_rate")
NON_NEGATIVE = ("leads", "mqls", "target_leads", "qualified_opportunities", "qualified_pipeline",
                "signups", "activated_signups", "marketing_spend", "sales_spend", "cpl",
                "cost_per_mql", "cost_per_qualified_opportunity", "new_customers", "cac",
                "cac_payback_months", "stage0_days_median", "stage0_days_p75",
                "sales_cycle_days_median", "sales_velocity_per_day", "time_to_no_days_median",
                "time_to_no_people_days_median", "stale_pipeline_amount", "stale_pipeline_count",
                "ltv_to_cac")


def check(con, flt: Filter, stg: Settings, n_accounts: int) -> None:
    v = compute(con, flt, stg)
    assert list(v) == list(registry.METRICS)
    assert all(x is None or isinstance(x, int | float) for x in v.values())
    for key in RATIOS:
        assert v[key] is None or 0 <= v[key] <= 1, (key, v[key])
    for key in NON_NEGATIVE:
        assert v[key] is None or v[key] >= 0, (key, v[key])
    assert v["target_leads"] <= v["leads"] and v["activated_signups"] <= v["signups"]
    assert v["new_customers"] <= n_accounts
    assert v["stage0_days_p75"] is None or v["stage0_days_p75"] >= v["stage0_days_median"]
    p = params(flt, stg, resolve_qualified_stage(con, stg))
    _check_breakdowns(con, p, v)


def _check_breakdowns(con, p, v) -> None:
    w = velocity.pipeline_waterfall(con, p).set_index("step")
    w["amount"] = w["amount"].fillna(0)  # a step whose deals have no amount knows $0 of them
    for col in ("amount", "count"):
        bridge = w.loc["opening", col] + w.loc["created", col] - w.loc["won", col] \
            - w.loc["lost", col]
        assert abs(bridge - w.loc["closing", col]) < 1e-6
    assert w.loc["pushed_out", "count"] <= w.loc["closing", "count"]
    ch = funnel.by_channel(con, p)
    assert ch["leads"].sum() == v["leads"]
    # a headline the extract cannot tell (no way to call a deal qualified, no amount) is
    # unknown (None, issue 15); otherwise the breakdowns add up to it
    assert v["qualified_pipeline"] is None or ch["qualified_pipeline"].sum() == v["qualified_pipeline"]
    for share in ("mql_share", "pipeline_share"):
        assert ch[share].dropna().between(0, 1).all()
    blended = cost.by_channel(con, p).iloc[-1]
    assert blended["marketing_spend"] == v["marketing_spend"]
    assert blended["new_customers"] == v["new_customers"]
    assert ch["won_customers"].sum() == v["new_customers"]
    months = funnel.by_month(con, p)
    for key in ("leads", "mqls", "target_leads", "qualified_opportunities", "signups",
                "activated_signups"):
        assert v[key] is None or months[key].sum() == v[key], key
    assert v["qualified_pipeline"] is None or \
        abs(months["qualified_pipeline"].sum() - v["qualified_pipeline"]) < 1e-6


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), n_accounts=st.integers(1, 4), n_people=st.integers(1, 10),
       n_opps=st.integers(1, 10), q_start=st.integers(0, 3), stage=st.sampled_from(
           ["auto", "Discovery", "Proposal"]), channel=st.sampled_from([None, *CHANNELS]))
def test_metric_properties(seed, n_accounts, n_people, n_opps, q_start, stage, channel):
    from gtm.load.loader import load

    start = date(2025, 1 + 3 * q_start, 1)
    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    flt = Filter(start, end, channels=(channel,) if channel else ())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "extract"
        folder.mkdir()
        build_extract(folder, seed, n_accounts, n_people, n_opps)
        result = load(folder, Path(tmp) / "db.duckdb")
        assert result.ok, [str(e) for e in result.errors]
        con = store.connect(Path(tmp) / "db.duckdb")
        try:
            stg = Settings(qualified_stage=stage)
            check(con, flt, stg, n_accounts)
            # a channel's leads never exceed all leads
            everything = params(Filter(start, end), stg, resolve_qualified_stage(con, stg))
            narrowed = params(flt, stg, resolve_qualified_stage(con, stg))
            assert funnel.volume(con, everything)["leads"] >= funnel.volume(con, narrowed)["leads"]
        finally:
            con.close()


def test_builder_writes_a_loadable_extract(tmp_path):
    """The generator itself: the extract loads and has the opportunities asked for."""
    from gtm.load.loader import load

    build_extract(tmp_path, 7, 3, 5, 6)
    result = load(tmp_path, tmp_path / "db.duckdb")
    assert result.ok, [str(e) for e in result.errors]
    con = store.connect(tmp_path / "db.duckdb")
    try:
        n = con.cursor().execute("select count(*) from opportunities").fetchone()[0]
        assert n == 6
        assert isinstance(funnel.by_month(con, params(
            Filter(date(2025, 1, 1), date(2025, 3, 31)), Settings(),
            resolve_qualified_stage(con, Settings()))), pd.DataFrame)
    finally:
        con.close()
