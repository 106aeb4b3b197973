"""The historical values the growth equation starts from, in the current filter.

metrics.md ("The growth equation"): every input of the planner starts from what
the data says for the selected period and filters; gtm.plan.growth (pure arithmetic)
does the rest. Also the month-by-month history of qualified volume, win rate and
deal size that gtm.plan.growth.forecast_band resamples.
"""

from __future__ import annotations

import pandas as pd

from gtm.db import clean, query, ratio
from gtm.metrics import targets as _targets  # noqa: F401 (its shared relation target_people)
from gtm.metrics.sql import compose

# New customers, period spend and the win-rate population are the shared relations of
# gtm/metrics/sql.py, so the CAC and win rate here are the dashboard's (tests check
# equality with compute()).
HISTORICAL_SQL = compose("""
with
won_in_period as (
    select * from nb_opps where is_won and close_date between $period_start and $period_end
)

select
    (select sum(amount) from won_in_period) as revenue_goal,
    (select avg(amount) from won_in_period) as sale_price,
    (select count(*) from won_in_period) as won_deals,
    (select count(*) filter (where is_won) / nullif(count(*), 0) from closed_qualified)
        as win_rate,
    (select count(*) from closed_qualified) as closed_qualified,
    (select count(*) from qualified where is_target_account) as qualified_at_targets,
    (select count(*) from new_customers) as new_customers,
    (select sum(amount) from period_spend) as spend,
    exists (select 1 from spend) as has_spend,
    exists (select 1 from accounts) as has_accounts,
    (select count(*) from f_accounts where is_target_account) as target_accounts,
    (select count(*) from targets where account_key in (select account_key from period_engaged))
        as engaged_targets,
    (select count(*) from target_people) as target_people
""")


def historical(con, p: dict) -> dict:
    """The planner's starting values (None when undefined) and, in `why`, the reason each
    undefined one is undefined, so the page never offers a placeholder as a fact.

    revenue_goal, sale_price: won new business in period (sum, average of known amounts);
    win_rate: the qualified win rate; qualification_rate (q, metrics.md v2): qualified
    new-business opportunities at target accounts / target accounts engaged in period, a
    number per account; cac: blended CAC; addressable_people: target accounts x group size
    (target accounts follow the active target definition); target_people: the target
    people at the period end (the market counted in people the CRM knows)."""
    row = {k: clean(v) for k, v in query(con, HISTORICAL_SQL, p).iloc[0].items()}
    targets = int(row["target_accounts"] or 0)
    values = {
        "revenue_goal": 0.0 if row["won_deals"] == 0 else row["revenue_goal"],
        "sale_price": row["sale_price"],
        "win_rate": row["win_rate"],
        "qualification_rate": ratio(row["qualified_at_targets"], row["engaged_targets"]),
        "cac": ratio(row["spend"] or 0.0, row["new_customers"]) if row["has_spend"] else None,
        "target_accounts": targets,
        "addressable_people": targets * int(p["group_size"]) if targets else None,
        "group_size": int(p["group_size"]),
        # the other market of metrics.md v2: the target people (the persona's), when any
        "target_people": int(row["target_people"]) if row["has_accounts"] else None,
    }
    return {**values, "why": _why(row, values)}


def _why(row: dict, values: dict) -> dict:
    """Why each undefined starting value is undefined (plain sentences for the page)."""
    won = row["won_deals"]
    no_amount = f"the {won:,} new-business deals won in this period have no amount"
    reasons = {
        "revenue_goal": no_amount if won else "no new-business deal was won in this period",
        "sale_price": no_amount if won else "no new-business deal was won in this period",
        "win_rate": "no qualified deal closed in this period",
        "qualification_rate": _why_q(row),
        "cac": ("there is no spend file (add spend.csv)" if not row["has_spend"]
                else "no new customer was won in this period"),
        "addressable_people": ("the data has no accounts file (add accounts.csv with "
                               "is_target or fit_score, or enter the market)"
                               if not row["has_accounts"] else
                               "no account is a target account (set is_target or fit_score)"),
    }
    return {k: v for k, v in reasons.items() if values.get(k) in (None, 0, 0.0)}


def _why_q(row: dict) -> str:
    if not row["has_accounts"]:
        return "the data has no accounts file (add accounts.csv with is_target or fit_score)"
    if not row["engaged_targets"]:
        return "no target account was engaged in this period"
    return "no target account had a qualified new-business opportunity in this period"


MONTHLY_SQL = compose("""
with
history_months as (
    select g.month::date as month
    from unnest(generate_series(
        (date_trunc('month', $period_end) - to_months($months - 1))::timestamp,
        date_trunc('month', $period_end)::timestamp, interval 1 month)) as g(month)
),

closed as (
    select date_trunc('month', close_date)::date as month, is_won, amount
    from nb_opps
    where qualified_date is not null and is_closed
      and close_date <= $period_end
)

select m.month,
    count(c.month) as qualified_opportunities,
    count(c.month) filter (where c.is_won) as won,
    count(c.month) filter (where c.is_won) / nullif(count(c.month), 0) as win_rate,
    coalesce(sum(coalesce(c.amount, 0)) filter (where c.is_won), 0) as won_amount,
    avg(c.amount) filter (where c.is_won) as avg_deal
from history_months as m
left join closed as c on c.month = m.month
group by m.month
order by m.month
""")


def monthly_history(con, p: dict, months: int = 24) -> pd.DataFrame:
    """Per month of the `months` months to the period end: qualified new-business deals
    closed, won, win rate and average won amount (the forecast band's history)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    df = query(con, MONTHLY_SQL, {**p, "months": months})
    return df.astype({"win_rate": "float64", "avg_deal": "float64", "won_amount": "float64"})
