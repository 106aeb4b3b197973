"""The parts every page shares: header, missing-table notice, safe text.

Executives compare screenshots: each page must say what it shows, as of when and
for which slice, in the same place and the same words. Pages with an optional
table missing explain which file would light them up instead of crashing.
"""

from __future__ import annotations

import streamlit as st

from gtm.filters import filter_summary
from gtm.pages import missing_tables as _missing  # noqa: F401
from gtm.pages import need_text
from ui.state import current_filter, current_period
from ui.text import esc


def header(title: str, subtitle: str, info: dict | None = None) -> None:
    """Page title, one-line subtitle, the as-of date and the active filters."""
    st.title(title, anchor=False)
    st.markdown(subtitle)
    if info is None:
        return
    as_of = info.get("as_of")
    summary = esc(filter_summary(current_filter(), current_period()))
    st.caption(f"**As of {as_of}** · {summary}")


def missing_tables(info: dict, tables: list[str]) -> list[str]:
    return _missing(info.get("tables"), tables)


def need_tables(info: dict, tables: list[str], what: str = "this page") -> bool:
    """True when every table is loaded; else say which files to add and return False."""
    missing = missing_tables(info, tables)
    if not missing:
        return True
    st.info(esc(need_text(missing, what)), icon=":material/upload_file:")
    return False
