"""The view's parameters, the dataset's facts and the qualified stage, for every metric.

`params` turns a Filter, the Settings and the resolved qualified stage into the bound
parameters every composed query may use (gtm/metrics/sql.py defines the shared filtered
relations that read them); `run` calls a breakdown for a view; `dataset_info` reads what
the filters and headers need. Nothing here builds SQL text from values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from gtm.db import query, row, scalar
from gtm.filters import Filter, Settings


@dataclass(frozen=True)
class QualifiedStage:
    """The stage that makes an opportunity qualified, and how it was chosen."""

    stage: str | None
    sort_order: int | None
    how: str  # sentence for the UI, e.g. "auto: earliest stage with >= 25 % win rate"
    win_rates: pd.DataFrame  # stage, sort_order, reached_closed, reached_won, win_rate
    data_as_of: date | None = None  # the dataset's own date (metrics.md v2: "data as of")


def params(flt: Filter, settings: Settings, qualified: QualifiedStage) -> dict:
    """Every parameter the shared relations (gtm/metrics/sql.py) and the metric queries may
    use: the period ($period_start, $period_end), the dimension lists, the settings, the
    qualified stage's order and the data as-of date ($data_as_of)."""
    order = qualified.sort_order if qualified.sort_order is not None else 10**9
    return {
        **flt.params(),
        "data_as_of": qualified.data_as_of,
        "icp_threshold": settings.icp_threshold,
        "qualified_order": order,
        "lookback_days": settings.lookback_days,
        "activation_days": settings.activation_days,
        "stale_days": settings.stale_days,
        "gross_margin": settings.gross_margin,
        "group_size": settings.group_size,
        "required_roles": list(settings.required_roles),
        "warm_days": settings.warm_days,
        "warm_people": settings.warm_people,
        "warm_touches": settings.warm_touches,
        "sales_channels": [c.strip().lower() for c in settings.sales_channels],
    }


# The first day any table of the extract has activity (the filters' lower bound, the start
# of "earlier data" for deltas).
FIRST_DATE_SQL = """
select list_min([
    (select min(created_date) from people),
    (select min(created_date) from opportunities),
    (select cast(min(touch_date) as date) from touches),
    (select min(month) from spend),
    (select min(month) from arr),
    (select min(signup_date) from signups)])
"""


def dataset_info(con) -> dict:
    """What the filters and headers need: the data as-of date, the first day with data,
    the dimension values, the tables provided."""
    meta = dict(query(con, "select key, value from dataset_meta").itertuples(index=False))
    tables = dict(query(con, "select \"table\", rows from dataset_tables where provided")
                  .itertuples(index=False))
    as_of = date.fromisoformat(meta["as_of"]) if meta.get("as_of") else None
    return {
        "data_as_of": as_of,
        "first_date": scalar(con, FIRST_DATE_SQL),
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


# What the extract can tell at all, whatever the period (registry `requires`): without any
# deal amount a pipeline sum is unknown, not $0; without stage history or supplied qualified
# dates no deal can be called qualified, so qualified counts are unknown, not 0.
FACTS_SQL = """
select
    exists (select 1 from opportunities where amount is not null) as amounts,
    ($qualified_order < 1000000000 and exists (select 1 from opportunity_stages))
        or exists (select 1 from opportunities where qualified_date is not null)
        as qualification,
    (select coalesce(string_agg("table", ','), '') from dataset_tables where provided)
        as tables
"""
FACT_REASONS = {
    "amounts": "the deals have no amount (opportunities.amount is empty), so the amount is "
               "unknown, not $0",
    "qualification": "no deal can be called qualified: the data has no stage history "
                     "(opportunity_stages.csv) and no qualified_date",
}


def facts(con, p: dict) -> dict:
    """{'amounts': bool, 'qualification': bool, 'tables': [provided table, ...]}: what the
    extract can tell (FACTS_SQL). A table not provided makes its metrics unknown, not 0."""
    known = row(con, FACTS_SQL, p)
    return {**known, "tables": tuple(t for t in (known["tables"] or "").split(",") if t)}


def data_as_of(con) -> date | None:
    """The dataset's as-of date (the latest activity in the extract, written at load)."""
    value = scalar(con, "select value from dataset_meta where key = 'as_of'")
    return date.fromisoformat(value) if value else None


def resolve_qualified_stage(con, settings: Settings) -> QualifiedStage:
    """The qualified stage for the whole dataset (a setting, not filter-dependent), with the
    dataset's as-of date the cohort metrics mature to."""
    rates, as_of = query(con, STAGE_WIN_RATES), data_as_of(con)
    if settings.qualified_stage != "auto":
        match = rates[rates["stage"] == settings.qualified_stage]
        if match.empty:
            known = ", ".join(rates["stage"]) or "none"
            raise ValueError(f"unknown qualified stage {settings.qualified_stage!r}; open stages: {known}")
        row = match.iloc[0]
        return QualifiedStage(row.stage, int(row.sort_order), "named in settings", rates, as_of)
    pct = f"{settings.qualified_threshold:.0%}"
    if rates.empty:
        how = ("auto: the data has no open stage (no stage history or stage list, and every "
               "deal is closed), so only supplied qualified dates count")
        return QualifiedStage(None, None, how, rates, as_of)
    hits = rates[rates["win_rate"].fillna(-1) >= settings.qualified_threshold]
    if hits.empty:
        how = f"auto: no stage reaches a {pct} win rate; only supplied qualified dates count"
        return QualifiedStage(None, None, how, rates, as_of)
    row = hits.iloc[0]
    how = f"auto: earliest stage from which at least {pct} of closed opportunities were won"
    return QualifiedStage(row.stage, int(row.sort_order), how, rates, as_of)


def run(con, fn, flt: Filter, settings: Settings, *args, **kwargs):
    """Call a breakdown `fn(con, p, *args)` for a filter and settings (pages use this)."""
    qualified = resolve_qualified_stage(con, settings)
    return fn(con, params(flt, settings, qualified), *args, **kwargs)
