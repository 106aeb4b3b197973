"""Volume versus quality: the MQL lens beside the qualified-pipeline lens.

metrics.md puts leads and MQLs next to qualified pipeline, cohort conversion and
the qualified win rate so a CMO can see which channels the MQL count flatters. The
relations these queries share with other sections (new-business opportunities, new
customers, the months of a period) are defined once in gtm/metrics/sql.py.
"""

from __future__ import annotations

import math

import pandas as pd

from gtm.db import query, row
from gtm.metrics import cost
from gtm.metrics.base import STAGE_WIN_RATES
from gtm.metrics.sql import compose, define, known_sum

# --- headline metrics -------------------------------------------------------------

VOLUME_SQL = compose(f"""
select
    (select count(*) from f_people where created_date between $period_start and $period_end) as leads,
    (select count(*) from f_people where mql_date between $period_start and $period_end) as mqls,
    (select count(*) from f_people
        where created_date between $period_start and $period_end and is_target_account) as target_leads,
    (select count(*) from qualified) as qualified_opportunities,
    (select {known_sum('amount')} from qualified)::double as qualified_pipeline
""")


def volume(con, p: dict) -> dict:
    """leads, mqls, target_leads, qualified_opportunities, qualified_pipeline."""
    return row(con, VOLUME_SQL, p)


# The MQL cohort of the period and the MQLs of it that became customers. The outcome is
# looked up over ALL opportunities of the MQL's account (not narrowed by the deal's channel):
# a won new-business deal created on/after the mql_date, won by the dataset's as-of date
# (a cohort keeps maturing after its period; DECISIONS.md). The headline rate and the rate
# per channel read these two relations.
define("mql_cohort", """
    select person_id, account_id, mql_date, channel
    from f_people
    where mql_date between $period_start and $period_end""")

define("mql_converted", """
    select distinct m.person_id
    from mql_cohort as m
    join opportunities as o on o.account_id = m.account_id
    where o.is_won
      and o.type = 'new_business'
      and o.created_date >= m.mql_date
      and o.close_date <= $data_as_of""")

MQL_TO_CUSTOMER_SQL = compose("""
select (select count(*) from mql_converted) / nullif((select count(*) from mql_cohort), 0)
    as mql_to_customer_rate
""")


def mql_to_customer_rate(con, p: dict) -> dict:
    return row(con, MQL_TO_CUSTOMER_SQL, p)


WIN_RATE_SQL = compose("""
select count(*) filter (where is_won) / nullif(count(*), 0) as qualified_win_rate
from closed_qualified
""")


def qualified_win_rate(con, p: dict) -> dict:
    return row(con, WIN_RATE_SQL, p)


# Activation matures like the MQL cohort (metrics.md v2): an activation within the window counts
# when it happened on or before the data as-of date, after the period end too.
SIGNUPS_SQL = compose("""
with
period_signups as (
    select
        signup_id,
        activated_date is not null
            and activated_date >= signup_date
            and activated_date - signup_date <= $activation_days
            and activated_date <= $data_as_of as activated
    from f_signups
    where signup_date between $period_start and $period_end
)

select
    case when exists (select 1 from signups) then count(*) end as signups,
    case when exists (select 1 from signups) then count(*) filter (where activated) end
        as activated_signups,
    count(*) filter (where activated) / nullif(count(*), 0) as activation_rate
from period_signups
""")


def signups(con, p: dict) -> dict:
    """signups, activated_signups, activation_rate (product-led motion); all None when
    the dataset has no signups (a sales-led company), rather than a misleading 0."""
    return row(con, SIGNUPS_SQL, p)


def headline(con, p: dict) -> dict:
    """Every metric id of 'Volume versus quality'."""
    return {
        **volume(con, p),
        **mql_to_customer_rate(con, p),
        **qualified_win_rate(con, p),
        **signups(con, p),
    }


# --- breakdowns ---------------------------------------------------------------------

BY_MONTH_SQL = compose(f"""
with
period_people as (
    select date_trunc('month', created_date)::date as month,
        count(*) as leads,
        count(*) filter (where is_target_account) as target_leads
    from f_people where created_date between $period_start and $period_end group by 1
),

period_mqls as (
    select date_trunc('month', mql_date)::date as month, count(*) as mqls
    from f_people where mql_date between $period_start and $period_end group by 1
),

period_qualified as (
    select date_trunc('month', qualified_date)::date as month,
        count(*) as qualified_opportunities,
        {known_sum('amount')} as qualified_pipeline
    from qualified group by 1
),

period_signups as (
    select date_trunc('month', signup_date)::date as month,
        count(*) as signups,
        count(*) filter (where activated_date between signup_date
            and least(signup_date + $activation_days::integer, $data_as_of)) as activated_signups
    from f_signups where signup_date between $period_start and $period_end group by 1
)

select
    m.month,
    coalesce(pp.leads, 0) as leads,
    coalesce(pm.mqls, 0) as mqls,
    coalesce(pp.target_leads, 0) as target_leads,
    coalesce(pq.qualified_opportunities, 0) as qualified_opportunities,
    case when pq.month is null then 0 else pq.qualified_pipeline end::double
        as qualified_pipeline,
    coalesce(ps.signups, 0) as signups,
    coalesce(ps.activated_signups, 0) as activated_signups
from months as m
left join period_people as pp on pp.month = m.month
left join period_mqls as pm on pm.month = m.month
left join period_qualified as pq on pq.month = m.month
left join period_signups as ps on ps.month = m.month
order by m.month
""")


def by_month(con, p: dict) -> pd.DataFrame:
    """Columns: month, leads, mqls, target_leads, qualified_opportunities,
    qualified_pipeline, signups, activated_signups (one row per month in [start, end])."""
    return query(con, BY_MONTH_SQL, p)


BY_CHANNEL_SQL = compose(f"""
with
lead_counts as (
    select channel,
        count(*) filter (where created_date between $period_start and $period_end) as leads,
        count(*) filter (where mql_date between $period_start and $period_end) as mqls
    from f_people group by channel
),

pipeline as (
    select channel_key as channel, count(*) as qualified_opportunities,
        {known_sum('amount')} as qualified_pipeline
    from qualified group by 1
),

customers as (
    select channel, count(*) as won_customers from new_customers group by channel
),

mql_outcomes as (
    select m.channel, count(c.person_id) as mql_customers
    from mql_cohort as m
    left join mql_converted as c on c.person_id = m.person_id
    group by m.channel
),

channels as (
    select channel from lead_counts where leads > 0 or mqls > 0
    union select channel from pipeline
    union select channel from customers
),

joined as (
    select
        c.channel,
        coalesce(l.leads, 0) as leads,
        coalesce(l.mqls, 0) as mqls,
        coalesce(q.qualified_opportunities, 0) as qualified_opportunities,
        case when q.channel is null then 0 else q.qualified_pipeline end::double
            as qualified_pipeline,
        coalesce(w.won_customers, 0) as won_customers,
        coalesce(mo.mql_customers, 0) as mql_customers
    from channels as c
    left join lead_counts as l on l.channel = c.channel
    left join pipeline as q on q.channel = c.channel
    left join customers as w on w.channel = c.channel
    left join mql_outcomes as mo on mo.channel = c.channel
)

select
    *,
    mql_customers / nullif(mqls, 0) as mql_to_customer_rate,
    mqls / nullif(sum(mqls) over (), 0) as mql_share,
    qualified_pipeline / nullif(sum(qualified_pipeline) over (), 0) as pipeline_share
from joined
order by qualified_pipeline desc, mqls desc, channel
""")


def by_channel(con, p: dict) -> pd.DataFrame:
    """Columns: channel, leads, mqls, qualified_opportunities, qualified_pipeline (NaN when
    the channel's qualified deals have no amount), won_customers (new customers whose first
    won deal came from the channel), mql_customers (MQLs of the period whose account became a
    customer, the cohort of mql_to_customer_rate), mql_to_customer_rate, mql_share,
    pipeline_share (shares of the period's totals; NaN when the total is 0).
    People are counted by their channel, opportunities by the deal's channel."""
    return query(con, BY_CHANNEL_SQL, p)


def channel_ranking(con, p: dict) -> pd.DataFrame:
    """The channel ranking under each lens, showing which channels the MQL lens flatters.

    Columns: channel, mqls, mql_customers, mql_to_customer_rate, won_customers (new
    customers whose first won deal came from the channel), qualified_pipeline, marketing_cac,
    rank_by_mqls (1 = most
    MQLs), rank_by_pipeline (1 = most qualified pipeline), rank_by_cac (1 = lowest
    marketing CAC; channels without a defined CAC rank last), flattered (True when the
    channel ranks at least `max(2, ceil(n / 4))` places better by MQLs than by pipeline
    or by CAC, among n channels with MQLs or pipeline).
    """
    lens = by_channel(con, p)
    cac = cost.by_channel(con, p)[["channel", "marketing_cac"]]
    df = lens.merge(cac, on="channel", how="left")[
        ["channel", "mqls", "mql_customers", "mql_to_customer_rate", "won_customers",
         "qualified_pipeline", "marketing_cac"]]
    df = df[(df["mqls"] > 0) | (df["qualified_pipeline"].fillna(0) > 0)].reset_index(drop=True)
    df["rank_by_mqls"] = df["mqls"].rank(ascending=False, method="min").astype(int)
    df["rank_by_pipeline"] = (df["qualified_pipeline"].rank(ascending=False, method="min",
                                                            na_option="bottom").astype(int))
    df["rank_by_cac"] = (df["marketing_cac"].rank(method="min", na_option="bottom")
                         .astype(int))
    gap = max(2, math.ceil(len(df) / 4))
    worse = df[["rank_by_pipeline", "rank_by_cac"]].max(axis=1)
    df["flattered"] = (worse - df["rank_by_mqls"]) >= gap
    return df.sort_values(["rank_by_mqls", "channel"]).reset_index(drop=True)


BY_SEGMENT_SQL = compose("""
with
people_seg as (
    select coalesce(segment, 'unknown') as segment,
        count(*) filter (where created_date between $period_start and $period_end) as leads,
        count(*) filter (where mql_date between $period_start and $period_end) as mqls
    from f_people group by 1
),

opps_seg as (
    select coalesce(segment, 'unknown') as segment, count(*) as qualified_opportunities,
        coalesce(sum(amount), 0) as qualified_pipeline
    from qualified group by 1
),

win_seg as (
    select coalesce(segment, 'unknown') as segment,
        count(*) filter (where is_won) / nullif(count(*), 0) as qualified_win_rate
    from closed_qualified group by 1
),

cust_seg as (
    select segment, count(*) as new_customers from new_customers group by 1
),

segments as (
    select segment from people_seg where leads > 0 or mqls > 0
    union select segment from opps_seg
    union select segment from win_seg
    union select segment from cust_seg
)

select
    s.segment,
    coalesce(ps.leads, 0) as leads,
    coalesce(ps.mqls, 0) as mqls,
    coalesce(os.qualified_opportunities, 0) as qualified_opportunities,
    coalesce(os.qualified_pipeline, 0)::double as qualified_pipeline,
    ws.qualified_win_rate,
    coalesce(cs.new_customers, 0) as new_customers
from segments as s
left join people_seg as ps on ps.segment = s.segment
left join opps_seg as os on os.segment = s.segment
left join win_seg as ws on ws.segment = s.segment
left join cust_seg as cs on cs.segment = s.segment
order by qualified_pipeline desc, s.segment
""")


def by_segment(con, p: dict) -> pd.DataFrame:
    """Columns: segment ('unknown' for people without an account), leads, mqls,
    qualified_opportunities, qualified_pipeline, qualified_win_rate, new_customers."""
    return query(con, BY_SEGMENT_SQL, p)


def stage_table(con) -> pd.DataFrame:
    """Win rate by stage over the whole dataset (what `auto` chooses from; not filtered).
    Columns: stage, sort_order, reached_closed, reached_won, win_rate (NaN: none closed)."""
    return query(con, STAGE_WIN_RATES)
