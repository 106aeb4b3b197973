"""Shared relations every metric query reads, and `compose`, which includes them by name.

Why: metrics.md says a filter narrows every metric the same way, so the filtered people,
opportunities, touches, signups and spend are defined once here, dbt-style: each shared
relation is one named CTE (`f_people`, `qualified`, `new_customers`, ...), and a metric
query reads them as if they were tables:

    VOLUME = compose('''
        select count(*) as leads from f_people where created_date between $period_start and $period_end
    ''')

`compose` finds the shared relations a query reads (`from x` / `join x`), adds the ones
those read in turn, and writes them in dependency order in front of the query's own
`with` clause, so every query stays readable whole in its own module and no text is ever
inserted into an unfinished CTE. Section modules define the relations only they share
between their own queries with `define` (velocity's open deals, the buying-group
coverage, the ARR movements). Values are always bound parameters (`$period_start`, `$period_end`,
`$regions`, ...; gtm.metrics.base.params lists them), never text.
"""

from __future__ import annotations

import re
import textwrap

CTES: dict[str, str] = {}  # shared relation name -> its select (no trailing semicolon)

_RELATION = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)
_LOCAL = re.compile(r"(?:\bwith\s+|,\s*)([a-z_][a-z0-9_]*)\s+as\s*\(", re.IGNORECASE)
_WITH = re.compile(r"^\s*with\b", re.IGNORECASE)
_COMMENT = re.compile(r"--[^\n]*")


def define(name: str, body: str) -> None:
    """Register a shared relation (once per name: two meanings of one name are a bug)."""
    if name in CTES:
        raise ValueError(f"shared relation {name} is defined twice")
    CTES[name] = textwrap.indent(textwrap.dedent(body).strip(), "    ")


def reads(text: str) -> list[str]:
    """Shared relations a query or relation reads directly, in order of first mention,
    minus the CTEs it defines itself."""
    code = _COMMENT.sub("", text)
    local = {m.lower() for m in _LOCAL.findall(code)}
    found = [m.lower() for m in _RELATION.findall(code)]
    return [n for n in dict.fromkeys(found) if n in CTES and n not in local]


def _order(names: list[str]) -> list[str]:
    """names and everything they read, each after what it reads (depth first)."""
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"shared relations read each other: {' -> '.join(path)}")
        for dep in reads(CTES[name]):
            visit(dep, (*path, name))
        done.append(name)

    for name in names:
        visit(name, ())
    return done


def _definition(name: str) -> str:
    return name + " as (\n" + CTES[name] + "\n)"


def compose(text: str) -> str:
    """The full statement: the shared relations text reads, then text itself."""
    shared = ",\n\n".join(_definition(name) for name in _order(reads(text)))
    if not shared:
        return text
    if _WITH.match(text):
        return "with\n" + shared + ",\n\n" + _WITH.sub("", text, count=1).lstrip()
    return "with\n" + shared + "\n\n" + text.lstrip()


def target_flag(target_def: str, is_target: str, fit_score: str) -> str:
    """SQL: a target account. Where a target definition is active (metrics.md v2), its tier is
    at or above the target tier (`target_def`, written at load for every account; NULL without
    a definition); otherwise the v1 rule: `is_target` where given, else fit_score at or over the
    ICP threshold. The three arguments are column names, never values."""
    return f"coalesce({target_def}, {is_target}, {fit_score} >= $icp_threshold, false)"


def known_sum(column: str) -> str:
    """SQL: the sum of a deal amount column, NULL (unknown, not $0) when there are deals but
    none has an amount; 0 when there are no deals. `column` is a column name, never a value."""
    return f"case when count(*) > 0 and count({column}) = 0 then null " \
           f"else coalesce(sum({column}), 0) end"


# The dimension filter, written once: every relation narrowed by it carries its account's
# region, segment and motion (gtm/load/staging.py). An empty list parameter means "all".
DIMENSIONS = """($regions is null or list_contains($regions, region))
      and ($segments is null or list_contains($segments, segment))
      and ($motions is null or list_contains($motions, motion))"""
CHANNEL = "($channels is null or list_contains($channels, channel))"


# --- the filtered base relations ------------------------------------------------------


define("accounts_m", f"""
    select a.*, {target_flag('a.target_def', 'a.is_target', 'a.fit_score')} as is_target_account
    from int_accounts as a""")

define("f_accounts", f"""
    select * from accounts_m
    where {DIMENSIONS}""")

# A target person (metrics.md v2): a person of a target account who matches the target
# persona (`persona_match`, written at load; every person without a persona).
define("people_m", f"""
    select p.*, {target_flag('p.account_target_def', 'p.account_is_target', 'p.account_fit_score')}
        as is_target_account
    from int_people as p""")

define("f_people", f"""
    select *, is_target_account and persona_match as is_target_person
    from people_m
    where {DIMENSIONS}
      and {CHANNEL}""")

# The qualified date: the one the extract supplies, else the first entry into the
# qualified stage or any later one ($qualified_order, a setting).
define("opps_q", """
    select o.*, coalesce(o.qualified_date, h.first_qualified_date) as qualified_on
    from int_opportunities as o
    left join (
        select opportunity_id, min(entered_date) as first_qualified_date
        from int_stage_entries
        where sort_order >= $qualified_order
        group by opportunity_id
    ) as h on h.opportunity_id = o.opportunity_id""")

define("f_opps", f"""
    select
        o.* exclude (qualified_date, qualified_on, account_is_target, account_fit_score,
                     account_target_def, motion),
        o.qualified_on as qualified_date,
        {target_flag('o.account_target_def', 'o.account_is_target', 'o.account_fit_score')}
            as is_target_account,
        o.motion
    from opps_q as o
    where {DIMENSIONS}
      and {CHANNEL}""")

# touch_day is a date: windows filter on it, so DuckDB reads only their row groups.
define("f_touches", f"""
    select t.*, {target_flag('t.account_target_def', 't.account_is_target', 't.account_fit_score')}
        as is_target_account,
        {target_flag('t.account_target_def', 't.account_is_target', 't.account_fit_score')}
            and t.persona_match as is_target_person
    from int_touches as t
    where {DIMENSIONS}
      and {CHANNEL}""")

# Signups are product-led by definition: a sales-led-only filter leaves none.
define("f_signups", """
    select s.*, a.region, a.segment
    from signups as s
    left join accounts_m as a on a.account_id = s.account_id
    where ($regions is null or list_contains($regions, a.region))
      and ($segments is null or list_contains($segments, a.segment))
      and ($motions is null or list_contains($motions, 'product_led'))
      and ($channels is null or list_contains($channels, s.channel))""")

# Spend rows carry a month, a function and a channel only: the channel filter alone applies.
define("f_spend", f"""
    select * from spend
    where {CHANNEL}""")


# --- relations several sections share ------------------------------------------------------

# New-business opportunities of the filter (the loader fills the type default).
define("nb_opps", "select * from f_opps where type = 'new_business'")

# Open at the period end: created by then and not closed by then (a closed deal without a
# close date is not open).
OPEN_AT_END = "created_date <= $period_end and (not is_closed or close_date > $period_end)"

define("open_at_end", f"select * from nb_opps where {OPEN_AT_END}")

# Last stage change of a deal open at the period end = latest history entry on or before
# $period_end, else created_date; its stage at the period end = that entry's stage, else its
# current stage unless that is a closed one (a deal open at the period end never reads
# "Closed Won": without history its stage then is unknown).
define("last_change", """
    select o.opportunity_id, max(h.entered_date) as changed_on,
        arg_max(h.stage, h.entered_date) as stage_then
    from open_at_end as o
    join opportunity_stages as h
        on h.opportunity_id = o.opportunity_id and h.entered_date <= $period_end
    group by o.opportunity_id""")

define("open_age", """
    select o.*,
        coalesce(lc.stage_then, case when not o.is_closed then o.stage end) as stage_at_end,
        $period_end::date - coalesce(greatest(lc.changed_on, o.created_date), o.created_date)
            as days_since_change
    from open_at_end as o
    left join last_change as lc on lc.opportunity_id = o.opportunity_id""")

# Qualified new-business opportunities in period (the pipeline lens).
define("qualified", """
    select *, coalesce(channel, 'unknown') as channel_key
    from nb_opps
    where qualified_date between $period_start and $period_end""")

# The one win-rate population: qualified new-business deals closed in period (qualified by
# the period end). Qualified win rate = won / all of these.
define("closed_qualified", """
    select * from nb_opps
    where is_closed and qualified_date <= $period_end and close_date between $period_start and $period_end""")

# An account's FIRST won new-business opportunity over all opportunities of any period and
# filter (written at load); the account is a new customer of the view when that first deal
# passes the filter (region, segment, motion, its channel) and closed in period.
define("new_customers", """
    select fw.account_id, fw.opportunity_id, fw.close_date, o.amount,
        coalesce(o.channel, 'unknown') as channel,
        coalesce(o.segment, 'unknown') as segment
    from int_first_wins as fw
    join f_opps as o on o.opportunity_id = fw.opportunity_id
    where fw.close_date between $period_start and $period_end""")

# Target accounts with an engaged person in the period: a touch in it, or a contact on a
# deal open during part of it (target accounts only: every reader counts those): target-market
# penetration and the growth equation's engaged targets.
define("period_engaged", """
    select account_key
    from f_touches
    where account_key is not null and is_target_account
      and touch_day between $period_start and $period_end
    union
    select o.account_key
    from opportunity_contacts as c
    join f_opps as o on o.opportunity_id = c.opportunity_id
    where o.is_target_account
      and o.created_date <= $period_end
      and (not o.is_closed or o.close_date >= $period_start)""")

define("targets", "select account_key from f_accounts where is_target_account")

# The calendar months a period touches (first day of each month).
define("months", """
    select unnest(range(date_trunc('month', $period_start::date), $period_end::date + 1, interval 1 month))::date
        as month""")

# Spend whose month overlaps the period (spend.month is the first day of a month).
define("period_spend", """
    select date_trunc('month', month)::date as month, function, channel, campaign_id, amount
    from f_spend
    where date_trunc('month', month) between date_trunc('month', $period_start::date) and $period_end""")
