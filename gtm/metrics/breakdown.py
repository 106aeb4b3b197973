"""Every headline metric id by a dimension: the same definitions, one slice at a time.

metrics.md: "breakdowns reuse the id with a dimension". For a channel, region, segment or
month the breakdown is `compute` on the view narrowed to that value, so each row means
exactly what the headline means for that slice (with a channel filter, sales spend, which
has no channel, drops out: CAC by channel is marketing CAC). Demand type is no filter of
the view: its rows come from the demand split (spend, leads, qualified pipeline, new
customers by the campaign's or channel's demand type).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from gtm.db import clean, query
from gtm.filters import Filter, Settings
from gtm.metrics import market
from gtm.metrics.base import QualifiedStage, params
from gtm.metrics.compute import compute

DIMENSIONS = ("channel", "month", "segment", "region", "demand_type")

VALUES_SQL = {
    "channel": """select channel from people union select channel from opportunities
                  union select channel from spend union select channel from touches""",
    "segment": "select distinct segment from accounts",
    "region": "select distinct region from accounts",
}
# demand_split column -> the metric id it is (the split has no other ids)
DEMAND_IDS = {"spend": "marketing_spend", "leads": "leads",
              "qualified_opportunities": "qualified_opportunities",
              "qualified_pipeline": "qualified_pipeline", "new_customers": "new_customers"}


def months(flt: Filter) -> list[Filter]:
    """The view cut to each calendar month it touches."""
    out, first = [], flt.start.replace(day=1)
    while first <= flt.end:
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(replace(flt, start=max(first, flt.start),
                           end=min(following - timedelta(days=1), flt.end)))
        first = following
    return out


def _values(con, dimension: str) -> list[str]:
    rows = query(con, VALUES_SQL[dimension]).iloc[:, 0]
    return sorted(str(v) for v in rows if v is not None)


def _narrowed(flt: Filter, dimension: str, value: str) -> Filter:
    field = {"channel": "channels", "segment": "segments", "region": "regions"}[dimension]
    return replace(flt, **{field: (value,)})


def by(con, flt: Filter, settings: Settings, qualified: QualifiedStage,
       dimension: str) -> list[tuple[str, dict]]:
    """(dimension value, {metric id: value}) rows, in the dimension's order."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"cannot break down by {dimension!r}; expected one of "
                         f"{', '.join(DIMENSIONS)}")
    if dimension == "month":
        return [(f.start.strftime("%Y-%m"), compute(con, f, settings, qualified))
                for f in months(flt)]
    if dimension == "demand_type":
        split = market.demand_split(con, params(flt, settings, qualified))
        return [(row["demand_type"], {mid: clean(row[col]) for col, mid in DEMAND_IDS.items()})
                for _, row in split.iterrows()]
    return [(value, compute(con, _narrowed(flt, dimension, value), settings, qualified))
            for value in _values(con, dimension)]


