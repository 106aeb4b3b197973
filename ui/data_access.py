"""Cached, read-only access to the loaded dataset for every page.

Reruns happen on every click, so results are cached per dataset version: the
version file is immutable (gtm/load/store.py), which makes (version, function, filter,
settings) a complete cache key and a new load an automatic cache miss. One DuckDB
connection per version is shared, but each query takes its own cursor because
Streamlit runs every session in its own thread.
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb
import streamlit as st

from gtm import metrics, periods
from gtm.filters import Filter, Settings
from gtm.load import staging, store
from gtm.metrics.compute import assemble
from ui.state import (
    current_filter,
    current_info,
    current_settings,
    previous_filter,
    require_frame,
)


def db_path() -> Path:
    return store.default_db_path()


def version() -> str | None:
    """The immutable version file currently published, as a string cache key."""
    current = store.current_version(db_path())
    return str(current) if current is not None and current.exists() else None


@st.cache_resource(max_entries=3, show_spinner=False)
def _connection(version_file: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(version_file, read_only=True)


def connection() -> duckdb.DuckDBPyConnection:
    """The shared read-only connection of the current version (take .cursor() per query)."""
    current = version()
    if current is None:
        raise FileNotFoundError(f"no dataset loaded at {db_path()}")
    return _connection(current)


@st.cache_resource(max_entries=3, show_spinner=False)
def _outdated(version_file: str) -> bool:
    cur = _connection(version_file).cursor()
    try:
        return staging.version_of(cur) != staging.STAGING_VERSION
    finally:
        cur.close()


def outdated() -> bool:
    """True when the published dataset was loaded by an older Targetline (checked once
    per version file)."""
    current = version()
    return current is not None and _outdated(current)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_call(version_file: str, name: str, args: tuple, kwargs: dict, _fn):
    """_fn(cursor, *args, **kwargs), cached on (version, name, args, kwargs): name says
    which function _fn is (st.cache_data does not hash a parameter starting with _)."""
    cur = _connection(version_file).cursor()
    try:
        return _fn(cur, *args, **kwargs)
    finally:
        cur.close()


def _name(fn) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def cached(fn, *args, **kwargs):
    """fn(cursor, *args, **kwargs) cached on (version, fn, args); args must be hashable.

    Pass Filter and Settings objects as arguments: they are frozen dataclasses.
    """
    current = version()
    if current is None:
        raise FileNotFoundError(f"no dataset loaded at {db_path()}")
    return _cached_call(current, _name(fn), args, kwargs, _fn=fn)


def _breakdown(version_file: str, fn, cur, flt: Filter, settings: Settings, *args, **kwargs):
    """metrics.run, with the qualified stage (two queries, the same for every filter)
    resolved once per version and settings instead of once per call."""
    qualified = _cached_call(version_file, _name(metrics.resolve_qualified_stage),
                             (settings,), {}, _fn=metrics.resolve_qualified_stage)
    return fn(cur, metrics.params(flt, settings, qualified), *args, **kwargs)


def view(fn, *args, flt: Filter | None = None, **kwargs):
    """A gtm query or breakdown `fn(con, p, *args)` for the current (or given) filter and
    the current settings, cached."""
    current = version()
    if current is None:
        raise FileNotFoundError(f"no dataset loaded at {db_path()}")
    key = (flt or current_filter(), current_settings(), *args)
    return _cached_call(current, _name(fn), key, kwargs,
                        _fn=functools.partial(_breakdown, current, fn))


class Headline(dict):
    """Headline values of the ids a page asked for. Reading an id the page did not ask
    for is a bug in the page, so it fails loudly instead of showing "n/a". `no_earlier_data`:
    the period lies before the data starts (every value None, and the tiles say so)."""

    no_earlier_data = False

    def get(self, key, default=None):
        if key not in self:
            raise KeyError(f"{key!r} was not among the ids passed to ui.headlines")
        return self[key]


def headline(ids, flt: Filter | None = None) -> Headline:
    """Headline metrics `ids` for the current (or given) filter: gtm.metrics.compute's
    assemble, each query it needs cached on its own (pages share them)."""
    flt = flt or current_filter()
    return Headline(assemble(ids, flt, current_settings(), lambda fn, f: view(fn, flt=f)))


def headlines(ids) -> tuple[Headline, Headline]:
    """(this period, the previous period) of headline(ids): the KPI tiles and deltas. A
    previous period that ends before the data's first day is not computed: its Headline
    holds None everywhere and says no_earlier_data."""
    prev, first = previous_filter(), current_info().get("first_date")
    if first is not None and prev.end < periods.as_date(first):
        before = Headline(dict.fromkeys(ids))
        before.no_earlier_data = True
        return headline(ids), before
    return headline(ids), headline(ids, prev)


def dataset_info() -> dict | None:
    """gtm.metrics.dataset_info of the current version, or None before any load."""
    require_frame()
    if version() is None:
        return None
    return cached(metrics.dataset_info)


def _open_stages(cur) -> list[str]:
    rates = metrics.resolve_qualified_stage(cur, Settings()).win_rates
    return [str(stage) for stage in rates["stage"]]


def stage_names() -> list[str]:
    """Open pipeline stages in order: the choices for the qualified-stage setting."""
    if version() is None:
        return []
    try:
        return cached(_open_stages)
    except duckdb.Error:
        return []


def clear_caches() -> None:
    """Forget every cached result and connection (after a new load)."""
    _cached_call.clear()
    _connection.clear()
