"""Target market: how much of the agreed target-account list marketing reaches, at what cost,
and whether spend creates new demand or harvests existing demand.

metrics.md ("Target market"). An account is *engaged in period* when one of its
people has a touch dated in [start, end], or someone is listed in
`opportunity_contacts` on one of its opportunities open during the period (created
on or before the end and not closed before the start). This differs from the
buying-group look-back window on purpose: penetration counts reach within the
selected period (DECISIONS.md "Target market").
"""

from __future__ import annotations

import pandas as pd

from gtm.db import query, scalar
from gtm.metrics.sql import compose

# Default demand type of a channel when a campaign does not say (DECISIONS.md).
DEMAND_DEFAULTS = {
    "events": "create",
    "content": "create",
    "outbound": "create",
    "webinar": "create",
    "partner": "create",
    "paid_social": "create",
    "social": "create",
    "display": "create",
    "video": "create",
    "podcast": "create",
    "pr": "create",
    "community": "create",
    "paid_search": "harvest",
    "email": "harvest",
    "organic": "harvest",
    "organic_search": "harvest",
    "seo": "harvest",
    "referral": "harvest",
    "direct": "harvest",
    "review_sites": "harvest",
    "retargeting": "harvest",
}
DEMAND_TYPES = ("create", "harvest", "unassigned")


def demand_params(p: dict) -> dict:
    """p plus the default channel mapping as two bound lists."""
    by_type = {t: sorted(c for c, v in DEMAND_DEFAULTS.items() if v == t) for t in DEMAND_TYPES[:2]}
    return {**p, "create_channels": by_type["create"], "harvest_channels": by_type["harvest"]}


def _default_type(column: str) -> str:
    """SQL for the default demand type of a channel column (an identifier, never a value)."""
    return (f"case when list_contains($create_channels, lower(trim({column}))) then 'create' "
            f"when list_contains($harvest_channels, lower(trim({column}))) then 'harvest' end")


PENETRATION_SQL = compose("""
select count(*) filter (where account_key in (select account_key from period_engaged))
    / nullif(count(*), 0)
from targets
""")


def penetration(con, p: dict) -> float | None:
    """Target accounts with an engaged person in period / all target accounts."""
    value = scalar(con, PENETRATION_SQL, p)
    return None if value is None else float(value)


def headline(con, p: dict) -> dict:
    """Target-market headline metrics (ids of gtm.metrics.registry)."""
    return {
        "target_account_penetration": penetration(con, p),
        "cost_per_target_account_reached": cost_per_target_account_reached_total(con, p),
    }


# An account is engaged in a month when it has a touch in that month, or a contact on a deal
# open during part of it (both clipped to the period): one row per (account, month) first,
# so the count per month reads a few rows per account instead of every touch.
PENETRATION_BY_MONTH_SQL = compose("""
with
months as (
    select g.month::date as month
    from unnest(generate_series(date_trunc('month', $period_start)::timestamp,
        date_trunc('month', $period_end)::timestamp, interval 1 month)) as g(month)
),

engaged_months as (
    select distinct account_key, date_trunc('month', touch_day)::date as month
    from f_touches
    where account_key is not null and is_target_account
      and touch_day between $period_start and $period_end
    union
    select o.account_key, g.month::date as month
    from opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id,
        unnest(generate_series(
            date_trunc('month', greatest(o.created_date, $period_start))::timestamp,
            date_trunc('month', least(coalesce(case when o.is_closed then o.close_date end,
                                               $period_end), $period_end))::timestamp,
            interval 1 month)) as g(month)
    where o.is_target_account
      and o.created_date <= $period_end
      and (not o.is_closed or o.close_date >= $period_start)
),

reached as (
    select month, count(*) as engaged_targets
    from engaged_months
    where account_key in (select account_key from targets)
    group by month
)

select m.month, (select count(*) from targets) as target_accounts,
    coalesce(r.engaged_targets, 0) as engaged_targets,
    coalesce(r.engaged_targets, 0) / nullif((select count(*) from targets), 0) as penetration
from months as m
left join reached as r on r.month = m.month
order by m.month
""")


def penetration_by_month(con, p: dict) -> pd.DataFrame:
    """Per calendar month of the period (clipped to it): target accounts engaged / all."""
    df = query(con, PENETRATION_BY_MONTH_SQL, p)
    return df.astype({"penetration": "float64"})


REACH_SQL = compose("""
with
channel_spend as (
    select channel as channel, sum(amount) as marketing_spend
    from period_spend
    where function = 'marketing'
    group by 1
),

channel_reach as (
    select channel, count(distinct account_key) as target_accounts_reached
    from f_touches
    where is_target_account and account_key is not null
      and touch_day between $period_start and $period_end
    group by 1
)

select coalesce(s.channel, r.channel) as channel,
    coalesce(s.marketing_spend, 0) as marketing_spend,
    coalesce(r.target_accounts_reached, 0) as target_accounts_reached,
    coalesce(s.marketing_spend, 0) / nullif(r.target_accounts_reached, 0)
        as cost_per_target_account_reached
from channel_spend as s
full join channel_reach as r on r.channel = s.channel
order by marketing_spend desc, channel
""")


def cost_per_target_account_reached(con, p: dict) -> pd.DataFrame:
    """Per channel: marketing spend / distinct target accounts that channel touched."""
    return query(con, REACH_SQL, p).astype({"cost_per_target_account_reached": "float64"})


REACH_TOTAL_SQL = compose("""
select
    (select sum(amount) from period_spend where function = 'marketing')
    / nullif((select count(distinct account_key) from f_touches
              where is_target_account and account_key is not null
                and touch_day between $period_start and $period_end), 0)
""")


def cost_per_target_account_reached_total(con, p: dict) -> float | None:
    """Marketing spend / distinct target accounts touched in period (any channel)."""
    value = scalar(con, REACH_TOTAL_SQL, p)
    return None if value is None else float(value)


DEMAND_SQL = compose(f"""
with
campaign_types as (
    select campaign_id,
        coalesce(lower(trim(demand_type)), {_default_type('channel')}) as demand_type
    from campaigns
),

spend_typed as (
    select coalesce(ct.demand_type, {_default_type('s.channel')}, 'unassigned') as demand_type,
        sum(s.amount) as spend
    from period_spend as s
    left join campaign_types as ct on ct.campaign_id = s.campaign_id
    where s.function = 'marketing'
    group by 1
),

leads_typed as (
    select coalesce(ct.demand_type, {_default_type('p.channel')}, 'unassigned') as demand_type,
        count(*) as leads
    from f_people as p
    left join campaign_types as ct on ct.campaign_id = p.first_touch_campaign_id
    where p.created_date between $period_start and $period_end
    group by 1
),

opps_typed as (
    select o.*, coalesce({_default_type('o.channel')}, 'unassigned') as demand_type
    from nb_opps as o
),

pipeline_typed as (
    select demand_type, sum(coalesce(amount, 0)) as qualified_pipeline,
        count(*) as qualified_opportunities
    from opps_typed
    where qualified_date between $period_start and $period_end
    group by 1
),

customers_typed as (
    select coalesce({_default_type('nc.channel')}, 'unassigned') as demand_type,
        count(*) as new_customers
    from new_customers as nc
    group by 1
),

demand_types as (
    select unnest(['create', 'harvest', 'unassigned']) as demand_type
)

select d.demand_type,
    coalesce(s.spend, 0) as spend,
    coalesce(l.leads, 0) as leads,
    coalesce(q.qualified_pipeline, 0) as qualified_pipeline,
    coalesce(q.qualified_opportunities, 0) as qualified_opportunities,
    coalesce(c.new_customers, 0) as new_customers
from demand_types as d
left join spend_typed as s on s.demand_type = d.demand_type
left join leads_typed as l on l.demand_type = d.demand_type
left join pipeline_typed as q on q.demand_type = d.demand_type
left join customers_typed as c on c.demand_type = d.demand_type
order by d.demand_type
""")


def demand_split(con, p: dict) -> pd.DataFrame:
    """Spend, leads, qualified pipeline and new customers by demand type."""
    return query(con, DEMAND_SQL, demand_params(p))
