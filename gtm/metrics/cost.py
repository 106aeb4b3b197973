"""Cost: what a lead, an MQL, a qualified opportunity and a new customer cost.

Spend rows carry only a month, a function and a channel (no region or segment), so
spend is narrowed by the channel filter alone (DECISIONS.md); a spend month counts
when the month overlaps the period. With a channel filter, sales spend (which has no
channel) drops out, so CAC becomes channel marketing spend / channel new customers.
"""

from __future__ import annotations

import pandas as pd

from gtm.db import query, ratio, row
from gtm.metrics.sql import compose

# Without a spend file every cost figure is n/a (NULL), not 0: "CAC $0" would be a claim.
HAS_SPEND = "exists (select 1 from spend)"

SPEND_SQL = compose(f"""
select
    case when {HAS_SPEND} then
        coalesce(sum(amount) filter (where function = 'marketing'), 0) end::double
        as marketing_spend,
    case when {HAS_SPEND} then
        coalesce(sum(amount) filter (where function = 'sales'), 0) end::double as sales_spend
from period_spend
""")


def spend(con, p: dict) -> dict:
    """marketing_spend, sales_spend of the period: 0 when no spend row falls in it,
    None when the dataset has no spend at all."""
    return row(con, SPEND_SQL, p)


COST_SQL = compose(f"""
with
totals as (
    select
        (select case when {HAS_SPEND} then
            coalesce(sum(amount) filter (where function = 'marketing'), 0) end
            from period_spend)::double as mkt,
        (select case when {HAS_SPEND} then coalesce(sum(amount), 0) end
            from period_spend)::double as total_spend,
        (select count(*) from f_people where created_date between $period_start and $period_end) as leads,
        (select count(*) from f_people where mql_date between $period_start and $period_end) as mqls,
        (select count(*) from qualified) as qualified_opportunities,
        (select count(*) from new_customers) as new_customers,
        (select avg(amount) from new_customers) as avg_first_deal
)

select
    mkt / nullif(leads, 0) as cpl,
    mkt / nullif(mqls, 0) as cost_per_mql,
    mkt / nullif(qualified_opportunities, 0) as cost_per_qualified_opportunity,
    new_customers,
    total_spend / nullif(new_customers, 0) as cac,
    (total_spend / nullif(new_customers, 0))
        / nullif(avg_first_deal / 12 * $gross_margin, 0) as cac_payback_months,
    avg_first_deal
from totals
""")


def unit_costs(con, p: dict) -> dict:
    """cpl, cost_per_mql, cost_per_qualified_opportunity, new_customers, cac,
    cac_payback_months, and avg_first_deal (average first-deal amount of the new
    customers; used by LTV, not a registry id)."""
    return row(con, COST_SQL, p)


def headline(con, p: dict) -> dict:
    """The spend and unit-cost values of 'Cost' (plus avg_first_deal)."""
    return {**spend(con, p), **unit_costs(con, p)}


# --- formulas over other queries' values (gtm.metrics.registry Formula) -----------------

def magic_number(net_new_arr, prior_marketing_spend, prior_sales_spend, settings=None):
    """Net new ARR / sales and marketing spend of the previous period (DECISIONS.md:
    undefined on a zero base, and without a spend file)."""
    prior = None if prior_marketing_spend is None else prior_marketing_spend + prior_sales_spend
    return ratio(net_new_arr, prior)


def ltv_to_cac(avg_first_deal, grr_12m, cac, settings):
    """Lifetime value (average first-deal amount x gross margin / annual churn, annual churn
    = 1 - GRR 12 months) / CAC; None when an input is missing or churn is not positive."""
    if avg_first_deal is None or grr_12m is None:
        return None
    churn = 1 - grr_12m if grr_12m < 1 else None
    return ratio(ratio(avg_first_deal * settings.gross_margin, churn), cac)


BY_CHANNEL_SQL = compose(f"""
with
spend_ch as (
    select channel as channel, sum(amount) as marketing_spend
    from period_spend where function = 'marketing' group by 1
),

people_ch as (
    select channel,
        count(*) filter (where created_date between $period_start and $period_end) as leads,
        count(*) filter (where mql_date between $period_start and $period_end) as mqls
    from f_people group by 1
),

opps_ch as (
    select channel_key as channel, count(*) as qualified_opportunities from qualified group by 1
),

cust_ch as (
    select channel, count(*) as new_customers from new_customers group by 1
),

channels as (
    select channel from spend_ch
    union select channel from people_ch where leads > 0 or mqls > 0
    union select channel from opps_ch
    union select channel from cust_ch
),

per_channel as (
    select
        c.channel,
        case when {HAS_SPEND} then coalesce(s.marketing_spend, 0) end::double
            as marketing_spend,
        coalesce(pc.leads, 0) as leads,
        coalesce(pc.mqls, 0) as mqls,
        coalesce(oc.qualified_opportunities, 0) as qualified_opportunities,
        coalesce(cc.new_customers, 0) as new_customers,
        0 as is_total
    from channels as c
    left join spend_ch as s on s.channel = c.channel
    left join people_ch as pc on pc.channel = c.channel
    left join opps_ch as oc on oc.channel = c.channel
    left join cust_ch as cc on cc.channel = c.channel
),

with_total as (
    select * from per_channel
    union all
    select 'Blended', case when {HAS_SPEND} then coalesce(sum(marketing_spend), 0) end,
        coalesce(sum(leads), 0)::bigint,
        coalesce(sum(mqls), 0)::bigint, coalesce(sum(qualified_opportunities), 0)::bigint,
        coalesce(sum(new_customers), 0)::bigint, 1
    from per_channel
)

select
    channel,
    marketing_spend,
    leads,
    marketing_spend / nullif(leads, 0) as cpl,
    mqls,
    marketing_spend / nullif(mqls, 0) as cost_per_mql,
    qualified_opportunities,
    marketing_spend / nullif(qualified_opportunities, 0) as cost_per_qualified_opportunity,
    new_customers,
    marketing_spend / nullif(new_customers, 0) as marketing_cac
from with_total
order by is_total, marketing_spend desc, channel
""")


def by_channel(con, p: dict) -> pd.DataFrame:
    """Columns: channel, marketing_spend, leads, cpl, mqls, cost_per_mql,
    qualified_opportunities, cost_per_qualified_opportunity, new_customers,
    marketing_cac. Leads and MQLs by the person's channel, qualified opportunities by
    the deal's channel, new customers by their first won deal's channel; marketing
    spend without a channel is the 'unknown' row. The last row, 'Blended', sums
    every row (marketing spend only: blended CAC with sales spend is `cac`). Ratios
    are NaN where the denominator is 0."""
    return query(con, BY_CHANNEL_SQL, p)


BY_MONTH_SQL = compose(f"""
with
spend_m as (
    select month,
        sum(amount) filter (where function = 'marketing') as marketing_spend,
        sum(amount) filter (where function = 'sales') as sales_spend
    from period_spend group by 1
),

leads_m as (
    select date_trunc('month', created_date)::date as month, count(*) as leads
    from f_people where created_date between $period_start and $period_end group by 1
),

cust_m as (
    select date_trunc('month', close_date)::date as month, count(*) as new_customers
    from new_customers group by 1
)

select
    m.month,
    case when {HAS_SPEND} then coalesce(s.marketing_spend, 0) end::double as marketing_spend,
    case when {HAS_SPEND} then coalesce(s.sales_spend, 0) end::double as sales_spend,
    coalesce(l.leads, 0) as leads,
    coalesce(c.new_customers, 0) as new_customers,
    case when {HAS_SPEND} then coalesce(s.marketing_spend, 0) end / nullif(l.leads, 0) as cpl,
    case when {HAS_SPEND} then coalesce(s.marketing_spend, 0) + coalesce(s.sales_spend, 0) end
        / nullif(c.new_customers, 0) as cac
from months as m
left join spend_m as s on s.month = m.month
left join leads_m as l on l.month = m.month
left join cust_m as c on c.month = m.month
order by m.month
""")


def by_month(con, p: dict) -> pd.DataFrame:
    """Columns: month, marketing_spend, sales_spend, leads, new_customers, cpl, cac
    (cpl and cac are NaN in a month without leads / new customers)."""
    return query(con, BY_MONTH_SQL, p)
