"""Headline metrics for one view, assembled from the registry: one code path for all.

The report command, the pages' KPI tiles and the tests all go through `assemble`, so a
number on the dashboard and in `python -m gtm report` come from the same query and the
same column. `assemble` runs each query a set of metrics needs once (`run` decides how:
`compute` runs it on a connection, the app through its cache) and reads each metric's
column, or evaluates its formula over other queries' values (magic number, LTV:CAC).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from gtm.db import clean
from gtm.filters import Filter, Settings
from gtm.metrics import registry
from gtm.metrics.base import QualifiedStage, facts, params, resolve_qualified_stage

DEFAULT_SETTINGS = Settings()

Run = Callable[[Callable, Filter], dict]  # (query function, filter) -> its row


def compute(con, flt: Filter, settings: Settings = DEFAULT_SETTINGS,
            qualified: QualifiedStage | None = None,
            ids: Iterable[str] | None = None) -> dict[str, float | int | None]:
    """metric id -> value (None where undefined) for `ids` (default: every id of the
    registry), in registry order."""
    qualified = qualified or resolve_qualified_stage(con, settings)

    def run(fn: Callable, f: Filter) -> dict:
        return fn(con, params(f, settings, qualified))

    return assemble(ids or registry.METRICS, flt, settings, run)


def assemble(ids: Iterable[str], flt: Filter, settings: Settings, run: Run) -> dict:
    """metric id -> clean value, each needed query run once per period through run."""
    rows: dict = {}

    def read(query: Callable, column: str, f: Filter):
        key = (query, f)
        if key not in rows:
            rows[key] = run(query, f)
        return rows[key][column]

    return {mid: clean(_value(registry.get(mid), flt, settings, read)) for mid in ids}


def _value(metric: registry.Metric, flt: Filter, settings: Settings, read):
    if metric.tables and not set(metric.tables) <= set(read(facts, "tables", flt)):
        return None  # a table the value needs was not provided: unknown, never 0
    if any(not read(facts, need, flt) for need in metric.requires):
        return None  # the extract cannot tell (base.FACT_REASONS says why)
    if metric.formula is None:
        return read(metric.query, metric.reads, flt)
    inputs = [read(i.query, i.column, flt.previous() if i.previous else flt)
              for i in metric.formula.inputs]
    return metric.formula.fn(*inputs, settings)


def queries_for(ids: Iterable[str]) -> list[tuple[Callable, bool]]:
    """(query function, previous period?) pairs that computing ids runs, in first-use order."""
    needed: dict = {}
    for mid in ids:
        metric = registry.get(mid)
        if metric.requires or metric.tables:
            needed[(facts, False)] = None
        if metric.formula is None:
            needed[(metric.query, False)] = None
        else:
            needed.update({(i.query, i.previous): None for i in metric.formula.inputs})
    return list(needed)


def previous_period(flt: Filter) -> Filter:
    """The period before flt (gtm.periods.previous_range: Q3 -> Q2)."""
    return flt.previous()
