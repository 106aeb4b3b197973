"""Tables on screen and as CSV downloads that are safe to open in a spreadsheet; the QBR
pack's download.

CRM fields are typed by many people; a cell like `=HYPERLINK(...)` would run as a
formula in Excel (CSV injection). Every text cell starting with = + - @, tab or
carriage return gets a leading single quote in the download.
"""

from __future__ import annotations

import numbers
import re

import pandas as pd
import streamlit as st

from gtm import fmt

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
    return out.to_csv(index=False, lineterminator="\r\n", na_rep=fmt.NA).encode("utf-8")


def _file_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "table"
    return f"targetline-{slug}.csv"


def _number_text(value, number_format: str | None) -> str:
    """A number as a table cell shows it, for the column formats the pages use."""
    if number_format == "$%,.0f":
        return f"${value:,.0f}"
    if number_format == "percent":
        return fmt.percent(value)
    if number_format == ".0%":
        return f"{value * 100:.0f} %"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _cell_text(value, number_format: str | None) -> str:
    if fmt.is_missing(value):
        return fmt.NA
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return str(value)
    return _number_text(value, number_format)


def with_na(df: pd.DataFrame, column_config: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The frame as shown: a column with a missing value becomes text in which the missing
    cells read n/a (never None, NaN or a made-up $0) and the others keep their column format;
    its number column config becomes a text column with the same label."""
    config = dict(column_config or {})
    shown = df.copy()
    for column in df.columns:
        if not df[column].isna().any():
            continue
        spec = config.get(column)
        spec_dict = spec if isinstance(spec, dict) else {}
        number_format = (spec_dict.get("type_config") or {}).get("format")
        shown[column] = [_cell_text(v, number_format) for v in df[column]]
        label = spec if isinstance(spec, str) else spec_dict.get("label")
        config[column] = st.column_config.TextColumn(label, help=spec_dict.get("help"))
    return shown, config


def table(df: pd.DataFrame, name: str, *, column_config: dict | None = None,
          height: int | str = "auto", key: str | None = None) -> None:
    """st.dataframe plus a 'Download CSV' button for the same rows (missing values read n/a
    in both)."""
    shown, config = with_na(df, column_config)
    st.dataframe(shown, hide_index=True, column_config=config, height=height, width="stretch")
    st.download_button("Download CSV", safe_csv(df), file_name=_file_name(name),
                       mime="text/csv", key=key or f"download-{_file_name(name)}",
                       icon=":material/download:", on_click="ignore")


def csv_download(label: str, df: pd.DataFrame, name: str, key: str) -> None:
    """A 'Download CSV' button of its own (the rows are ready; they go through safe_csv)."""
    st.download_button(label, safe_csv(df), file_name=_file_name(name), mime="text/csv",
                       key=key, icon=":material/download:", on_click="ignore")


def deferred_csv(label: str, frame, name: str, key: str) -> None:
    """A CSV download whose rows are read only when clicked (frame: a function returning the
    frame), for lists too long to write on every rerun; they go through safe_csv too."""
    st.download_button(label, lambda: safe_csv(frame()), file_name=_file_name(name),
                       mime="text/csv", key=key, icon=":material/download:", on_click="ignore")


def text_download(label: str, text: str, file_name: str, key: str,
                  mime: str = "application/x-yaml") -> None:
    """A text file (a target definition's YAML) as written: not a spreadsheet, nothing to
    neutralise."""
    st.download_button(label, text.encode("utf-8"), file_name=file_name, mime=mime, key=key,
                       icon=":material/download:", on_click="ignore")


def pack_button(label: str, build, file_name: str, mime: str, key: str) -> None:
    """A download of the QBR pack (PowerPoint or PDF), built by build() only when clicked,
    on the download's own thread, without a rerun. Slides are no spreadsheet cells, so no
    formula neutralising applies: the pack writes CRM text as plain text (gtm/qbr)."""
    st.download_button(label, build, file_name=file_name, mime=mime, key=key,
                       on_click="ignore", icon=":material/slideshow:", width="stretch")
