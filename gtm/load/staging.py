"""Intermediate tables built once per load, so every filter query stays a scan.

Every metric narrows people and touches by their account's region, segment and
motion. Joining 10,000,000 touches to people and accounts in every query made a
report take tens of seconds, so the loader writes these joins once (dbt's
"intermediate" models): `int_accounts` (with motion), `int_people` (with their
account's dimensions and the campaign of their first touch), `int_touches` (with the
person's account and role, sorted by day so a date window reads only its own row
groups), `int_opportunities` (with the account's dimensions) and
`int_opportunity_contacts` (with the person's buying role). What no filter and no
setting changes is written here too instead of being recomputed by every query: the
stage order (`int_stages`), each stage's win rate (`int_stage_win_rates`), each deal's
first entry into each stage (`int_stage_entries`), each account's first won deal
(`int_first_wins`) and each account's ARR movement month by month
(`int_arr_movements`). The ICP threshold and the qualified stage are settings, so they
are still applied at query time. Accounts and people get integer keys (`account_key`,
`person_key`: their row ids, free to read) carried into touches, deals and contacts:
counting distinct people per account over a million rows is twice as fast on integers as
on text ids.

The active target definition (metrics.md v2, gtm/icp.py, stored in `target_definitions`)
is applied here too: `int_account_fields` holds every account's field values (the contract's
columns and the extra columns of the accounts export) one row per value, `int_account_fit`
each account's fit score, tier and matched rules under the definition, and the account's
`target_def` (NULL when no definition is active: the v1 rule) rides into people, touches and
deals beside `is_target` and `fit_score`, with each person's `persona_match`, so the one
target flag (gtm.metrics.sql.target_flag) reads it without a join.

A dataset loaded by an older Targetline lacks some of these tables: `upgrade()` writes
them into a new version file (the published one is never changed in place).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from gtm import icp
from gtm.contract import TABLES
from gtm.db import bind
from gtm.load import definitions, store
from gtm.load.readers import literal
from gtm.load.validate import ident

# Bump when the tables below change: datasets loaded with another value are upgraded.
STAGING_VERSION = "6"

INT_ACCOUNTS = """
create table int_accounts as
with
product_led as (
    select distinct account_id from signups where account_id is not null
)

select
    a.*,
    case when pl.account_id is not null then 'product_led' else 'sales_led' end as motion,
    a.rowid::integer as account_key,
    f.fit as def_fit,
    f.tier as def_tier,
    f.rules_matched as def_rules,
    f.is_target as target_def
from accounts as a
left join product_led as pl on pl.account_id = a.account_id
left join int_account_fit as f on f.account_key = a.rowid::integer
"""

# The fit of every account under the active definition (no rows without one: then every
# target_def is NULL and the v1 rule decides). The relations are gtm/icp.py's, the same text
# the Targets page scores a draft with.
INT_ACCOUNT_FIT = ("create table int_account_fit as\nwith\n"
                   + ",\n".join(f"{name} as ({body}\n)" for name, body in icp.SCORE_RELATIONS)
                   + "\nselect * from icp_accounts")

INT_PEOPLE = f"""
create table int_people as
with
signed_up as (
    select distinct person_id from signups where person_id is not null
),

first_touch as (
    select person_id, first(campaign_id order by touch_date, campaign_id) as campaign_id
    from touches
    group by person_id
)

select
    p.*,
    a.region,
    a.segment,
    a.is_target as account_is_target,
    a.fit_score as account_fit_score,
    a.target_def as account_target_def,
    {icp.persona_flag('p.buying_role', 'p.title')} as persona_match,
    coalesce(a.motion, case when s.person_id is not null
        then 'product_led' else 'sales_led' end) as motion,
    ft.campaign_id as first_touch_campaign_id,
    a.account_key,
    p.rowid::integer as person_key
from people as p
left join int_accounts as a on a.account_id = p.account_id
left join signed_up as s on s.person_id = p.person_id
left join first_touch as ft on ft.person_id = p.person_id
"""

# Inner join: a touch by a person missing from people was reported at load (warning)
# and cannot be attributed to an account, so no metric can count it. Only what the
# metrics read, with people and accounts as integer keys: 10,000,000 rows sorted by day
# take half the time without the text ids and the timestamp (the typed `touches` keeps them).
INT_TOUCHES = """
create table int_touches as
select
    cast(t.touch_date as date) as touch_day,
    t.channel,
    t.campaign_id,
    t.touch_type,
    p.buying_role,
    p.region,
    p.segment,
    p.motion,
    p.account_is_target,
    p.account_fit_score,
    p.account_target_def,
    p.persona_match,
    p.account_key,
    p.person_key
from touches as t
join int_people as p on p.person_id = t.person_id
order by touch_day
"""

# Stage order: the `stages` file when given, else derived from stage history
# (average position of each stage in an opportunity's history, closed stages last).
INT_STAGES = """
create table int_stages as
with
stage_stats as (
    select stage, bool_and(is_closed) as is_closed, bool_and(is_won) as is_won
    from opportunities
    group by stage
),

history_pos as (
    select stage, avg(pos) as avg_pos
    from (
        select stage, row_number() over (partition by opportunity_id order by entered_date) as pos
        from opportunity_stages
    )
    group by stage
),

derived_stages as (
    select
        coalesce(h.stage, s.stage) as stage,
        coalesce(s.is_closed, false) as is_closed,
        coalesce(s.is_won, false) as is_won,
        row_number() over (
            order by coalesce(s.is_closed, false), coalesce(h.avg_pos, 1e9), coalesce(h.stage, s.stage)
        ) as sort_order
    from history_pos as h
    full join stage_stats as s on s.stage = h.stage
)

select
    st.stage,
    st.sort_order,
    coalesce(st.is_closed, ss.is_closed, false) as is_closed,
    coalesce(st.is_won, ss.is_won, false) as is_won
from stages as st
left join stage_stats as ss on ss.stage = st.stage
union all
select stage, sort_order, is_closed, is_won
from derived_stages
where not exists (select 1 from stages)
"""

# Highest open stage each opportunity reached (a skipped stage counts as reached;
# a won deal reached every open stage), then the win rate from each open stage.
INT_STAGE_WIN_RATES = """
create table int_stage_win_rates as
with
open_stages as (
    select stage, sort_order from int_stages where not is_closed
),

reached as (
    select o.opportunity_id, o.is_closed, o.is_won,
        case when o.is_won then (select max(sort_order) from open_stages)
             else max(s.sort_order) end as max_order
    from opportunities as o
    left join (
        select opportunity_id, stage from opportunity_stages
        union all
        select opportunity_id, stage from opportunities
    ) as h on h.opportunity_id = o.opportunity_id
    left join open_stages as s on s.stage = h.stage
    group by o.opportunity_id, o.is_closed, o.is_won
)

select
    s.stage,
    s.sort_order,
    count(r.opportunity_id) filter (where r.is_closed) as reached_closed,
    count(r.opportunity_id) filter (where r.is_won) as reached_won,
    count(r.opportunity_id) filter (where r.is_won)
        / nullif(count(r.opportunity_id) filter (where r.is_closed), 0) as win_rate
from open_stages as s
left join reached as r on r.max_order >= s.sort_order
group by s.stage, s.sort_order
order by s.sort_order
"""

# When each opportunity first entered each stage of its history (closed-lost stages
# left out): the qualified date of a deal without one is its first entry at or after
# the qualified stage, which is a setting, so the metrics take the minimum at query time.
INT_STAGE_ENTRIES = """
create table int_stage_entries as
select h.opportunity_id, s.sort_order, min(h.entered_date) as entered_date
from opportunity_stages as h
join int_stages as s on s.stage = h.stage
where not (s.is_closed and not s.is_won)
group by h.opportunity_id, s.sort_order
"""

# Opportunities with their account's dimensions (a deal without a known account is
# sales-led, as in metrics.md's motion rule).
INT_OPPORTUNITIES = """
create table int_opportunities as
select
    o.*,
    a.region,
    a.segment,
    a.is_target as account_is_target,
    a.fit_score as account_fit_score,
    a.target_def as account_target_def,
    coalesce(a.motion, 'sales_led') as motion,
    a.account_key
from opportunities as o
left join int_accounts as a on a.account_id = o.account_id
"""

# Each account's first won new-business opportunity (earliest close_date, ties by
# opportunity_id) over all opportunities: what makes an account a new customer.
INT_FIRST_WINS = """
create table int_first_wins as
select account_id, opportunity_id, close_date
from opportunities
where is_won and close_date is not null
  and type = 'new_business'
qualify row_number() over (partition by account_id order by close_date, opportunity_id) = 1
"""

# Each account's ARR month by month, from its first snapshot to the dataset's last ARR
# month (a missing month is 0), and the movement of each month: new (first ARR ever),
# reactivation (back from 0), expansion, contraction, churn (metrics.md "Net ARR"). A
# month's movement depends only on earlier months, so cutting the grid at a period's end
# changes nothing before it. The account's dimensions and the channel of its first won
# deal (the source channel) ride along for the filters.
INT_ARR_MOVEMENTS = """
create table int_arr_movements as
with
source_channel as (
    select fw.account_id, o.channel
    from int_first_wins as fw
    join opportunities as o on o.opportunity_id = fw.opportunity_id
),

monthly_arr as (
    select account_id, date_trunc('month', month)::date as month,
        sum(arr::decimal(38, 2)) as arr
    from arr
    group by 1, 2
),

grid as (
    select account_id, g.month::date as month
    from (select account_id, min(month) as first_month from monthly_arr group by 1) as s,
        unnest(generate_series(s.first_month::timestamp,
            (select max(month) from monthly_arr)::timestamp, interval 1 month)) as g(month)
),

monthly as (
    select g.account_id, g.month, coalesce(m.arr, 0)::decimal(38, 2) as arr
    from grid as g
    left join monthly_arr as m on m.account_id = g.account_id and m.month = g.month
),

compared as (
    select account_id, month, arr,
        coalesce(lag(arr) over w, 0) as prev,
        coalesce(max(arr) over (w rows between unbounded preceding and 1 preceding), 0) > 0
            as had_before
    from monthly
    window w as (partition by account_id order by month)
)

select c.account_id, c.month, c.arr, c.prev,
    case when c.prev = 0 and c.arr > 0 and not c.had_before then c.arr else 0 end as new,
    case when c.prev = 0 and c.arr > 0 and c.had_before then c.arr else 0 end as reactivation,
    case when c.arr > c.prev and c.prev > 0 then c.arr - c.prev else 0 end as expansion,
    case when c.arr > 0 and c.arr < c.prev then c.prev - c.arr else 0 end as contraction,
    case when c.prev > 0 and c.arr = 0 then c.prev else 0 end as churn,
    a.region, a.segment, a.motion, sc.channel as source_channel
from compared as c
left join int_accounts as a on a.account_id = c.account_id
left join source_channel as sc on sc.account_id = c.account_id
order by c.month, c.account_id
"""

# Opportunity contacts with the person's own buying role (buying-group coverage counts
# both roles), so coverage does not join a million people per query. A contact missing
# from people (a load warning) gets a key of its own above every person's.
INT_OPPORTUNITY_CONTACTS = """
create table int_opportunity_contacts as
select c.*, p.buying_role,
    coalesce(p.person_key, (select max(person_key) from int_people)
        + dense_rank() over (order by c.person_id))::integer as person_key
from opportunity_contacts as c
left join int_people as p on p.person_id = c.person_id
"""

# --- account fields: every account's values, one row each, for target definitions --------

# Contract columns of accounts and the kind a rule sees them as (numbers compare with
# between, >=, <=; everything can be listed with in, not in, contains).
NUMBER_TYPES = ("integer", "number", "money")
LIST_SEPARATORS = r"\s*[;|,]\s*"  # 'Salesforce; Snowflake' lists several values

# What an extra column of the accounts export holds: numbers when every value reads as one
# (thousands commas allowed), a list when a third or more of its values hold a separator.
EXTRA_PROFILE = """
select count(*) filter (where v is not null) as filled,
    count(try_cast(replace(v, ',', '') as double)) as numbers,
    count(*) filter (where regexp_matches(v, $separators)) as lists
"""

RAW_ACCOUNT_COLUMNS = """
select column_name from duckdb_columns()
where database_name = current_database() and table_name = 'raw_accounts'
order by column_index
"""


def account_field_kinds(con) -> dict[str, str]:
    """Every field a target rule may read: the contract's accounts columns and the extra
    columns the accounts export carried (kept in raw_accounts), name -> number | text | list.
    Extras need raw_accounts with its account_id (datasets loaded since staging version 6)."""
    kinds = {c.name: "number" if c.type in NUMBER_TYPES else "text"
             for c in TABLES["accounts"].columns}
    for name in _extra_columns(con):
        if name.lower() not in {k.lower() for k in kinds}:
            kinds[name] = _extra_kind(con, name)
    return kinds


def _extra_columns(con) -> list[str]:
    names = [row[0] for row in con.execute(RAW_ACCOUNT_COLUMNS).fetchall()]
    if "account_id" not in names:
        return []
    return [n for n in names if n not in ("_line", "account_id")
            and not n.endswith("_as_written")]


def _extra_kind(con, name: str) -> str:
    sql = f"{EXTRA_PROFILE}from (select nullif(trim({ident(name)}), '') as v from raw_accounts)"
    filled, numbers, lists = con.execute(sql, {"separators": LIST_SEPARATORS}).fetchone()
    if filled and numbers == filled:
        return "number"
    return "list" if filled and lists * 3 >= filled else "text"


def _field_select(name: str, kind: str, extra: bool) -> str:
    """One field's rows of int_account_fields (names are catalog or contract names, quoted)."""
    column = f"r.{ident(name)}" if extra else f"cast(a.{ident(name)} as varchar)"
    source = ("accounts as a join raw_accounts as r on r.account_id = a.account_id" if extra
              else "accounts as a")
    if kind == "list":
        return (f"select account_key, {literal(name)} as field, trim(v) as value, "
                f"cast(null as double) as num from (select a.rowid::integer as account_key, "
                f"unnest(string_split_regex({column}, $separators)) as v from {source})")
    number = (f"try_cast(replace(trim({column}), ',', '') as double)" if kind == "number"
              else "cast(null as double)")
    return (f"select a.rowid::integer as account_key, {literal(name)} as field, "
            f"trim({column}) as value, {number} as num from {source}")


def _account_fields_sql(con) -> str:
    return account_fields_sql(account_field_kinds(con))


def account_fields_sql(kinds: dict[str, str]) -> str:
    """int_account_fields for the fields `kinds` names (extras read raw_accounts)."""
    contract = set(TABLES["accounts"].column_names)
    parts = "\nunion all\n".join(_field_select(name, kind, name not in contract)
                                  for name, kind in kinds.items())
    return (f"create table int_account_fields as\nselect * from (\n{parts}\n) "
            "where value is not null and value <> ''")


INT_ACCOUNT_FIELD_LIST = """
create table int_account_field_list as
with
fields as (
    select unnest($field_names::varchar[]) as field, unnest($field_kinds::varchar[]) as kind,
        unnest(range(len($field_names))) as position
)

select f.field, f.kind, count(distinct v.account_key) as accounts, f.position
from fields as f
left join int_account_fields as v on v.field = f.field
group by f.field, f.kind, f.position
order by f.position
"""


# (label, table, SQL), in build order; the account fields' SQL depends on the extract's
# extra columns (_account_fields_sql).
STEPS = (("account fields", "int_account_fields", None),  # _account_fields_sql
         ("account field list", "int_account_field_list", INT_ACCOUNT_FIELD_LIST),
         ("account fit", "int_account_fit", INT_ACCOUNT_FIT),
         ("accounts", "int_accounts", INT_ACCOUNTS), ("people", "int_people", INT_PEOPLE),
         ("touches", "int_touches", INT_TOUCHES), ("stages", "int_stages", INT_STAGES),
         ("stage win rates", "int_stage_win_rates", INT_STAGE_WIN_RATES),
         ("stage history", "int_stage_entries", INT_STAGE_ENTRIES),
         ("opportunities", "int_opportunities", INT_OPPORTUNITIES),
         ("first wins", "int_first_wins", INT_FIRST_WINS),
         ("ARR months", "int_arr_movements", INT_ARR_MOVEMENTS),
         ("deal contacts", "int_opportunity_contacts", INT_OPPORTUNITY_CONTACTS))
# The tables the target definition changes (re-written when a definition is applied).
TARGET_TABLES = ("int_account_fit", "int_accounts", "int_people", "int_touches",
                 "int_opportunities")


def step_params(definition, kinds: dict[str, str]) -> dict:
    """The parameters every step reads: the definition's (gtm.icp.params), the list
    separators and the fields a rule may read."""
    return {**icp.params(definition), "separators": LIST_SEPARATORS,
            "field_names": list(kinds), "field_kinds": list(kinds.values())}


def build(con, report=lambda message, fraction: None, tables=None) -> list[str]:
    """Write the intermediate tables (or only `tables`, replacing them) into the version
    being written, under its active target definition; returns warnings about that
    definition (a rule whose field this dataset lacks)."""
    definition, warnings = _definition(con)
    kinds = account_field_kinds(con)
    p = step_params(definition, kinds)
    steps = [s for s in STEPS if tables is None or s[1] in tables]
    for i, (label, table, step) in enumerate(steps):
        report(f"preparing {label} for fast filtering", 0.88 + 0.06 * i / len(steps))
        sql = account_fields_sql(kinds) if table == "int_account_fields" else step
        if tables is not None:
            con.execute(f"drop table if exists {table}")
        con.execute(sql, bind(sql, p))
    return warnings


def _definition(con) -> tuple[icp.Definition | None, list[str]]:
    """The active definition with each rule reading this dataset's spelling of its field,
    and a warning per rule whose field the dataset does not have (that rule matches no
    account, metrics.md v2)."""
    con.execute(definitions.CREATE)  # an empty history where none was carried over
    definition = definitions.active(con)
    if definition is None:
        return None, []
    return icp.resolve(definition, account_field_kinds(con))


def version_of(con) -> str | None:
    """The staging version a loaded dataset was built with (None: before versions)."""
    row = con.execute("select value from dataset_meta where key = 'staging_version'").fetchone()
    return row[0] if row else None


def needs_upgrade(db_path: Path | None = None) -> bool:
    """True when the published dataset was built by another staging version."""
    current = store.current_version(Path(db_path or store.default_db_path()))
    if current is None:
        return False
    con = duckdb.connect(str(current), read_only=True)
    try:
        return version_of(con) != STAGING_VERSION
    finally:
        con.close()


def upgrade(db_path: Path | None = None, report=lambda message, fraction: None) -> bool:
    """Copy the published dataset's own tables into a new version file, build the
    intermediate tables there and publish it; False when there was nothing to upgrade.
    It holds the load lock (gtm/load/store.py): a second caller finds it done, and a load
    running meanwhile is never replaced by an upgrade of the version before it."""
    db_path = Path(db_path or store.default_db_path())
    with store.load_lock(db_path, f"the upgrade to staging version {STAGING_VERSION}"):
        if not needs_upgrade(db_path):
            return False
        target = store.new_version_path(db_path)
        partial = target.with_name(target.name + ".partial")
        try:
            _rebuild(store.current_version(db_path), partial, report)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        store.publish(db_path, target)
    return True


# Tables the loader writes itself (typed tables, raw_ layer, dataset_*): copied as they are.
_OWN_TABLES = """
select table_name from duckdb_tables()
where database_name = 'source' and not starts_with(table_name, 'int_')
order by table_name
"""


def _rebuild(source: Path, path: Path, report) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("set enable_progress_bar = false")
        con.execute("attach ? as source (read_only)", [str(source)])
        names = [row[0] for row in con.execute(_OWN_TABLES).fetchall()]
        for i, name in enumerate(names):
            report(f"copying {name}", 0.8 * i / max(len(names), 1))
            # a name read from the catalog, not from input; quoted as an identifier
            con.execute(f'create table "{name}" as select * from source."{name}"')
        con.execute("detach source")
        build(con, report)
        con.execute("delete from dataset_meta where key = 'staging_version'")
        con.execute("insert into dataset_meta values ('staging_version', ?)", [STAGING_VERSION])
        con.execute("checkpoint")
    finally:
        con.close()
