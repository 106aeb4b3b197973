"""Velocity and fail-fast: how fast pipeline qualifies, closes, and says no.

Every opportunity metric here reads new-business opportunities of the filter
(DECISIONS.md: the pipeline of this dashboard is new business). Medians and the 75th
percentile are DuckDB `quantile_cont` (linear interpolation: the median of 44 and 47
days is 45.5). "Open" is judged as of the period end $period_end: not closed, or closed
after $period_end.
"""

from __future__ import annotations

import pandas as pd

from gtm.db import query, row
from gtm.metrics.sql import compose, define, known_sum

# Won / lost new-business deals closed in period, with their day counts.
define("won", """
    select *, close_date - qualified_date as cycle_days
    from nb_opps
    where is_won and close_date between $period_start and $period_end""")

define("lost", """
    select *, close_date - created_date as days_to_no
    from nb_opps
    where is_closed and not is_won and close_date between $period_start and $period_end""")

CLOCKS_SQL = compose(f"""
with
stage0 as (
    select qualified_date - created_date as days
    from nb_opps where qualified_date between $period_start and $period_end
),

people_no as (
    select disqualified_date - created_date as days
    from f_people where disqualified_date between $period_start and $period_end
)

select
    (select quantile_cont(days, 0.5) from stage0) as stage0_days_median,
    (select quantile_cont(days, 0.75) from stage0) as stage0_days_p75,
    (select quantile_cont(cycle_days, 0.5) from won) as sales_cycle_days_median,
    (select quantile_cont(days_to_no, 0.5) from lost) as time_to_no_days_median,
    (select quantile_cont(days, 0.5) from people_no) as time_to_no_people_days_median,
    (select count(*) from open_age where days_since_change > $stale_days)
        as stale_pipeline_count,
    (select {known_sum('amount')} from open_age where days_since_change > $stale_days)::double
        as stale_pipeline_amount
""")


def clocks(con, p: dict) -> dict:
    """stage0_days_median/p75, sales_cycle_days_median, time_to_no_days_median,
    time_to_no_people_days_median, stale_pipeline_count, stale_pipeline_amount."""
    return row(con, CLOCKS_SQL, p)


# Open qualified opportunities x qualified win rate x average won amount / average
# sales cycle days; the win rate is the qualified win rate (sql.py closed_qualified).
VELOCITY_SQL = compose("""
with
parts as (
    select
        (select count(*) from open_at_end where qualified_date <= $period_end) as open_qualified,
        (select count(*) filter (where is_won) / nullif(count(*), 0) from closed_qualified)
            as win_rate,
        (select avg(amount) from won) as avg_won_amount,
        (select avg(cycle_days) from won where cycle_days is not null) as avg_cycle_days
)

select open_qualified * win_rate * avg_won_amount / nullif(avg_cycle_days, 0)
    as sales_velocity_per_day
from parts
""")


def sales_velocity(con, p: dict) -> dict:
    return row(con, VELOCITY_SQL, p)


def headline(con, p: dict) -> dict:
    """Every metric id of 'Velocity and fail-fast' (spec and extensions)."""
    return {**clocks(con, p), **sales_velocity(con, p)}


# --- breakdowns ---------------------------------------------------------------------

# An opportunity is in the pipeline from its entry date (created, or qualified when
# qualified_only) until it closes; closing is never before entry, so the bridge
# opening + created - won - lost = closing holds for every opportunity.
# Closed deals without a close_date never enter it.
WATERFALL_SQL = compose("""
with
spans as (
    select
        opportunity_id,
        amount,
        is_won,
        close_date,
        case when $qualified_only then qualified_date else created_date end as entered,
        case when is_closed then greatest(close_date,
            case when $qualified_only then qualified_date else created_date end) end as left_on
    from nb_opps
    where not (is_closed and close_date is null)
),

flags as (
    select *,
        entered <= $period_start::date - 1 and (left_on is null or left_on > $period_start::date - 1)
            as open_before,
        entered <= $period_end and (left_on is null or left_on > $period_end) as open_after,
        entered between $period_start and $period_end as entered_in,
        left_on between $period_start and $period_end as left_in
    from spans
    where entered is not null
),

step_list as (
    select * from (values
        (1, 'opening', 'total'), (2, 'created', 'increase'), (3, 'won', 'decrease'),
        (4, 'lost', 'decrease'), (5, 'closing', 'total'), (6, 'pushed_out', 'note'),
        (7, 'overdue', 'note')
    ) as t(pos, step, kind)
),

hits as (
    select 1 as pos, open_before as hit, amount from flags
    union all select 2, entered_in, amount from flags
    union all select 3, left_in and is_won, amount from flags
    union all select 4, left_in and not is_won, amount from flags
    union all select 5, open_after, amount from flags
    union all select 6, open_after and close_date between $period_start and $period_end, amount from flags
    union all select 7, open_after and close_date <= $period_end, amount from flags
)

select s.step, s.kind,
    case when count(h.pos) filter (where h.hit) = 0 then 0
         else sum(h.amount) filter (where h.hit) end::double as amount,
    count(h.pos) filter (where h.hit) as count,
    count(h.amount) filter (where h.hit) as amount_known
from step_list as s
left join hits as h on h.pos = s.pos
group by s.pos, s.step, s.kind
order by s.pos
""")


def pipeline_waterfall(con, p: dict, qualified_only: bool = False) -> pd.DataFrame:
    """Columns: step, kind, amount (sum of the known amounts; NaN when none of the step's
    deals has an amount: unknown, not $0), count, amount_known (deals with an amount). Steps:
    opening (open on the day before
    start), created (entered in period; 'qualified' entry when qualified_only),
    won, lost (closed in period), closing (open at end), pushed_out (kind 'note': part
    of closing, open deals whose expected close_date fell in the period; not a
    subtraction), overdue (kind 'note': part of closing, open deals whose expected
    close_date is on or before the end, in the period or earlier).
    opening + created - won - lost = closing, in amount and count."""
    df = query(con, WATERFALL_SQL, {**p, "qualified_only": qualified_only})
    if qualified_only:
        df.loc[df["step"] == "created", "step"] = "qualified"
    return df


STAGE0_BY_MONTH_SQL = compose("""
with
stage0 as (
    select date_trunc('month', qualified_date)::date as month,
        qualified_date - created_date as days
    from nb_opps where qualified_date between $period_start and $period_end
)

select m.month,
    count(s.days) as qualified_opportunities,
    quantile_cont(s.days, 0.5) as stage0_days_median,
    quantile_cont(s.days, 0.75) as stage0_days_p75
from months as m
left join stage0 as s on s.month = m.month
group by m.month
order by m.month
""")


def stage0_by_month(con, p: dict) -> pd.DataFrame:
    """Columns: month, qualified_opportunities, stage0_days_median, stage0_days_p75
    (by month of qualified_date; NaN when nothing qualified that month)."""
    return query(con, STAGE0_BY_MONTH_SQL, p)


CYCLE_BY_MONTH_SQL = compose("""
with
won_m as (
    select date_trunc('month', close_date)::date as month, cycle_days, amount from won
)

select m.month,
    count(w.month) as won,
    coalesce(sum(w.amount), 0)::double as won_amount,
    quantile_cont(w.cycle_days, 0.5) as sales_cycle_days_median,
    avg(w.cycle_days) as sales_cycle_days_mean
from months as m
left join won_m as w on w.month = m.month
group by m.month
order by m.month
""")


def cycle_by_month(con, p: dict) -> pd.DataFrame:
    """Columns: month, won, won_amount, sales_cycle_days_median, sales_cycle_days_mean
    (won new-business deals by month of close_date; cycle from qualified_date)."""
    return query(con, CYCLE_BY_MONTH_SQL, p)


STALE_LIST_SQL = compose("""
select
    o.opportunity_id,
    a.name as account_name,
    o.stage_at_end as stage,
    o.amount,
    o.days_since_change,
    o.channel,
    o.close_date
from open_age as o
left join accounts as a on a.account_id = o.account_id
where o.days_since_change > $stale_days
order by o.amount desc nulls last, o.days_since_change desc, o.opportunity_id
limit $limit
""")


def stale_list(con, p: dict, limit: int = 50) -> pd.DataFrame:
    """Columns: opportunity_id, account_name, stage (as of the period end), amount,
    days_since_change, channel, close_date; largest amount first."""
    return query(con, STALE_LIST_SQL, {**p, "limit": limit})


DISQUALIFIED_SQL = compose("""
select channel, coalesce(disqualified_reason, 'unspecified') as disqualified_reason,
    count(*) as people
from f_people
where disqualified_date between $period_start and $period_end
group by 1, 2
order by people desc, channel, disqualified_reason
""")


def disqualification_reasons(con, p: dict) -> pd.DataFrame:
    """Columns: channel, disqualified_reason ('unspecified' when empty), people
    (people disqualified in period)."""
    return query(con, DISQUALIFIED_SQL, p)


TIME_TO_NO_SQL = compose("""
select 'opportunity' as kind, opportunity_id as id, coalesce(channel, 'unknown') as channel,
    coalesce(lost_reason, 'unspecified') as reason, days_to_no as days
from lost
union all
select 'person', person_id, channel, coalesce(disqualified_reason, 'unspecified'),
    disqualified_date - created_date
from f_people
where disqualified_date between $period_start and $period_end
order by kind, days, id
""")


def time_to_no(con, p: dict) -> pd.DataFrame:
    """The distributions behind both time-to-no medians, one row per lost deal or
    disqualified person. Columns: kind ('opportunity' | 'person'), id, channel,
    reason (lost or disqualified reason), days."""
    return query(con, TIME_TO_NO_SQL, p)
