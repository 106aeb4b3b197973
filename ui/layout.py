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
from ui.state import current_filter, current_period
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
    """Page title, one-line subtitle, the as-of date and the active filters."""
    st.title(title, anchor=False)
    st.markdown(subtitle)
    if info is None:
        return
    as_of = info.get("as_of")
    summary = esc(filter_summary(current_filter(), current_period()))
    st.caption(f"**As of {as_of}** · {summary}")


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
