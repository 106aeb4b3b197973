"""Hostile extracts, generated (never committed): what a hostile tester hands the loader.

Each generator writes a small file that used to crash the process, lose a row without a
word or break every page (issue 13): a 1.5 KB spreadsheet whose one far cell makes a
17-billion-cell grid, a 50 MB value, dates in year 1 or 9999, an amount of 1e309, a
+99:99 time-zone offset, a zip that unpacks a thousand times its size. The tests and
the soak (perf/soak.py) use the same ones.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"""


def _cell(ref: str, text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    return f'<c r="{ref}" t="inlineStr"><is><t>{escaped}</t></is></c>'


def xlsx(path: Path, rows: list[list[str]], *, far: str | None = "XFD1048576",
         declared: str | None = "A1:XFD1048576", sheet: str = "Sheet1") -> Path:
    """An .xlsx of `rows` (from A1), plus one cell at `far` and a <dimension ref=declared>:
    by default the 1.5 KB bomb that made the spreadsheet reader allocate 512 GiB."""
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(_cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    if far:
        far_row = int("".join(ch for ch in far if ch.isdigit()))
        body.append(f'<row r="{far_row}">{_cell(far, "x")}</row>')
    dimension = f'<dimension ref="{declared}"/>' if declared else ""
    sheet_xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 f'{dimension}<sheetData>{"".join(body)}</sheetData></worksheet>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK.format(name=sheet))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def xlsx_bomb_of(csv_path: Path) -> Path:
    """Replace a CSV of an extract by the same rows as an .xlsx with the far cell."""
    target = csv_path.with_suffix(".xlsx")
    xlsx(target, csv_rows(csv_path))
    csv_path.unlink()
    return target


def set_cell(path: Path, line: int, column: str, value: str) -> None:
    """Set one value of a CSV (line as an editor counts it: header = 1)."""
    rows = csv_rows(path)
    rows[line - 1][rows[0].index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def zip_bomb(path: Path, member: str = "touches.csv", unpacked: int = 600 * 1024 * 1024,
             extra: dict[str, bytes] | None = None) -> Path:
    """A zip whose `member` unpacks to `unpacked` bytes of one repeated line (about
    1000:1): a 600 MB member is a 0.6 MB file."""
    line = b"P1,2025-01-01T00:00:00,email,,web_visit\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        with archive.open(member, "w", force_zip64=True) as out:
            block = line * (1024 * 1024 // len(line))
            for _ in range(unpacked // len(block)):
                out.write(block)
    return path


# --- hostile variants of a canonical extract (the soak alternates them with good ones) ---

def _bomb(folder: Path) -> None:
    xlsx_bomb_of(folder / "campaigns.csv")


def _long_cell(folder: Path) -> None:
    set_cell(folder / "opportunities.csv", 2, "lost_reason", "x" * (50 * 1024 * 1024))


def _year_one(folder: Path) -> None:
    set_cell(folder / "people.csv", 2, "created_date", "0001-01-01")


def _year_9999(folder: Path) -> None:
    set_cell(folder / "opportunities.csv", 2, "close_date", "9999-12-31")


def _infinite(folder: Path) -> None:
    set_cell(folder / "opportunities.csv", 2, "amount", "1e309")


def _offset(folder: Path) -> None:
    set_cell(folder / "people.csv", 2, "created_date", "2025-01-05T10:00:00+99:99")


def _ragged(folder: Path) -> None:
    with open(folder / "people.csv", "a", encoding="utf-8") as fh:
        fh.write("P-RAGGED,only,three\n")


def _unclosed_quote(folder: Path) -> None:
    with open(folder / "opportunities.csv", "a", encoding="utf-8") as fh:
        fh.write('"O-QUOTE,"never closed\n')


VARIANTS: dict[str, Callable[[Path], None]] = {
    "xlsx bomb (one cell at XFD1048576)": _bomb,
    "50 MB lost_reason on the first deal": _long_cell,
    "created_date 0001-01-01": _year_one,
    "close_date 9999-12-31": _year_9999,
    "amount 1e309": _infinite,
    "offset +99:99": _offset,
    "ragged row": _ragged,
    "unclosed quote": _unclosed_quote,
}


def hostile_copy(source: Path, target: Path, variant: str) -> Path:
    """A copy of the extract `source` broken the way `variant` says."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    VARIANTS[variant](target)
    return target
