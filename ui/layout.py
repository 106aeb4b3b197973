"""The parts every page shares: header, missing-table notice, safe text.

Executives compare screenshots: each page must say what it shows, as of when and
for which slice, in the same place and the same words. Pages with an optional
table missing explain which file would light them up instead of crashing.
"""

from __future__ import annotations

import streamlit as st

from gtm import periods
from gtm.contract import TABLES
from gtm.filters import Filter
from ui.state import current_filter, current_period, previous_filter
from ui.text import esc


def filter_summary(flt: Filter, period: str) -> str:
    """One line: period with its dates, then each active dimension (or 'all ...')."""
    span = f"{flt.start:%b %-d, %Y} – {flt.end:%b %-d, %Y}"
    label = span if period == periods.CUSTOM else f"{period} ({span})"
    parts = [label]
    for name, values in (("regions", flt.regions), ("segments", flt.segments),
                         ("channels", flt.channels)):
        parts.append(", ".join(values) if values else f"all {name}")
    motions = [m.replace("_", "-") for m in flt.motions]
    parts.append(", ".join(motions) if motions else "all motions")
    return " · ".join(parts)


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


def table_hint(table: str) -> str:
    """'arr.csv (monthly recurring-revenue snapshots: account_id, month, arr)'."""
    spec = TABLES[table]
    required = ", ".join(c.name for c in spec.columns if c.required)
    exports = f", or {spec.exports}" if spec.exports else ""  # issue 12: the CRM's own export
    return f"{table}.csv ({spec.meaning}: {required}){exports}"


def missing_tables(info: dict, tables: list[str]) -> list[str]:
    provided = info.get("tables") or {}
    return [t for t in tables if not provided.get(t)]


def need_tables(info: dict, tables: list[str], what: str = "this page") -> bool:
    """True when every table is loaded; else say which files to add and return False."""
    missing = missing_tables(info, tables)
    if not missing:
        return True
    files = " and ".join(table_hint(t) for t in missing)
    st.info(f"Add {esc(files)} to see {what}. Load it on the Data page; "
            "CSV, XLSX and Parquet are accepted.", icon=":material/upload_file:")
    return False
