"""Targets instead of MQLs: target people, engaged targets, MQL noise, and testing a definition.

metrics.md v2. A *target person* is a person of a target account who matches the target
persona, created on or before the period end; *engaged targets* are the target people with a
touch in period or listed on an opportunity created in period: the count that replaces MQLs.
Target accounts follow the active target definition everywhere through the one flag of
gtm/metrics/sql.py (written at load, gtm/load/staging.py).

The Targets page also tests a *draft* definition before anyone saves it: the draft is
scored at query time by the same relations the loader applies the active one with
(gtm.icp.SCORE_RELATIONS, bound parameters only), and its accounts are grouped (by tier,
targets against the rest, one definition against another, the values of one field) and
each group's outcomes are read from the shared relations: new customers, qualified win
rate, average won amount, sales cycle and NRR, so a definition is judged by what closed
and stayed.
"""

from __future__ import annotations

import pandas as pd

from gtm import icp
from gtm.db import query, row
from gtm.metrics import arr, velocity  # noqa: F401 (their shared relations: won, retention)
from gtm.metrics.sql import compose, define, target_flag

for _name, _body in icp.SCORE_RELATIONS:
    define(_name, _body)

# --- targets where MQLs were (the v2 metric ids) ---------------------------------------------

define("target_people", """
    select person_key, person_id, account_key, account_id, created_date, title, buying_role,
        mql_date
    from f_people
    where is_target_person and created_date <= $period_end""")

# Target people engaged in period: a touch in it, or listed on an opportunity created in it.
define("engaged_target_people", """
    select person_key from f_touches
    where is_target_person and touch_day between $period_start and $period_end
    union
    select c.person_key
    from int_opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.created_date between $period_start and $period_end""")

define("engaged_targets", """
    select * from target_people
    where person_key in (select person_key from engaged_target_people)""")

# A count that needs accounts is unknown (NULL) without an accounts file, not 0; so is an
# engagement count without touches and deal contacts.
HEADLINE_SQL = compose("""
with
known as (
    select exists (select 1 from accounts) as accounts,
        exists (select 1 from touches) or exists (select 1 from opportunity_contacts)
            as engagement
),

mqls as (
    select count(*) as mqls,
        count(*) filter (where not (is_target_person and created_date <= $period_end)) as noise
    from f_people
    where mql_date between $period_start and $period_end
)

select
    case when k.accounts then (select count(*) from target_people) end as target_people,
    case when k.accounts and k.engagement then (select count(*) from engaged_targets) end
        as engaged_targets,
    case when k.accounts and k.engagement
        then (select count(distinct account_key) from engaged_targets) end
        as engaged_target_accounts,
    case when k.accounts then m.noise / nullif(m.mqls, 0) end as mql_noise_share
from known as k, mqls as m
""")


def headline(con, p: dict) -> dict:
    """target_people, engaged_targets, engaged_target_accounts, mql_noise_share."""
    return row(con, HEADLINE_SQL, p)


# Per calendar month of the period: MQLs (and how many are noise) beside the target people
# engaged in the month (created by its end) and their accounts.
BY_MONTH_SQL = compose("""
with
engaged_months as (
    select distinct person_key, date_trunc('month', touch_day)::date as month
    from f_touches
    where is_target_person and touch_day between $period_start and $period_end
    union
    select c.person_key, date_trunc('month', o.created_date)::date as month
    from int_opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.created_date between $period_start and $period_end
),

engaged as (
    select e.month, count(*) as engaged_targets,
        count(distinct tp.account_key) as engaged_target_accounts
    from engaged_months as e
    join target_people as tp on tp.person_key = e.person_key
    where tp.created_date < e.month + interval 1 month
    group by e.month
),

month_mqls as (
    select date_trunc('month', mql_date)::date as month, count(*) as mqls,
        count(*) filter (where not (is_target_person and created_date <= $period_end))
            as noise_mqls
    from f_people
    where mql_date between $period_start and $period_end
    group by 1
)

select m.month,
    coalesce(q.mqls, 0) as mqls,
    coalesce(q.noise_mqls, 0) as noise_mqls,
    coalesce(e.engaged_targets, 0) as engaged_targets,
    coalesce(e.engaged_target_accounts, 0) as engaged_target_accounts,
    q.noise_mqls / nullif(q.mqls, 0) as mql_noise_share
from months as m
left join month_mqls as q on q.month = m.month
left join engaged as e on e.month = m.month
order by m.month
""")


def by_month(con, p: dict) -> pd.DataFrame:
    """month, mqls, noise_mqls, engaged_targets, engaged_target_accounts, mql_noise_share
    (NaN in a month without MQLs). Engaged targets count distinct people per month, so the
    months do not add up to the period's headline (the noise MQLs do)."""
    return query(con, BY_MONTH_SQL, p).astype({"mql_noise_share": "float64"})


# The market the growth equation and the plan check measure against (metrics.md v2): the
# target accounts of the filter (x the buying-group size), or the target people.
MARKET_SQL = compose("""
select (select count(*) from targets) as target_accounts,
    (select count(*) from target_people) as target_people
""")


def market(con, p: dict) -> dict:
    """target_accounts and target_people of the view (at the period end)."""
    return row(con, MARKET_SQL, p)


# --- scoring a draft definition --------------------------------------------------------------


def _p(p: dict, definition: icp.Definition | None) -> dict:
    return {**p, **icp.params(definition)}


SCORED_SQL = compose("""
select a.account_key, a.account_id, coalesce(a.name, a.account_id) as account, a.region,
    a.segment, s.fit, s.tier, s.is_target, s.rules_matched, s.has_data,
    a.is_target_account as target_now
from f_accounts as a
join icp_accounts as s on s.account_key = a.account_key
order by s.fit desc, a.account_id
""")


def scored(con, p: dict, definition: icp.Definition) -> pd.DataFrame:
    """Every account of the filter under `definition`: fit, tier, is_target, rules_matched
    (rule numbers), has_data (a value for at least one rule's field), and target_now (a
    target account of the dataset as it is: the active definition, else the v1 rule)."""
    return query(con, SCORED_SQL, _p(p, definition)).astype({"fit": "float64"})


# What the draft changes, in one row: its target accounts against the target accounts every
# page counts now (the active definition, else the v1 rule), and how many accounts match
# each rule (rule_counts: one number per rule, in order).
DRAFT_COUNTS_SQL = compose("""
with
draft as (
    select a.account_key, s.is_target, a.is_target_account as target_now, s.rules_matched
    from f_accounts as a
    join icp_accounts as s on s.account_key = a.account_key
),

matched as (
    select unnest(rules_matched) as rule_no from draft
),

per_rule as (
    select list(coalesce(m.n, 0) order by r.rule_no) as rule_counts
    from icp_rules as r
    left join (select rule_no, count(*) as n from matched group by rule_no) as m
        on m.rule_no = r.rule_no
)

select count(*) filter (where is_target) as draft_targets,
    count(*) filter (where target_now) as now_targets,
    count(*) filter (where is_target and not target_now) as added,
    count(*) filter (where target_now and not is_target) as removed,
    (select rule_counts from per_rule) as rule_counts
from draft
""")


def draft_counts(con, p: dict, definition: icp.Definition) -> dict:
    """draft_targets, now_targets, added, removed and rule_counts (accounts matching each
    rule, in rule order) of the filter under a draft."""
    found = query(con, DRAFT_COUNTS_SQL, _p(p, definition)).iloc[0]
    counts = found["rule_counts"]
    out = {k: int(found[k]) for k in ("draft_targets", "now_targets", "added", "removed")}
    return {**out, "rule_counts": [] if counts is None else [int(n) for n in counts]}


V1_TARGETS_SQL = compose(f"""
select account_key from f_accounts
where {target_flag('null', 'is_target', 'fit_score')}
""")


def target_keys(con, p: dict, definition: icp.Definition | None) -> frozenset[int]:
    """The target accounts (keys) of the filter under `definition`; None: the v1 rule
    (is_target, else fit_score >= the ICP threshold), whatever is active."""
    if definition is None:
        keys = query(con, V1_TARGETS_SQL, p)["account_key"]
    else:
        frame = scored(con, p, definition)
        keys = frame.loc[frame["is_target"], "account_key"]
    return frozenset(int(k) for k in keys)


# --- outcomes of groups of accounts -------------------------------------------------------

# The outcomes of each group of `account_groups` (account_key, grp; an account may be in
# several groups): accounts of the filter, new customers, the qualified win rate of deals
# closed in period, the average won amount and median sales cycle of deals won in period, and
# NRR over 12 months (metrics.md v2 "Outcomes by tier").
OUTCOMES = """
grouped as (
    select distinct g.grp, a.account_key, a.account_id
    from account_groups as g
    join f_accounts as a on a.account_key = g.account_key
),

group_accounts as (
    select grp, count(*) as accounts from grouped group by grp
),

group_customers as (
    select g.grp, count(*) as new_customers
    from new_customers as nc
    join grouped as g on g.account_id = nc.account_id
    group by g.grp
),

group_closed as (
    select g.grp, count(*) as closed_qualified, count(*) filter (where c.is_won) as won_qualified
    from closed_qualified as c
    join grouped as g on g.account_key = c.account_key
    group by g.grp
),

group_won as (
    select g.grp, count(*) as won_deals, avg(w.amount) as avg_won_amount,
        quantile_cont(w.cycle_days, 0.5) as sales_cycle_days
    from won as w
    join grouped as g on g.account_key = w.account_key
    group by g.grp
),

group_retention as (
    select g.grp, sum(coalesce(r.arr_now, 0))::double / nullif(sum(r.arr_then), 0)::double
        as nrr_12m
    from retention as r
    join grouped as g on g.account_id = r.account_id
    group by g.grp
),

group_outcomes as (
    select a.grp, a.accounts,
        coalesce(c.new_customers, 0) as new_customers,
        coalesce(c.new_customers, 0) / nullif(a.accounts, 0) as customer_rate,
        coalesce(q.closed_qualified, 0) as closed_qualified,
        q.won_qualified / nullif(q.closed_qualified, 0) as qualified_win_rate,
        coalesce(w.won_deals, 0) as won_deals,
        w.avg_won_amount, w.sales_cycle_days, r.nrr_12m
    from group_accounts as a
    left join group_customers as c on c.grp = a.grp
    left join group_closed as q on q.grp = a.grp
    left join group_won as w on w.grp = a.grp
    left join group_retention as r on r.grp = a.grp
)"""

OUTCOME_COLUMNS = ("accounts", "new_customers", "customer_rate", "closed_qualified",
                   "qualified_win_rate", "won_deals", "avg_won_amount", "sales_cycle_days",
                   "nrr_12m")
_FLOATS = {c: "float64" for c in ("customer_rate", "qualified_win_rate", "avg_won_amount",
                                  "sales_cycle_days", "nrr_12m")}

GROUPS_SQL = compose(f"""
with
account_groups as (
    select unnest($group_keys::integer[]) as account_key,
        unnest($group_labels::varchar[]) as grp
),
{OUTCOMES}

select * from group_outcomes
""")


def outcomes(con, p: dict, groups: dict[str, frozenset[int] | list[int]]) -> pd.DataFrame:
    """One row per group (label -> account keys), in the order given, with OUTCOME_COLUMNS;
    a group without an account of the filter has 0 accounts and n/a rates."""
    keys = [int(k) for keys in groups.values() for k in keys]
    labels = [label for label, keys in groups.items() for _ in keys]
    found = query(con, GROUPS_SQL, {**p, "group_keys": keys, "group_labels": labels})
    frame = found.set_index("grp").reindex(list(groups))
    for column in ("accounts", "new_customers", "closed_qualified", "won_deals"):
        frame[column] = frame[column].fillna(0).astype("int64")
    return frame.rename_axis("group").reset_index().astype(_FLOATS)


OUTSIDE = "outside (no data)"  # accounts with no value for any of the definition's fields


def tier_outcomes(con, p: dict, definition: icp.Definition) -> pd.DataFrame:
    """Outcomes by tier A, B, C, and for the accounts outside the definition (no value for
    any rule's field: they score 0, below C's scored accounts; DECISIONS.md)."""
    frame = scored(con, p, definition)
    outside = ~frame["has_data"].fillna(False).astype(bool)
    groups = {f"tier {t}": frame.loc[(frame["tier"] == t) & ~outside, "account_key"].tolist()
              for t in icp.TIERS}
    groups[OUTSIDE] = frame.loc[outside, "account_key"].tolist()
    out = outcomes(con, p, groups)
    out.insert(1, "target", [t <= definition.target_tier for t in icp.TIERS] + [False])
    return out


def target_outcomes(con, p: dict, definition: icp.Definition) -> pd.DataFrame:
    """Outcomes of the definition's target accounts against every other account."""
    frame = scored(con, p, definition)
    return outcomes(con, p, {"targets": frame.loc[frame["is_target"], "account_key"].tolist(),
                             "the rest": frame.loc[~frame["is_target"], "account_key"].tolist()})


def compare(con, p: dict, before: icp.Definition | None, after: icp.Definition | None) -> dict:
    """Two definitions side by side (None: the v1 rule): the target accounts each gives, the
    accounts added and removed, and the outcomes of both target lists and of the changes."""
    a, b = target_keys(con, p, before), target_keys(con, p, after)
    groups = {"targets before": a, "targets after": b, "added": b - a, "removed": a - b,
              "kept": a & b}
    return {"before": len(a), "after": len(b), "added": len(b - a), "removed": len(a - b),
            "kept": len(a & b), "outcomes": outcomes(con, p, groups)}


# --- the evidence for a rule: outcomes per value of one field ------------------------------

FIELDS_SQL = "select field, kind, accounts from int_account_field_list order by position"


def fields(con) -> pd.DataFrame:
    """Every field a rule can read: field, kind (number | text | list), accounts with a value."""
    return query(con, FIELDS_SQL)


# Text fields: each value (case-insensitive, shown as most often written), the $limit values
# with most accounts and the rest as one group; numbers: five bins at the quintiles (equal
# values share a bin); and the accounts without a value.
EVIDENCE_SQL = compose(f"""
with
field_values as (
    select account_key, value, num from int_account_fields where field = $field
),

value_ranks as (
    select lower(value) as value_key, mode(value) as label,
        row_number() over (order by count(distinct account_key) desc, lower(value)) as value_rank
    from field_values
    group by lower(value)
),

edges as (
    select quantile_disc(num, 0.2) as q1, quantile_disc(num, 0.4) as q2,
        quantile_disc(num, 0.6) as q3, quantile_disc(num, 0.8) as q4
    from field_values
),

account_groups as (
    select v.account_key,
        case when r.value_rank <= $limit then r.label else '(other values)' end as grp
    from field_values as v
    join value_ranks as r on r.value_key = lower(v.value)
    where not $numeric
    union all
    select v.account_key,
        case when v.num <= e.q1 then 'bin 1' when v.num <= e.q2 then 'bin 2'
             when v.num <= e.q3 then 'bin 3' when v.num <= e.q4 then 'bin 4'
             else 'bin 5' end as grp
    from field_values as v, edges as e
    where $numeric and v.num is not null
    union all
    select a.account_key, '(no value)' as grp
    from int_account_fields as a
    where a.field = 'account_id'
      and a.account_key not in (select account_key from field_values)
),

bins as (
    select g.grp, min(v.num) as low, max(v.num) as high
    from account_groups as g
    join field_values as v on v.account_key = g.account_key
    where $numeric and g.grp like 'bin %'
    group by g.grp
),
{OUTCOMES}

select o.*, b.low, b.high
from group_outcomes as o
left join bins as b on b.grp = o.grp
""")

NO_VALUE, OTHER = "(no value)", "(other values)"


def evidence(con, p: dict, field: str, numeric: bool, limit: int = 15) -> pd.DataFrame:
    """Per value of `field` (its `limit` most common, the rest as one row; numbers in five
    bins labelled low - high) and for the accounts without a value: value, low, high and the
    OUTCOME_COLUMNS; most accounts first, the other and empty rows last."""
    df = query(con, EVIDENCE_SQL, {**p, "field": field, "numeric": numeric, "limit": limit})
    df = df.rename(columns={"grp": "value"}).astype({**_FLOATS, "low": "float64",
                                                     "high": "float64"})
    last = df["value"].isin([NO_VALUE, OTHER]).astype(int) + (df["value"] == NO_VALUE)
    order = df["value"] if numeric else -df["accounts"]
    df = df.assign(_last=last, _order=order).sort_values(["_last", "_order", "value"])
    return df.drop(columns=["_last", "_order"]).reset_index(drop=True)


# --- who are our targets, and which are engaged? ------------------------------------------

# Every account of the filter under the draft, with its engagement in period (people with a
# touch in it or on a deal created in it, touches, the last touch by the period end), open
# pipeline at the period end and whether it is a customer by then; targets first, engaged
# first, then tier and fit.
ACCOUNT_LIST_SQL = compose("""
with
period_touches as (
    select account_key, count(*) as touches, count(distinct person_key) as touch_people,
        max(touch_day) as last_touch
    from f_touches
    where account_key is not null and touch_day between $period_start and $period_end
    group by account_key
),

deal_people as (
    select o.account_key, count(distinct c.person_key) as deal_people
    from int_opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.created_date between $period_start and $period_end
    group by o.account_key
),

pipeline as (
    select account_key, sum(coalesce(amount, 0)) as open_pipeline
    from open_at_end
    group by account_key
),

customers as (
    select distinct account_id from int_first_wins where close_date <= $period_end
)

select s.account_id, s.account, s.region, s.segment, s.fit, s.tier, s.is_target,
    s.rules_matched, s.target_now,
    greatest(coalesce(t.touch_people, 0), coalesce(d.deal_people, 0)) as engaged_people,
    coalesce(t.touches, 0) as touches, t.last_touch,
    coalesce(pl.open_pipeline, 0) as open_pipeline,
    c.account_id is not null as customer
from (
    select a.account_key, a.account_id, coalesce(a.name, a.account_id) as account, a.region,
        a.segment, i.fit, i.tier, i.is_target, i.rules_matched,
        a.is_target_account as target_now
    from f_accounts as a
    join icp_accounts as i on i.account_key = a.account_key
) as s
left join period_touches as t on t.account_key = s.account_key
left join deal_people as d on d.account_key = s.account_key
left join pipeline as pl on pl.account_key = s.account_key
left join customers as c on c.account_id = s.account_id
order by s.is_target desc, (coalesce(t.touches, 0) + coalesce(d.deal_people, 0) > 0) desc,
    s.tier, s.fit desc, t.last_touch desc nulls last, s.account_id
limit $limit
""")


def account_list(con, p: dict, definition: icp.Definition, limit: int | None = None
                 ) -> pd.DataFrame:
    """The account list for sales follow-up under `definition` (its first `limit` rows, or
    all): account_id, account, region, segment, fit, tier, is_target, rules (the matched
    rules as text), target_now, engaged_people (the larger of people touching in period and
    people on deals created in it), touches, last_touch, open_pipeline, customer."""
    params = {**_p(p, definition), "limit": limit if limit is not None else 2**62}
    df = query(con, ACCOUNT_LIST_SQL, params).astype({"fit": "float64"})
    rules = [icp.rules_text(definition, m) for m in df.pop("rules_matched")]
    df.insert(df.columns.get_loc("is_target") + 1, "rules", rules)
    return df


# The draft's target people: people of its target accounts who match its persona, created by
# the period end, with their engagement in period.
PEOPLE_LIST_SQL = compose(f"""
with
draft_people as (
    select p.person_key, p.person_id, p.title, p.buying_role, p.account_key, p.mql_date,
        p.created_date, i.fit, i.tier
    from f_people as p
    join icp_accounts as i on i.account_key = p.account_key
    where i.is_target and p.created_date <= $period_end
      and {icp.persona_flag('p.buying_role', 'p.title')}
),

person_touches as (
    select person_key, count(*) as touches, max(touch_day) as last_touch
    from f_touches
    where touch_day between $period_start and $period_end
    group by person_key
),

on_deals as (
    select distinct c.person_key
    from int_opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.created_date between $period_start and $period_end
)

select d.person_id, d.title, d.buying_role, a.account_id, coalesce(a.name, a.account_id) as account,
    d.fit, d.tier, d.created_date, d.mql_date,
    t.person_key is not null or o.person_key is not null as engaged,
    coalesce(t.touches, 0) as touches, t.last_touch
from draft_people as d
join f_accounts as a on a.account_key = d.account_key
left join person_touches as t on t.person_key = d.person_key
left join on_deals as o on o.person_key = d.person_key
order by engaged desc, d.tier, d.fit desc, t.last_touch desc nulls last, d.person_id
""")


def people_list(con, p: dict, definition: icp.Definition) -> pd.DataFrame:
    """The draft's target people: person_id, title, buying_role, account_id, account, fit,
    tier, created_date, mql_date, engaged (touch in period or on a deal created in it),
    touches, last_touch; engaged first."""
    return query(con, PEOPLE_LIST_SQL, _p(p, definition)).astype({"fit": "float64"})


DRAFT_PEOPLE_SQL = compose(f"""
with
draft_people as (
    select p.person_key, p.account_key
    from f_people as p
    join icp_accounts as i on i.account_key = p.account_key
    where i.is_target and p.created_date <= $period_end
      and {icp.persona_flag('p.buying_role', 'p.title')}
),

period_people as (
    select person_key from f_touches where touch_day between $period_start and $period_end
    union
    select c.person_key
    from int_opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.created_date between $period_start and $period_end
)

select count(*) as target_people,
    count(*) filter (where person_key in (select person_key from period_people))
        as engaged_targets,
    count(distinct account_key) filter (where person_key in (select person_key from period_people))
        as engaged_target_accounts
from draft_people
""")


def draft_people(con, p: dict, definition: icp.Definition) -> dict:
    """target_people, engaged_targets, engaged_target_accounts under a draft definition."""
    return row(con, DRAFT_PEOPLE_SQL, _p(p, definition))
