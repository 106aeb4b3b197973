"""Reading one CRM export file into a small all-text DataFrame that knows its lines.

Why not gtm/load/readers.py: that reader writes DuckDB raw tables for the canonical load
of millions of rows; exports to convert are account, lead and deal lists, small
enough for pandas, and the importers need every row's real file line (a quoted
note spanning lines is common in CRM exports) to name it in messages. Salesforce
report exports end with a footer (a blank line, the company name, "Confidential
Information - Do Not Distribute", a copyright line); it is dropped here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from gtm.load import bounds
from gtm.load.readers import cell_text, sheet_rows, sniff_header, unique_names

LINE = "_line"
EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")


def read_export(path: Path) -> pd.DataFrame:
    """Header as written (made unique) -> text values (None when empty), plus _line."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        header, rows = _xlsx_rows(path)
    elif suffix == ".parquet":
        header, rows = _parquet_rows(path)
    else:
        header, rows = _csv_rows(path)
    names = unique_names(header)
    rows = _drop_footer(rows)
    data = {name: [_cell(r, j) for _, r in rows] for j, name in enumerate(names)}
    frame = pd.DataFrame(data, dtype=object)
    frame[LINE] = [line for line, _ in rows]
    return frame


def header_of(path: Path) -> list[str]:
    """Just the header (detection reads every file's first line only)."""
    if path.suffix.lower() in (".xlsx", ".parquet"):
        return list(read_export(path).columns[:-1])
    sniffed = sniff_header(path)
    return [h.strip() for h in sniffed[0]] if sniffed else []


def _cell(row: list, j: int) -> str | None:
    if j >= len(row):
        return None
    value = row[j]
    text = value.strip() if isinstance(value, str) else cell_text(value)
    return text or None


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list]]]:
    sniffed = sniff_header(path)
    if sniffed is None:
        return [], []
    _, delimiter, encoding = sniffed
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding,
              newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, [])
        rows, start = [], reader.line_num + 1
        try:
            for row in reader:
                rows.append((start, row))
                start = reader.line_num + 1
        except csv.Error as exc:  # a value over the bound (gtm/load/bounds.py)
            raise bounds.Refused(f"line {start}: the row cannot be read to its end ({exc}); "
                                 "a value may hold at most "
                                 f"{bounds.size_text(bounds.MAX_FIELD_BYTES)}") from None
    if len(header) > bounds.MAX_COLUMNS:
        raise bounds.Refused(f"the header has {len(header):,} columns; the bound is "
                             f"{bounds.MAX_COLUMNS:,} columns per file")
    return header, rows


def _xlsx_rows(path: Path):
    """The first sheet's rows, read only once its real extent is within the bounds
    (gtm/load/bounds.py); bounds.XlsxRefused otherwise."""
    rows = sheet_rows(path, bounds.xlsx_sheets(path)[0])
    numbered = [(i, r) for i, r in enumerate(rows, start=1) if any(c not in (None, "") for c in r)]
    if not numbered:
        return [], []
    return [cell_text(c) or "" for c in numbered[0][1]], numbered[1:]


def _parquet_rows(path: Path):
    if problem := bounds.parquet_problem(path, bounds.MAX_PARQUET_IN_MEMORY):
        raise bounds.Refused(problem)
    frame = pd.read_parquet(path)
    return list(frame.columns), [(i, list(r)) for i, r in
                                 enumerate(frame.itertuples(index=False), start=1)]


def _drop_footer(rows: list[tuple[int, list]]) -> list[tuple[int, list]]:
    """Blank rows go; so does a trailing block after a blank row whose rows hold one value
    (a Salesforce report footer)."""
    filled = [_filled(r) for _, r in rows]
    blank = [i for i, n in enumerate(filled) if n == 0]
    if blank and all(n <= 1 for n in filled[blank[-1]:]) and blank[-1] < len(rows) - 1:
        rows, filled = rows[:blank[-1]], filled[:blank[-1]]
    return [r for r, n in zip(rows, filled, strict=True) if n]


def _filled(row: list) -> int:
    return sum(1 for c in row if c not in (None, "") and str(c).strip())
