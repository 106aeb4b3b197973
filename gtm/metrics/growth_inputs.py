"""The historical values the growth equation starts from, in the current filter.

metrics.md ("The growth equation"): every input of the planner starts from what
the data says for the selected period and filters; gtm.plan.growth (pure arithmetic)
does the rest. Also the month-by-month history of qualified volume, win rate and
deal size that gtm.plan.growth.forecast_band resamples.
"""

from __future__ import annotations

import pandas as pd

from gtm.db import clean, query
from gtm.metrics.sql import compose

# New customers, period spend and the win-rate population are the shared relations of
# gtm/metrics/sql.py, so the CAC and win rate here are the dashboard's (tests check
# equality with compute()).
HISTORICAL_SQL = compose("""
with
won_in_period as (
    select * from nb_opps where is_won and close_date between $start and $end
)

select
    (select sum(coalesce(amount, 0)) from won_in_period) as revenue_goal,
    (select avg(amount) from won_in_period) as sale_price,
    (select count(*) filter (where is_won) / nullif(count(*), 0) from closed_qualified)
        as win_rate,
    (select count(*) from qualified) as qualified_opportunities,
    (select count(*) from new_customers) as new_customers,
    (select sum(amount) from period_spend) as spend,
    (select count(*) from f_accounts where is_target_account) as target_accounts
""")

ENGAGED_TARGETS_SQL = compose("""
select count(*) from targets where account_key in (select account_key from period_engaged)
""")


def _ratio(num, den):
    return None if num is None or not den else num / den


def historical(con, p: dict) -> dict:
    """revenue_goal, sale_price, win_rate, qualification_rate, cac, target_accounts,
    addressable_people, group_size: the planner's starting values (None when undefined)."""
    row = {k: clean(v) for k, v in query(con, HISTORICAL_SQL, p).iloc[0].items()}
    engaged = clean(query(con, ENGAGED_TARGETS_SQL, p).iat[0, 0])
    targets = int(row["target_accounts"] or 0)
    return {
        "revenue_goal": row["revenue_goal"] or 0.0,
        "sale_price": row["sale_price"],
        "win_rate": row["win_rate"],
        "qualification_rate": _ratio(row["qualified_opportunities"], engaged),
        "cac": _ratio(row["spend"] or 0.0, row["new_customers"]),
        "target_accounts": targets,
        "addressable_people": targets * int(p["group_size"]),
        "group_size": int(p["group_size"]),
    }


MONTHLY_SQL = compose("""
with
history_months as (
    select g.month::date as month
    from unnest(generate_series(
        (date_trunc('month', $end) - to_months($months - 1))::timestamp,
        date_trunc('month', $end)::timestamp, interval 1 month)) as g(month)
),

closed as (
    select date_trunc('month', close_date)::date as month, is_won, amount
    from nb_opps
    where qualified_date is not null and is_closed
      and close_date <= $end
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
