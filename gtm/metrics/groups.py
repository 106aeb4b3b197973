"""Buying groups: how many people, in which roles, each account has engaged.

B2B deals are bought by a group (7 to 11 people), so metrics.md measures coverage
of that group rather than lead counts. Engaged people of an account, as of the
period end: people of the account with a touch in the look-back window
(touch_date in (end - lookback_days, end]) or listed in `opportunity_contacts` on
one of its opportunities created on or before the period end. A person's roles are
their `people.buying_role` plus the `role` they hold on the account's deals
(DECISIONS.md "Buying groups"). Also here: win rate by threading and the open deals
that hang on a single contact.
"""

from __future__ import annotations

import pandas as pd

from gtm.db import clean, query
from gtm.metrics import market
from gtm.metrics.sql import OPEN_AT_END, compose, define

# One row per (account, engaged person, role); role may be NULL. Accounts and people are
# their integer keys (gtm/load/staging.py): the distinct counts below run on integers.
# With $targets_only (the headline and the heat map read target accounts only) both
# sources narrow to target accounts first: a tenth of the accounts in the demo, so a tenth
# of the work.
define("lookback_people", """
    select t.account_key, t.person_key, t.buying_role as role
    from f_touches as t
    where t.account_key is not null
      and t.touch_day > $period_end - $lookback_days
      and t.touch_day <= $period_end
      and (not $targets_only or t.is_target_account)""")

define("deal_people", """
    select o.account_key, c.person_key, c.role as deal_role, c.buying_role
    from int_opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.created_date <= $period_end
      and (not $targets_only or o.is_target_account)""")

define("engaged_roles", """
    select account_key, person_key, role from lookback_people
    union all
    select account_key, person_key, buying_role from deal_people
    union all
    select account_key, person_key, deal_role from deal_people""")

# distinct first, then count: DuckDB's grouped count(distinct) is several times slower
define("account_people", """
    select account_key, count(*) as engaged_people
    from (select distinct account_key, person_key from engaged_roles)
    group by account_key""")

define("account_roles", """
    select account_key, count(*) as roles
    from (select distinct account_key, role from engaged_roles
          where list_contains($required_roles, role))
    group by account_key""")

define("coverage", """
    select a.account_id, a.account_key, a.name, a.is_target_account as is_target,
        coalesce(ap.engaged_people, 0) as engaged_people,
        least(coalesce(ap.engaged_people, 0) / nullif($group_size, 0), 1.0) as group_coverage,
        coalesce(ar.roles, 0) / nullif(len($required_roles), 0) as role_coverage
    from f_accounts as a
    left join account_people as ap on ap.account_key = a.account_key
    left join account_roles as ar on ar.account_key = a.account_key
    where not $targets_only or a.is_target_account""")

HEADLINE_SQL = compose("""
select avg(role_coverage) as avg_role_coverage, avg(group_coverage) as avg_group_coverage
from coverage
where is_target
""")


def coverage_headline(con, p: dict) -> dict:
    """Average role and group coverage over the target accounts (None without any)."""
    row = query(con, HEADLINE_SQL, {**p, "targets_only": True}).iloc[0]
    return {k: clean(row[k]) for k in ("avg_role_coverage", "avg_group_coverage")}


def headline(con, p: dict) -> dict:
    """Buying-group and target-market headline metrics (ids of gtm.metrics.registry); `compute`
    runs the two halves as separate parts, the Buying groups tests read them together."""
    return {**market.headline(con, p), **coverage_headline(con, p)}


ROLES_SQL = compose("""
select a.account_id, e.role, count(distinct e.person_key) as people
from engaged_roles as e
join f_accounts as a on a.account_key = e.account_key
where list_contains($required_roles, e.role)
group by a.account_id, e.role
""")


def _role_matrix(con, p: dict) -> pd.DataFrame:
    """account_id x required role: number of engaged people holding the role."""
    long = query(con, ROLES_SQL, {**p, "targets_only": False})
    wide = long.pivot_table(index="account_id", columns="role", values="people",
                            aggfunc="sum", fill_value=0)
    return wide.reindex(columns=list(p["required_roles"]), fill_value=0).astype("int64")


COVERAGE_SQL = compose("""
select account_id, name, is_target, engaged_people, group_coverage, role_coverage
from coverage
order by is_target desc, role_coverage, engaged_people, account_id
""")


def account_coverage(con, p: dict) -> pd.DataFrame:
    """Per account: engaged people, group and role coverage, one bool column per role."""
    df = query(con, COVERAGE_SQL, {**p, "targets_only": False})
    roles = _role_matrix(con, p).reindex(df["account_id"], fill_value=0) > 0
    return pd.concat([df.reset_index(drop=True), roles.reset_index(drop=True)], axis=1)


OPEN_TARGETS_SQL = compose(f"""
with
open_pipeline as (
    select account_id, sum(coalesce(amount, 0)) as open_pipeline
    from f_opps
    where {OPEN_AT_END}
    group by account_id
),

worst as (
    select c.account_id, c.account_key, coalesce(c.name, c.account_id) as account, o.open_pipeline,
        c.role_coverage
    from coverage as c
    join open_pipeline as o on o.account_id = c.account_id
    where c.is_target
    order by c.role_coverage, o.open_pipeline desc, c.account_id
    limit $limit
),

worst_roles as (
    select w.account_id, e.role, count(distinct e.person_key) as people
    from engaged_roles as e
    join worst as w on w.account_key = e.account_key
    where list_contains($required_roles, e.role)
    group by w.account_id, e.role
)

select w.account_id, w.account, w.open_pipeline, w.role_coverage, r.role, r.people
from worst as w
left join worst_roles as r on r.account_id = w.account_id
order by w.role_coverage, w.open_pipeline desc, w.account_id, r.role
""")


def role_heatmap(con, p: dict, limit: int = 40) -> pd.DataFrame:
    """Target accounts with open deals (any type) x required roles: engaged people per role,
    worst role coverage first, then the largest open pipeline (one pass over the engaged
    people: the roles are read for the listed accounts only)."""
    long = query(con, OPEN_TARGETS_SQL, {**p, "targets_only": True, "limit": limit})
    out = long.drop_duplicates("account_id")[["account_id", "account", "open_pipeline",
                                              "role_coverage"]].reset_index(drop=True)
    wide = long.dropna(subset=["role"]).pivot_table(
        index="account_id", columns="role", values="people", aggfunc="sum", fill_value=0)
    roles = wide.reindex(index=out["account_id"], columns=list(p["required_roles"]),
                         fill_value=0).astype("int64")
    out = pd.concat([out, roles.reset_index(drop=True)], axis=1)
    return out.drop(columns=["account_id"])


BUCKETS = ("0", "1", "2-3", "4-6", "7+")

THREADING_SQL = compose("""
with
deal_contacts as (
    select o.opportunity_id, o.is_won, o.qualified_date, o.close_date,
        count(distinct c.person_id) as contacts
    from f_opps as o
    left join opportunity_contacts as c on c.opportunity_id = o.opportunity_id
    where o.is_closed and o.type = 'new_business'
      and o.close_date between $period_start and $period_end
    group by all
),

bucketed as (
    select *,
        case when contacts = 0 then '0' when contacts = 1 then '1'
             when contacts <= 3 then '2-3' when contacts <= 6 then '4-6' else '7+' end as bucket
    from deal_contacts
)

select bucket, count(*) as closed, count(*) filter (where is_won) as won,
    median(close_date - qualified_date) filter (where is_won) as median_cycle_days
from bucketed
group by bucket
""")


def threading(con, p: dict) -> pd.DataFrame:
    """Closed new-business deals by number of contacts: closed, won, win rate, cycle."""
    df = query(con, THREADING_SQL, p).set_index("bucket").reindex(list(BUCKETS))
    df[["closed", "won"]] = df[["closed", "won"]].fillna(0).astype("int64")
    df["win_rate"] = (df["won"] / df["closed"].where(df["closed"] > 0)).astype("float64")
    df["median_cycle_days"] = df["median_cycle_days"].astype("float64")
    return df.reset_index()[["bucket", "closed", "won", "win_rate", "median_cycle_days"]]


SINGLE_THREADED_SQL = compose("""
with
open_deals as (
    select o.opportunity_id, o.account_id, o.stage_at_end as stage, o.amount, o.close_date,
        count(distinct c.person_id) as contacts
    from open_age as o
    left join opportunity_contacts as c on c.opportunity_id = o.opportunity_id
    group by all
)

select d.opportunity_id, d.account_id, coalesce(a.name, d.account_id) as account,
    d.stage, d.amount, d.contacts, d.close_date
from open_deals as d
left join accounts as a on a.account_id = d.account_id
where d.contacts <= 1
order by d.amount desc nulls last, d.opportunity_id
""")


def single_threaded_open(con, p: dict) -> pd.DataFrame:
    """Open new-business deals with at most one contact: the pipeline at risk.

    `stage` is the stage the deal was in at the period end (its latest stage history entry
    by then); without history, its current stage unless that is a closed one (then None),
    so a deal open at the period end never reads "Closed Lost"."""
    return query(con, SINGLE_THREADED_SQL, p)


def single_threaded_total(con, p: dict) -> dict:
    """Count and amount of the single-threaded open pipeline."""
    return single_threaded_summary(single_threaded_open(con, p))


def single_threaded_summary(df: pd.DataFrame) -> dict:
    """Count and amount of a single_threaded_open list (pages have the list already)."""
    return {"single_threaded_open_count": len(df),
            "single_threaded_open_amount": float(df["amount"].fillna(0).sum())}
