"""Every headline metric on Spark: the registry's queries, run side by side, then `assemble`.

`compute.assemble` needs a runner `(query function, filter) -> row`. On DuckDB that runner
runs each query when first asked; a Spark query spends most of its time in planning and
scheduling small jobs rather than in work, so here every query a set of metrics needs
(`compute.queries_for`) is started at once from a few threads and Spark interleaves their
jobs; `assemble` then reads the finished rows. The numbers come from the very query
functions and formulas the dashboard uses: nothing about a metric is written here.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from gtm.filters import Filter, Settings
from gtm.metrics import registry
from gtm.metrics.base import QualifiedStage, params, resolve_qualified_stage
from gtm.metrics.compute import DEFAULT_SETTINGS, assemble, queries_for

WORKERS = 4  # queries in flight at once (each is a few small Spark jobs)


def compute(con, flt: Filter, settings: Settings = DEFAULT_SETTINGS,
            qualified: QualifiedStage | None = None, ids: Iterable[str] | None = None,
            workers: int = WORKERS) -> dict[str, float | int | None]:
    """metric id -> value for `ids` (default: every registry id) on a SparkConnection, equal
    to gtm.metrics.compute on DuckDB over the same extract."""
    qualified = qualified or resolve_qualified_stage(con, settings)
    ids = list(ids or registry.METRICS)
    views = {(fn, flt.previous() if previous else flt) for fn, previous in queries_for(ids)}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {(fn, f): pool.submit(fn, con, params(f, settings, qualified))
                   for fn, f in views}
        rows = {key: future.result() for key, future in running.items()}
    return assemble(ids, flt, settings, lambda fn, f: rows[(fn, f)])
