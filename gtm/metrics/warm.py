"""Warm starts: does a new opportunity start in a warm room or a cold one?

metrics.md v2 ("sales should walk into warm rooms"): a new-business opportunity is a *warm
start* when, in the $warm_days days before its created_date (touches dated on or after
created_date - $warm_days and before created_date), at least $warm_people people of its
account made at least $warm_touches touches in total on channels other than the sales-owned
ones ($sales_channels, default outbound). Warm-start rate = warm starts / new-business
opportunities created in period; warm and cold win rates are the qualified win rate of each
kind among the deals closed in period (the closed_qualified population).

Whether a deal started warm is a fact about the deal, so the touches are read unfiltered
(int_touches: a channel filter narrows the deals by their own channel, not the touches that
warmed them). A deal without an account has no people: it is a cold start.
"""

from __future__ import annotations

import pandas as pd

from gtm.db import query, row
from gtm.metrics.sql import compose, define

# New-business deals the warm metrics read: created in period, or qualified deals closed in
# period (the win-rate population), each marked by which it is.
define("warm_opps", """
    select opportunity_id, account_key, account_id, created_date, is_closed, is_won,
        qualified_date, close_date, amount, coalesce(segment, 'unknown') as segment,
        coalesce(channel, 'unknown') as channel_key,
        created_date between $period_start and $period_end as created_in_period,
        is_closed and qualified_date <= $period_end
            and close_date between $period_start and $period_end as closed_in_period,
        is_won and close_date between $period_start and $period_end as won_in_period
    from nb_opps
    where created_date between $period_start and $period_end
       or (is_closed and close_date between $period_start and $period_end)""")

define("warm_window_touches", """
    select o.opportunity_id, t.person_key, t.touch_day, t.channel, t.touch_type
    from warm_opps as o
    join int_touches as t on t.account_key = o.account_key
    where t.touch_day >= o.created_date - $warm_days::integer
      and t.touch_day < o.created_date
      and not list_contains($sales_channels::varchar[], lower(t.channel))""")

define("warm_flags", """
    select o.*, coalesce(w.people, 0) as window_people, coalesce(w.touches, 0) as window_touches,
        coalesce(w.people, 0) >= $warm_people and coalesce(w.touches, 0) >= $warm_touches
            as is_warm
    from warm_opps as o
    left join (
        select opportunity_id, count(distinct person_key) as people, count(*) as touches
        from warm_window_touches
        group by opportunity_id
    ) as w on w.opportunity_id = o.opportunity_id""")

# Without touches nothing can be warm: the rates are unknown (NULL), not "every start cold".
HEADLINE_SQL = compose("""
select
    count(*) filter (where created_in_period) as opportunities,
    case when exists (select 1 from touches) then
        count(*) filter (where created_in_period and is_warm)
        / nullif(count(*) filter (where created_in_period), 0) end as warm_start_rate,
    case when exists (select 1 from touches) then
        count(*) filter (where closed_in_period and is_warm and is_won)
        / nullif(count(*) filter (where closed_in_period and is_warm), 0) end as warm_win_rate,
    case when exists (select 1 from touches) then
        count(*) filter (where closed_in_period and not is_warm and is_won)
        / nullif(count(*) filter (where closed_in_period and not is_warm), 0) end
        as cold_win_rate
from warm_flags
""")


def headline(con, p: dict) -> dict:
    """opportunities (new business created in period), warm_start_rate, warm_win_rate,
    cold_win_rate: the 'all' row of `breakdown`, for what reads only the whole view."""
    return row(con, HEADLINE_SQL, p)


# Warm against cold by segment or channel ($by), with a total row ('all'): starts, warm
# starts and rate; win rate, average won amount and median sales cycle of each kind.
BREAKDOWN_SQL = compose("""
with
flagged as (
    select *, case when $by = 'segment' then segment else channel_key end as grp
    from warm_flags
)

select coalesce(grp, 'all') as grp, grouping(grp) as is_total,
    count(*) filter (where created_in_period) as opportunities,
    count(*) filter (where created_in_period and is_warm) as warm_starts,
    count(*) filter (where created_in_period and is_warm)
        / nullif(count(*) filter (where created_in_period), 0) as warm_start_rate,
    count(*) filter (where closed_in_period and is_warm) as warm_closed,
    count(*) filter (where closed_in_period and is_warm and is_won)
        / nullif(count(*) filter (where closed_in_period and is_warm), 0) as warm_win_rate,
    count(*) filter (where closed_in_period and not is_warm) as cold_closed,
    count(*) filter (where closed_in_period and not is_warm and is_won)
        / nullif(count(*) filter (where closed_in_period and not is_warm), 0) as cold_win_rate,
    avg(amount) filter (where won_in_period and is_warm) as warm_avg_won,
    avg(amount) filter (where won_in_period and not is_warm) as cold_avg_won,
    quantile_cont(close_date - qualified_date, 0.5) filter (where won_in_period and is_warm)
        as warm_cycle_days,
    quantile_cont(close_date - qualified_date, 0.5) filter (where won_in_period and not is_warm)
        as cold_cycle_days
from flagged
group by grouping sets ((grp), ())
order by is_total desc, opportunities desc, grp
""")

BREAKDOWN_FLOATS = ("warm_start_rate", "warm_win_rate", "cold_win_rate", "warm_avg_won",
                    "cold_avg_won", "warm_cycle_days", "cold_cycle_days")


def breakdown(con, p: dict, by: str = "segment") -> pd.DataFrame:
    """Warm against cold per segment or channel (`by`), the first row the whole view
    ('all'): opportunities (created in period), warm_starts, warm_start_rate, warm_closed,
    warm_win_rate, cold_closed, cold_win_rate, warm/cold_avg_won, warm/cold_cycle_days."""
    if by not in ("segment", "channel"):
        raise ValueError(f"warm starts break down by segment or channel (got {by!r})")
    df = query(con, BREAKDOWN_SQL, {**p, "by": by}).drop(columns=["is_total"])
    return df.rename(columns={"grp": by}).astype({c: "float64" for c in BREAKDOWN_FLOATS})


# Per opportunity: warm or cold and what made it so (people and touches in the window).
AUDIT_SQL = compose("""
select f.opportunity_id, coalesce(a.name, f.account_id) as account, f.account_id,
    f.created_date, f.segment, f.channel_key as channel, f.is_warm, f.window_people,
    f.window_touches,
    case when f.is_won then 'won' when f.is_closed then 'lost' else 'open' end as status,
    f.amount, f.close_date
from warm_flags as f
left join accounts as a on a.account_id = f.account_id
where f.created_in_period or f.closed_in_period
order by f.is_warm desc, f.window_touches desc, f.created_date, f.opportunity_id
""")


def audit(con, p: dict) -> pd.DataFrame:
    """Every deal behind the figures: opportunity_id, account, account_id, created_date,
    segment, channel, is_warm, window_people, window_touches, status, amount, close_date."""
    return query(con, AUDIT_SQL, p)


# The touches in each deal's window (channels outside the sales-owned ones), with who.
TOUCHES_SQL = compose("""
select w.opportunity_id, p.person_id, p.title, p.buying_role, w.touch_day, w.channel,
    w.touch_type
from warm_window_touches as w
join int_people as p on p.person_key = w.person_key
where $opportunity is null or w.opportunity_id = $opportunity
order by w.opportunity_id, w.touch_day, p.person_id
""")


def window_touches(con, p: dict, opportunity: str | None = None) -> pd.DataFrame:
    """The touches that count for warm starts (one deal's, or every deal's): opportunity_id,
    person_id, title, buying_role, touch_day, channel, touch_type."""
    return query(con, TOUCHES_SQL, {**p, "opportunity": opportunity})
