"""The demo company: deterministic, complete, consistent, and telling its stories.

Each story is checked with plain DuckDB SQL over the generated CSV files, computed
the way metrics.md defines the metric (not the way the generator built it), so a
generator change that silently breaks a story fails here.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from gtm import demo
from gtm.contract import REFERENCES, TABLES

AS_OF = date(2026, 10, 31)
Q2, Q3, Q4 = ("2025-04-01", "2025-06-30"), ("2025-07-01", "2025-09-30"), ("2025-10-01",
                                                                          "2025-12-31")


@pytest.fixture(scope="module")
def default_demo(tmp_path_factory):
    """The default-size company (1,000 accounts), generated once for the module."""
    out = tmp_path_factory.mktemp("demo_default")
    counts = demo.generate(out)
    return out, counts


@pytest.fixture(scope="module")
def con(default_demo):
    out, _ = default_demo
    c = duckdb.connect()
    for name, table in TABLES.items():
        cols = ", ".join(f"'{col.name}': '{col.sql_type}'" for col in table.columns)
        # identifiers from gtm.contract and a path we created; no input values
        c.execute(f"create table {name} as select * from read_csv("  # noqa: S608
                  f"'{out / (name + '.csv')}', header = true, columns = {{{cols}}})")
    yield c
    c.close()


def one(con, sql: str, params: dict | None = None):
    return con.execute(sql, params or {}).fetchone()


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.csv"))}


# --- determinism, completeness, scale ------------------------------------------------
def test_same_accounts_and_seed_give_the_same_bytes(tmp_path):
    first = demo.generate(tmp_path / "a", accounts=200)
    second = demo.generate(tmp_path / "b", accounts=200)
    assert first == second
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    demo.generate(tmp_path / "c", accounts=200, seed=8)
    assert _hashes(tmp_path / "c")["people.csv"] != _hashes(tmp_path / "a")["people.csv"]
    assert not list((tmp_path / "a").glob("*.tmp"))  # every file was published


def test_every_contract_table_is_written_with_the_contract_header(default_demo):
    out, counts = default_demo
    assert set(counts) == set(TABLES)
    for name, table in TABLES.items():
        with open(out / f"{name}.csv", newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert header == table.column_names, name
        assert counts[name] > 0, name


def test_rows_scale_with_accounts(tmp_path, default_demo):
    _, big = default_demo  # 1,000 accounts
    small = demo.generate(tmp_path / "small", accounts=250)
    assert big["accounts"] == 1000 and small["accounts"] == 250
    # people ~20x, touches ~200x, opportunities ~3-5x, signups 2x accounts
    assert 19_000 <= big["people"] <= 21_000
    assert 185_000 <= big["touches"] <= 215_000
    assert 2_500 <= big["opportunities"] <= 5_000
    assert big["signups"] == 2_000
    for table in ("people", "touches", "opportunities", "opportunity_contacts", "signups"):
        assert 3.4 <= big[table] / small[table] <= 4.6, table
    # fixed-size tables: 7 stages, 60 campaigns, 36 months x (10 channels x 2 + 2) spend rows
    assert (big["stages"], big["campaigns"], big["spend"]) == (7, 60, 36 * 22)


def test_too_small_a_company_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least 50 accounts"):
        demo.generate(tmp_path, accounts=10)


# --- consistency ---------------------------------------------------------------------
@pytest.mark.parametrize("table, column, ref_table, ref_column, _fatal", REFERENCES)
def test_every_reference_resolves(con, table, column, ref_table, ref_column, _fatal):
    dangling = one(con, f"""
        select count(*) from {table} as t
        where t.{column} is not null
          and t.{column} not in (select {ref_column} from {ref_table})""")[0]  # noqa: S608
    assert dangling == 0


def test_ids_are_unique_and_dates_inside_the_calendar(con):
    for name, table in TABLES.items():
        for col in table.columns:
            if col.unique:
                dupes = one(con, f"select count(*) - count(distinct {col.name}) from {name}")  # noqa: S608
                assert dupes[0] == 0, (name, col.name)
    assert one(con, "select min(created_date), max(created_date) from people") >= (
        date(2023, 11, 1), date(2026, 10, 1))
    assert one(con, "select max(created_date) from people")[0] <= AS_OF
    assert one(con, "select max(touch_date) from touches")[0].date() <= AS_OF
    assert one(con, "select count(*) from opportunities where is_closed and close_date > $d",
               {"d": AS_OF})[0] == 0
    assert one(con, "select max(entered_date) from opportunity_stages")[0] <= AS_OF
    months, last = one(con, "select count(distinct month), max(month) from arr")
    assert months >= 33 and last == date(2026, 10, 1)  # the first deals close in month 2-3


def test_buying_groups_and_sources_belong_to_the_deal_account(con):
    foreign = one(con, """
        select count(*) from opportunity_contacts as c
        join opportunities as o using (opportunity_id)
        join people as p on p.person_id = c.person_id
        where p.account_id is distinct from o.account_id or p.created_date > o.created_date""")
    assert foreign[0] == 0
    bad_source = one(con, """
        select count(*) from opportunities as o join people as p on p.person_id = o.source_person_id
        where p.account_id <> o.account_id or p.created_date > o.created_date""")
    assert bad_source[0] == 0
    assert one(con, """select count(*) filter (where source_person_id is not null) / count(*)
                       from opportunities where type = 'new_business'""")[0] > 0.9


def test_won_flags_match_the_stage_and_history(con):
    assert one(con, """select count(*) from opportunities
                       where is_won and (not is_closed or stage <> 'Closed Won')""")[0] == 0
    assert one(con, """select count(*) from opportunities
                       where is_closed and not is_won and stage <> 'Closed Lost'""")[0] == 0
    # the current stage is the last one entered
    assert one(con, """
        select count(*) from opportunities as o
        where o.stage <> (select arg_max(h.stage, h.entered_date) from opportunity_stages as h
                          where h.opportunity_id = o.opportunity_id)""")[0] == 0


def test_arr_starts_with_each_account_first_won_deal(con):
    mismatches = one(con, """
        with first_won as (
            select account_id, date_trunc('month', min(close_date)) as month
            from opportunities where is_won group by account_id
        ),
        first_arr as (select account_id, min(month) as month from arr group by account_id)
        select count(*) from first_won full join first_arr using (account_id)
        where first_won.month is distinct from first_arr.month""")
    assert mismatches[0] == 0


# --- stories -------------------------------------------------------------------------
QUALIFIED = """
with
open_stages as (select stage, sort_order from stages where not is_closed),
reached as (
    select o.opportunity_id, o.is_closed, o.is_won,
        case when o.is_won then (select max(sort_order) from open_stages)
             else max(s.sort_order) end as max_order
    from opportunities as o
    left join opportunity_stages as h using (opportunity_id)
    left join open_stages as s on s.stage = h.stage
    group by o.opportunity_id, o.is_closed, o.is_won
),
win_rates as (
    select s.stage, s.sort_order,
        count(*) filter (where r.is_won) / count(*) filter (where r.is_closed) as win_rate
    from open_stages as s join reached as r on r.max_order >= s.sort_order
    group by s.stage, s.sort_order
)
"""


def test_auto_qualified_stage_is_a_middle_stage(con):
    """metrics.md: earliest stage from which >= 25 % of closed deals that reached it won."""
    rates = con.execute(QUALIFIED + "select stage, win_rate from win_rates order by sort_order"
                        ).fetchall()
    picked = next(stage for stage, rate in rates if rate >= 0.25)
    assert picked == "Solution Fit"
    assert dict(rates)["Discovery"] < 0.22 and dict(rates)["Solution Fit"] > 0.3


def _qualified_view(con):
    con.execute("""
        create or replace temp view q_opps as
        select o.*, coalesce(o.qualified_date, (
            select min(h.entered_date) from opportunity_stages as h join stages as s using (stage)
            where h.opportunity_id = o.opportunity_id and s.sort_order >= 3
              and not (s.is_closed and not s.is_won))) as qualified_on
        from opportunities as o""")


def test_qualified_date_is_supplied_for_most_but_not_all(con):
    _qualified_view(con)
    supplied, qualified = one(con, """select count(qualified_date), count(qualified_on)
                                      from q_opps""")
    assert 0.6 <= supplied / qualified <= 0.8


def test_paid_search_push_doubles_mqls_while_pipeline_and_wins_fall(con):
    _qualified_view(con)

    def in_quarter(sql, q):
        return one(con, sql, {"lo": q[0], "hi": q[1]})

    mqls = {q: in_quarter("select count(*) from people where mql_date between $lo and $hi", q)[0]
            for q in (Q2, Q3)}
    assert mqls[Q3] >= 1.8 * mqls[Q2]
    ps_leads = "select count(*) from people where channel = 'paid_search' and created_date between $lo and $hi"
    assert in_quarter(ps_leads, Q3)[0] >= 2 * in_quarter(ps_leads, Q2)[0]
    ps_spend = "select sum(amount) from spend where channel = 'paid_search' and month between $lo and $hi"
    assert 2.5 <= in_quarter(ps_spend, Q3)[0] / in_quarter(ps_spend, Q2)[0] <= 3.5
    pipeline = """select count(*), sum(amount) from q_opps
                  where type = 'new_business' and qualified_on between $lo and $hi"""
    won = """select count(*) from opportunities where type = 'new_business' and is_won
             and close_date between $lo and $hi"""
    base_count, base_amount = in_quarter(pipeline, Q2)
    base_won = in_quarter(won, Q2)[0]
    for later in (Q3, Q4):
        count, amount = in_quarter(pipeline, later)
        assert count < 0.9 * base_count and amount < 0.9 * base_amount
        assert in_quarter(won, later)[0] < base_won
    assert in_quarter(won, Q3)[0] + in_quarter(won, Q4)[0] < 1.4 * base_won


CHANNEL_ECONOMICS = """
with
first_won as (
    select account_id, min(close_date) as day from opportunities
    where is_won and type = 'new_business' group by account_id
),
new_customers as (
    select o.channel, count(distinct o.account_id) as n
    from opportunities as o
    join first_won as f on f.account_id = o.account_id and f.day = o.close_date
    where o.is_won and o.type = 'new_business'
    group by o.channel
),
channel_spend as (
    select channel, sum(amount) as spend from spend
    where function = 'marketing' and channel is not null group by channel
),
leads as (select channel, count(*) as n from people group by channel)
select s.channel, s.spend / l.n as cpl, s.spend / nullif(c.n, 0) as cac
from channel_spend as s
left join leads as l using (channel)
left join new_customers as c using (channel)
"""


def test_dear_leads_make_cheap_customers_and_cheap_leads_dear_ones(con):
    rows = {ch: (cpl, cac) for ch, cpl, cac in con.execute(CHANNEL_ECONOMICS).fetchall()}
    for dear in ("events", "outbound"):
        assert 400 <= rows[dear][0] <= 900
        for cheap in ("paid_search", "paid_social"):
            assert 40 <= rows[cheap][0] <= 80
            assert rows[cheap][1] is not None  # some customers, so CAC is not n/a
            assert rows[dear][1] < rows[cheap][1]
    cacs = sorted((cac, ch) for ch, (_, cac) in rows.items() if cac is not None)
    assert {cacs[0][1], cacs[1][1]} == {"events", "outbound"}


def test_deals_with_more_of_the_buying_group_win_more(con):
    rates = dict(con.execute("""
        with contacts as (
            select opportunity_id, count(distinct person_id) as k
            from opportunity_contacts group by opportunity_id
        )
        select case when k = 1 then '1' when k <= 3 then '2-3' when k <= 6 then '4-6'
                    else '7+' end as bucket,
               count(*) filter (where o.is_won) / count(*) as win_rate
        from opportunities as o join contacts using (opportunity_id)
        where o.type = 'new_business' and o.is_closed
        group by bucket""").fetchall())
    assert rates["1"] < rates["2-3"] < rates["4-6"] < rates["7+"]
    assert rates["7+"] > 2 * rates["1"]


def test_target_market_is_small_and_engaged_by_bigger_groups(con):
    targets, share, fit = one(con, """select count(*) filter (where is_target),
        avg(is_target::int), count(fit_score) / count(*) from accounts""")
    assert 0.07 <= share <= 0.09 and fit > 0.85
    groups = dict(con.execute("""
        select a.is_target, avg(k) from (
            select opportunity_id, count(*) as k from opportunity_contacts group by 1
        ) join opportunities using (opportunity_id) join accounts as a using (account_id)
        group by a.is_target""").fetchall())
    assert groups[True] > 1.5 * groups[False]
    multi = one(con, """select count(*) from (
        select p.account_id from touches join people as p using (person_id)
        where p.account_id is not null group by p.account_id
        having count(distinct person_id) >= 3)""")[0]
    assert multi > 0.5 * one(con, "select count(*) from accounts")[0]


@pytest.fixture(scope="module")
def metrics_con(default_demo, tmp_path_factory):
    """The default demo loaded by the real loader, for checks through gtm.metrics."""
    from gtm.load import loader, store

    out, _ = default_demo
    db = tmp_path_factory.mktemp("demo_db") / "targetline.duckdb"
    result = loader.load(out, db)
    assert result.ok, [str(e) for e in result.errors]
    c = store.connect(db)
    yield c
    c.close()


def _market_params(con, start: date, end: date) -> dict:
    from gtm.filters import Filter, Settings
    from gtm.metrics import params, resolve_qualified_stage

    settings = Settings()
    return params(Filter(start, end), settings, resolve_qualified_stage(con, settings))


def test_target_accounts_are_reached_partly_and_more_each_year(metrics_con):
    """Through the real metrics: marketing reaches part of its target list in a quarter,
    a bigger part over time, and covers the buying groups only partly."""
    from gtm.filters import Filter
    from gtm.metrics import compute, groups, market

    values = compute(metrics_con, Filter(date(2026, 7, 1), date(2026, 9, 30)))
    assert 0.2 < values["target_account_penetration"] < 0.9
    assert 0.1 < values["avg_group_coverage"] < 0.8
    assert 0.1 < values["avg_role_coverage"] < 0.8
    first_year = market.penetration(
        metrics_con, _market_params(metrics_con, date(2023, 11, 1), date(2024, 10, 31)))
    last_year = market.penetration(
        metrics_con, _market_params(metrics_con, date(2025, 11, 1), date(2026, 10, 31)))
    assert last_year > first_year
    monthly = market.penetration_by_month(
        metrics_con, _market_params(metrics_con, date(2023, 11, 1), date(2026, 10, 31)))
    assert monthly["penetration"].max() < 0.7  # never the whole list in one month
    assert monthly["penetration"].tail(12).mean() > monthly["penetration"].head(12).mean()
    # economic buyers and procurement are the buying-group roles marketing reaches least
    p = _market_params(metrics_con, date(2026, 7, 1), date(2026, 9, 30))
    coverage = groups.account_coverage(metrics_con, p)
    roles = coverage[coverage["is_target"]][list(p["required_roles"])].mean()
    assert set(roles.nsmallest(2).index) == {"economic_buyer", "procurement"}
    engaged = coverage[coverage["is_target"]]["engaged_people"]
    assert (engaged <= 2).sum() >= 10 and (engaged >= 7).sum() >= 10  # a wide spread


def test_abm_channels_reach_target_accounts_cheapest(metrics_con):
    """Cost per target account reached: outbound and events, the ABM channels, are the two
    cheapest; paid search costs the most per target account or reaches none."""
    from gtm.metrics import market

    p = _market_params(metrics_con, date(2026, 7, 1), date(2026, 9, 30))
    reach = market.cost_per_target_account_reached(metrics_con, p).set_index("channel")
    cost = reach["cost_per_target_account_reached"].drop("unknown").fillna(float("inf"))
    assert set(cost.nsmallest(2).index) == {"outbound", "events"}
    assert cost["paid_search"] == cost.max()
    people = one(metrics_con, """select count(p.person_id) / count(distinct a.account_id)
        from accounts as a left join people as p using (account_id) where a.is_target""")[0]
    assert 8 <= people <= 20  # a target account has a real buying group's worth of people


def test_arr_has_every_movement_including_a_reactivation(con):
    moves = one(con, """
        with
        accounts_ as (select distinct account_id from arr),
        months as (select distinct month from arr),
        grid as (
            select a.account_id, m.month, coalesce(r.arr, 0) as arr
            from accounts_ as a cross join months as m
            left join arr as r on r.account_id = a.account_id and r.month = m.month
        ),
        steps as (
            select *, lag(arr, 1, 0) over w as prev,
                coalesce(max(arr) over (w rows between unbounded preceding and 1 preceding), 0)
                    as before_max
            from grid window w as (partition by account_id order by month)
        )
        select
            count(*) filter (where prev = 0 and arr > 0 and before_max = 0),
            count(*) filter (where prev = 0 and arr > 0 and before_max > 0),
            count(*) filter (where arr > prev and prev > 0),
            count(*) filter (where arr > 0 and arr < prev),
            count(*) filter (where prev > 0 and arr = 0)
        from steps""")
    new, reactivation, expansion, contraction, churn = moves
    assert new > 100 and reactivation >= 1 and expansion > 50
    assert contraction > 5 and churn > 5


def test_only_some_signups_activate(con):
    rate, later, never, big = one(con, """
        select count(*) filter (where activated_date <= signup_date + 30) / count(*),
               count(*) filter (where activated_date > signup_date + 30),
               count(*) filter (where activated_date is null),
               count(*) filter (where a.segment = 'Enterprise')
        from signups left join accounts as a using (account_id)""")
    assert 0.2 <= rate <= 0.6 and later > 0 and never > 0 and big == 0


def test_fast_no_and_stale_pipeline(con):
    fast, lost = one(con, """select count(*) filter (where close_date - created_date <= 10),
        count(*) from opportunities where is_closed and not is_won""")
    assert fast >= 0.05 * lost
    fast_dq = one(con, """select count(*) from people
                          where disqualified_date - created_date <= 7""")[0]
    assert fast_dq > 100
    stale_90, stale_120, open_ = one(con, """
        with last_move as (
            select opportunity_id, max(entered_date) as day from opportunity_stages group by 1
        )
        select count(*) filter (where $as_of - day > 90),
               count(*) filter (where $as_of - day >= 120), count(*)
        from opportunities join last_move using (opportunity_id) where not is_closed""",
        {"as_of": AS_OF})
    assert 0.05 <= stale_90 / open_ <= 0.35 and stale_120 > 0


def test_mqls_unmatched_leads_and_disqualification_reasons(con):
    mql_share = one(con, """select count(mql_date) / count(*) from people
                            where created_date < '2025-07-01'""")[0]
    assert 0.25 <= mql_share <= 0.4
    assert one(con, "select count(*) from people where account_id is null")[0] > 1000
    reasons = {r for (r,) in con.execute(
        "select distinct disqualified_reason from people where disqualified_reason is not null"
    ).fetchall()}
    assert {"No budget", "Not ICP", "Student / job seeker", "Competitor", "No response"} <= reasons


# --- loading ---------------------------------------------------------------------------
def test_first_run_loads_the_demo_once(tmp_path, monkeypatch):
    pytest.importorskip("gtm.load.loader")
    monkeypatch.setattr(demo, "DEFAULT_ACCOUNTS", 120)  # the default size, made small
    db = tmp_path / "targetline.duckdb"
    steps = []
    assert demo.ensure_loaded(db, progress=lambda m, f: steps.append(f),
                              out_dir=tmp_path / "demo") is True
    assert demo.ensure_loaded(db, out_dir=tmp_path / "demo") is False
    assert steps and max(steps) <= 1.0
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("select count(*) from accounts").fetchone()[0] == 120
        assert con.execute("select count(*) from touches").fetchone()[0] > 20_000
    finally:
        con.close()
