"""The parts every page shares: header, missing-table notice, safe text.

Executives compare screenshots: each page must say what it shows, as of when and
for which slice, in the same place and the same words. Pages with an optional
table missing explain which file would light them up instead of crashing.
"""

from __future__ import annotations

import streamlit as st

from gtm import periods
from gtm.filters import Filter, filter_summary
from gtm.narrative import words
from gtm.pages import missing_tables as _missing
from gtm.pages import need_text
from ui.state import current_filter, current_info, current_period, previous_filter
from ui.text import esc


def header(title: str, subtitle: str, info: dict | None = None) -> None:
    """Page title, one-line subtitle, the data as-of date and the period and filters."""
    st.title(title, anchor=False)
    st.markdown(subtitle)
    if info is None:
        return
    summary = esc(filter_summary(current_filter(), current_period()))
    st.caption(f"**{esc(data_stamp(info)).capitalize()}** · {summary}")


def period_stamp(flt: Filter | None = None) -> str:
    """The date stamp of numbers computed for the period: 'period ending 2026-09-30'."""
    return f"period ending {(flt or current_filter()).end.isoformat()}"


def data_stamp(info: dict) -> str:
    """The date stamp of the dataset itself: 'data as of 2026-10-31'."""
    as_of = info.get("data_as_of")
    return f"data as of {as_of.isoformat() if as_of else 'an unknown date'}"


def partial_months(months) -> frozenset:
    """The months of a monthly chart the current period or the data covers only in part."""
    flt, info = current_filter(), current_info()
    return frozenset(words.partial_months(months, flt.start, flt.end,
                                          periods.as_date(info.get("first_date")),
                                          info.get("data_as_of")))


def delta_caption(info: dict, extra: str = "") -> None:
    """What the KPI deltas compare with, and whether the data covers it."""
    prev, first = previous_filter(), periods.as_date(info.get("first_date"))
    if first is not None and prev.end < first:
        text = f"No earlier data to compare with: the data starts on {first}."
    elif first is not None and prev.start < first:
        text = (f"Deltas compare with {prev.start} to {prev.end}, which the data covers only "
                f"from {first}.")
    else:
        text = f"Deltas compare with {prev.start} to {prev.end}."
    st.caption(f"{text} {extra}".strip())


def missing_tables(info: dict, tables: list[str]) -> list[str]:
    return _missing(info.get("tables"), tables)


def need_tables(info: dict, tables: list[str], what: str = "this page") -> bool:
    """True when every table is loaded; else say which files to add and return False."""
    missing = missing_tables(info, tables)
    if not missing:
        return True
    st.info(esc(need_text(missing, what)), icon=":material/upload_file:")
    return False
