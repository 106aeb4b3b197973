"""Tables on screen and as CSV downloads that are safe to open in a spreadsheet; the QBR
pack's download.

CRM fields are typed by many people; a cell like `=HYPERLINK(...)` would run as a
formula in Excel (CSV injection). Every text cell starting with = + - @, tab or
carriage return gets a leading single quote in the download.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """'=1+1' -> "'=1+1"; non-text values and harmless text are unchanged."""
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def safe_csv(df: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8) with every formula-like text cell and header neutralised."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column])
                or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(neutralise)
    # CRLF line ends make the csv writer quote every cell holding a CR or LF: with "\n"
    # a bare CR inside a cell would start a new spreadsheet row (a formula past the quote).
    return out.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def _file_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "table"
    return f"targetline-{slug}.csv"


def table(df: pd.DataFrame, name: str, *, column_config: dict | None = None,
          height: int | str = "auto", key: str | None = None) -> None:
    """st.dataframe plus a 'Download CSV' button for the same rows."""
    st.dataframe(df, hide_index=True, column_config=column_config, height=height,
                 width="stretch")
    st.download_button("Download CSV", safe_csv(df), file_name=_file_name(name),
                       mime="text/csv", key=key or f"download-{_file_name(name)}",
                       icon=":material/download:", on_click="ignore")


def pack_button(label: str, build, file_name: str, mime: str, key: str) -> None:
    """A download of the QBR pack (PowerPoint or PDF), built by build() only when clicked,
    on the download's own thread, without a rerun. Slides are no spreadsheet cells, so no
    formula neutralising applies: the pack writes CRM text as plain text (gtm/qbr)."""
    st.download_button(label, build, file_name=file_name, mime=mime, key=key,
                       on_click="ignore", icon=":material/slideshow:", width="stretch")
