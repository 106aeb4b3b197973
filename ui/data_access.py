"""Cached, read-only access to the loaded dataset for every page.

Reruns happen on every click, so results are cached per dataset version: the
version file is immutable (gtm/load/store.py), which makes (version, function, filter,
settings) a complete cache key and a new load an automatic cache miss. One DuckDB
connection per version is shared, but each query takes its own cursor because
Streamlit runs every session in its own thread.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from gtm import metrics
from gtm.filters import Settings
from gtm.load import staging, store
from gtm.metrics.compute import (
    EXTENSION_INPUTS,
    EXTENSIONS,
    compute_part,
    extensions,
    parts_for,
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
def _cached_call(version_file: str, name: str, _fn, args: tuple, kwargs: dict):
    cur = _connection(version_file).cursor()
    try:
        return _fn(cur, *args, **kwargs)
    finally:
        cur.close()


def cached(fn, *args, **kwargs):
    """fn(cursor, *args, **kwargs) cached on (version, fn, args); args must be hashable.

    Pass Filter and Settings objects as arguments: they are frozen dataclasses.
    """
    current = version()
    if current is None:
        raise FileNotFoundError(f"no dataset loaded at {db_path()}")
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached_call(current, name, fn, args, kwargs)


def _run_named(cur, fn_name: str, flt, settings, *args, **kwargs):
    """metrics.run for a breakdown named 'module:qualname' (st.cache_data cannot hash a
    function argument, but it can hash its name)."""
    module, _, name = fn_name.partition(":")
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    return metrics.run(cur, fn, flt, settings, *args, **kwargs)


def view(fn, *args, flt=None, **kwargs):
    """A gtm breakdown `fn(con, p, *args)` for the current (or given) filter and settings, cached."""
    from ui.filters import current_filter, current_settings

    flt = flt or current_filter()
    name = f"{fn.__module__}:{fn.__qualname__}"
    return cached(_run_named, name, flt, current_settings(), *args, **kwargs)


class Headline(dict):
    """Headline values of the parts a page asked for. Reading an id the page did not ask
    for is a bug in the page, so it fails loudly instead of showing "n/a"."""

    def get(self, key, default=None):
        if key not in self:
            raise KeyError(f"{key!r} was not among the ids passed to ui.headlines")
        return self[key]


def headline(ids, flt=None) -> Headline:
    """Headline metrics `ids` for the current (or given) filter: only the parts of
    gtm.metrics.compute that hold them run, each cached on its own (pages share them)."""
    from ui.filters import current_filter, current_settings

    flt, settings = flt or current_filter(), current_settings()
    values = {}
    for part in parts_for(ids):
        values.update(cached(compute_part, flt, settings, part))
    if set(ids) & set(EXTENSIONS):
        inputs = [values[mid] for mid in EXTENSION_INPUTS]
        values.update(cached(extensions, flt, settings, *inputs))
    return Headline(values)


def headlines(ids) -> tuple[Headline, Headline]:
    """(this period, the previous period) of headline(ids): the KPI tiles and deltas."""
    from ui.filters import previous_filter

    return headline(ids), headline(ids, previous_filter())


def require_frame() -> None:
    """Rerun through app.py when Streamlit ran a page file on its own.

    A `pages/` folder beside app.py makes Streamlit start in its legacy
    pages-directory mode until st.navigation runs once; a first request for
    /data would then run pages/data.py without the sidebar. Switching the mode
    off and rerunning sends the same request through app.py.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


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
