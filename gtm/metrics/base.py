"""The one place where a Filter becomes SQL, shared by every metric.

Each metric query is `FILTERED + ", <its own ctes> select ..."`: the filtered CTEs
below narrow people, opportunities, touches, signups and spend the same way for
every number (metrics.md: "a filter narrows every metric the same way"). Values are
always bound parameters; `query()` binds exactly the parameters a statement uses,
because DuckDB refuses unused ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from gtm.filters import Filter, Settings

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def query(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run sql on a fresh cursor with only the parameters it names; read it all."""
    used = set(_PARAM.findall(sql))
    bound = {k: v for k, v in (params or {}).items() if k in used}
    cur = con.cursor()
    try:
        return cur.execute(sql, bound).df()
    finally:
        cur.close()


def scalar(con, sql: str, params: dict | None = None):
    """The single value of a one-row, one-column query (None for SQL NULL)."""
    df = query(con, sql, params)
    value = df.iat[0, 0] if len(df) else None
    return None if pd.isna(value) else (value.item() if hasattr(value, "item") else value)



# Stage order, the stages' win rates and each opportunity's first entry into each stage
# do not depend on a filter or a setting: the loader writes them once (gtm/load/staging.py).
STAGES = """
with
resolved_stages as (
    select stage, sort_order, is_closed, is_won from int_stages
)
"""

# Motion and each person's account dimensions come from the int_ tables the loader
# builds (gtm/load/staging.py). A target account: `is_target` where given, else fit_score >=
# the ICP threshold. Account dimension filters drop records without a known account
# only when active. f_touches has `touch_day` (a date): filter windows on it, so DuckDB
# reads only the row groups of that window.
FILTERED = STAGES + """,
accounts_m as (
    select
        a.*,
        coalesce(a.is_target, a.fit_score >= $icp_threshold, false) as is_target_account
    from int_accounts as a
),

f_accounts as (
    select * from accounts_m
    where ($regions is null or list_contains($regions, region))
      and ($segments is null or list_contains($segments, segment))
      and ($motions is null or list_contains($motions, motion))
),

people_m as (
    select
        p.*,
        coalesce(p.account_is_target, p.account_fit_score >= $icp_threshold, false)
            as is_target_account
    from int_people as p
),

f_people as (
    select * from people_m
    where ($regions is null or list_contains($regions, region))
      and ($segments is null or list_contains($segments, segment))
      and ($motions is null or list_contains($motions, motion))
      and ($channels is null or list_contains($channels, channel))
),

opps_q as (
    select o.*, coalesce(o.qualified_date, h.first_qualified_date) as qualified_on
    from int_opportunities as o
    left join (
        select opportunity_id, min(entered_date) as first_qualified_date
        from int_stage_entries
        where sort_order >= $qualified_order
        group by opportunity_id
    ) as h on h.opportunity_id = o.opportunity_id
),

f_opps as (
    select
        o.* exclude (qualified_date, qualified_on, account_is_target, account_fit_score,
                     motion),
        o.qualified_on as qualified_date,
        coalesce(o.account_is_target, o.account_fit_score >= $icp_threshold, false)
            as is_target_account,
        o.motion
    from opps_q as o
    where ($regions is null or list_contains($regions, o.region))
      and ($segments is null or list_contains($segments, o.segment))
      and ($motions is null or list_contains($motions, o.motion))
      and ($channels is null or list_contains($channels, o.channel))
),

f_touches as (
    select
        t.*,
        coalesce(t.account_is_target, t.account_fit_score >= $icp_threshold, false)
            as is_target_account
    from int_touches as t
    where ($regions is null or list_contains($regions, t.region))
      and ($segments is null or list_contains($segments, t.segment))
      and ($motions is null or list_contains($motions, t.motion))
      and ($channels is null or list_contains($channels, t.channel))
),

f_signups as (
    select s.*, a.region, a.segment
    from signups as s
    left join accounts_m as a on a.account_id = s.account_id
    where ($regions is null or list_contains($regions, a.region))
      and ($segments is null or list_contains($segments, a.segment))
      and ($motions is null or list_contains($motions, 'product_led'))
      and ($channels is null or list_contains($channels, s.channel))
),

f_spend as (
    select * from spend
    where $channels is null or list_contains($channels, channel)
)
"""


@dataclass(frozen=True)
class QualifiedStage:
    """The stage that makes an opportunity qualified, and how it was chosen."""

    stage: str | None
    sort_order: int | None
    how: str  # sentence for the UI, e.g. "auto: earliest stage with >= 25 % win rate"
    win_rates: pd.DataFrame  # stage, sort_order, reached_closed, reached_won, win_rate


def params(flt: Filter, settings: Settings, qualified: QualifiedStage) -> dict:
    """Every parameter FILTERED and the metric queries may use."""
    order = qualified.sort_order if qualified.sort_order is not None else 10**9
    return {
        **flt.params(),
        "icp_threshold": settings.icp_threshold,
        "qualified_order": order,
        "lookback_days": settings.lookback_days,
        "activation_days": settings.activation_days,
        "stale_days": settings.stale_days,
        "gross_margin": settings.gross_margin,
        "group_size": settings.group_size,
        "required_roles": list(settings.required_roles),
    }


def dataset_info(con) -> dict:
    """What the filters and headers need: as-of date, date span, dimension values."""
    meta = dict(query(con, "select key, value from dataset_meta").itertuples(index=False))
    tables = dict(query(con, "select \"table\", rows from dataset_tables where provided")
                  .itertuples(index=False))
    as_of = date.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    first = scalar(con, "select min(created_date) from people")
    return {
        "as_of": as_of,
        "first_date": first,
        "regions": _values(con, "accounts", "region"),
        "segments": _values(con, "accounts", "segment"),
        "channels": _values(con, "people", "channel"),
        "tables": tables,
        "meta": meta,
    }


_VALUES_SQL = {
    ("accounts", "region"): "select distinct region from accounts where region is not null",
    ("accounts", "segment"): "select distinct segment from accounts where segment is not null",
    ("people", "channel"): "select distinct channel from people where channel is not null",
}


def _values(con, table: str, column: str) -> list[str]:
    return sorted(query(con, _VALUES_SQL[(table, column)]).iloc[:, 0].tolist())


STAGE_WIN_RATES = """
select stage, sort_order, reached_closed, reached_won, win_rate
from int_stage_win_rates
order by sort_order
"""


def resolve_qualified_stage(con, settings: Settings) -> QualifiedStage:
    """The qualified stage for the whole dataset (a setting, not filter-dependent)."""
    rates = query(con, STAGE_WIN_RATES)
    if settings.qualified_stage != "auto":
        match = rates[rates["stage"] == settings.qualified_stage]
        if match.empty:
            known = ", ".join(rates["stage"]) or "none"
            raise ValueError(f"unknown qualified stage {settings.qualified_stage!r}; open stages: {known}")
        row = match.iloc[0]
        return QualifiedStage(row.stage, int(row.sort_order), "named in settings", rates)
    pct = f"{settings.qualified_threshold:.0%}"
    hits = rates[rates["win_rate"].fillna(-1) >= settings.qualified_threshold]
    if hits.empty:
        how = f"auto: no stage reaches a {pct} win rate; only supplied qualified dates count"
        return QualifiedStage(None, None, how, rates)
    row = hits.iloc[0]
    how = f"auto: earliest stage from which at least {pct} of closed opportunities were won"
    return QualifiedStage(row.stage, int(row.sort_order), how, rates)


def run(con, fn, flt: Filter, settings: Settings, *args, **kwargs):
    """Call a breakdown `fn(con, p, *args)` for a filter and settings (pages use this)."""
    qualified = resolve_qualified_stage(con, settings)
    return fn(con, params(flt, settings, qualified), *args, **kwargs)
