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
import re
from pathlib import Path

import pandas as pd

from gtm.load import bounds
from gtm.load.readers import (
    cell_text,
    file_encoding,
    sheet_rows,
    sniff_header,
    text_encoding,
    unique_names,
)

LINE = "_line"
EXTENSIONS = (".csv", ".tsv", ".txt", ".xlsx", ".parquet")


def read_export(path: Path) -> pd.DataFrame:
    """Header as written (made unique) -> text values (None when empty), plus _line."""
    suffix = path.suffix.lower()
    encoding = None
    if suffix == ".xlsx":
        header, rows = _xlsx_rows(path)
    elif suffix == ".parquet":
        header, rows = _parquet_rows(path)
    else:
        encoding = file_encoding(path)
        header, rows = _csv_rows(path, encoding)
    names = unique_names(header)
    rows = _drop_footer(rows)
    data = {name: [_cell(r, j) for _, r in rows] for j, name in enumerate(names)}
    frame = pd.DataFrame(data, dtype=object)
    frame[LINE] = [line for line, _ in rows]
    frame.attrs["encoding"] = encoding
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


def _csv_rows(path: Path, encoding: str) -> tuple[list[str], list[tuple[int, list]]]:
    sniffed = sniff_header(path, encoding)
    if sniffed is None:
        return [], []
    _, delimiter, encoding = sniffed
    with open(path, encoding=text_encoding(encoding), newline="") as fh:
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
    start = _header_row(numbered)
    return [cell_text(c) or "" for c in numbered[start][1]], numbered[start + 1:]


def _header_row(numbered: list[tuple[int, list]]) -> int:
    """A formatted report has title rows above its header (the report name, 'Filtered
    By: ...', the run date): the header is the first row about as wide as the table."""
    widest = max(_filled(r) for _, r in numbered)
    return next(i for i, (_, r) in enumerate(numbered)
                if _filled(r) >= max(2, 0.6 * widest) or _filled(r) == widest)


def _parquet_rows(path: Path):
    if problem := bounds.parquet_problem(path, bounds.MAX_PARQUET_IN_MEMORY):
        raise bounds.Refused(problem)
    frame = pd.read_parquet(path)
    return list(frame.columns), [(i, list(r)) for i, r in
                                 enumerate(frame.itertuples(index=False), start=1)]


FOOTER = re.compile(r"(grand\s+totals?|totals?|subtotal|record count|count)\b.*|"
                    r"confidential information.*|copyright \(c\).*|.*all rights reserved\.?",
                    re.I)


def _drop_footer(rows: list[tuple[int, list]]) -> list[tuple[int, list]]:
    """Blank rows go; so does a report's trailing block (a blank row or 'Grand Totals
    (n records)' first, then rows of one value: the org name, 'Confidential Information
    - Do Not Distribute', the copyright line) and totals rows wherever they sit."""
    rows = [(n, r) for n, r in rows if _filled(r) and not _totals(r)]
    end = len(rows)
    while end and (_filled(rows[end - 1][1]) <= 1 or _footer(rows[end - 1][1])):
        end -= 1
    tail = rows[end:]
    block = any(_footer(r) for _, r in tail) or (tail and rows[end - 1][0] + 1 < tail[0][0]
                                                  if end else False)
    return rows[:end] if block else rows


def _footer(row: list) -> bool:
    first = next((str(c).strip() for c in row if c not in (None, "") and str(c).strip()), "")
    return bool(FOOTER.fullmatch(first))


def _totals(row: list) -> bool:
    """'Grand Totals (25 records)' / 'Subtotal' rows of a summary report."""
    first = next((str(c).strip() for c in row if c not in (None, "") and str(c).strip()), "")
    return bool(re.fullmatch(r"(grand\s+totals?|subtotal)\b.*", first, re.I))


def _filled(row: list) -> int:
    return sum(1 for c in row if c not in (None, "") and str(c).strip())
