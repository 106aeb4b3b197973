"""How big a file may be before it is parsed, and the checks that hold every reader to it.

Why a module of its own: a file's own claims decide how much memory a naive reader
takes. A 1.5 KB spreadsheet with one cell at XFD1048576 makes a spreadsheet reader
allocate a 17-billion-cell grid (512 GiB: the process aborts and takes the server with
it for every user); a 5.7 MB zip that unpacks to 1.9 GB filled 4 GB of memory when read
in one piece. So every archive (an .xlsx is a zip, and so is an upload) is measured
from its directory and its real content before anything reads it, and refused with a
sentence naming the file and the bound it broke. The bounds are in DECISIONS.md.

Nothing here decompresses more than one chunk at a time: a sheet's extent is found by
streaming its XML (the `r="XFD1048576"` cell references), not by building the grid.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

MB = 1024 * 1024
GB = 1024 * MB

# Archives (.zip uploads and the parts of an .xlsx)
MAX_MEMBERS = 1_000  # entries in one archive (an xlsx has about 10, an extract zip ~12)
MAX_UNZIPPED = 2 * GB  # total unpacked bytes of one archive
MAX_RATIO = 100  # unpacked / packed bytes of a member over RATIO_FROM (CSV and XML: 5-12)
RATIO_FROM = 10 * MB  # smaller members may compress as well as they like
CHUNK = 1 * MB  # bytes decompressed (or copied) at a time

# Spreadsheets
MAX_SHEET_CELLS = 20_000_000  # rows x columns of the grid a sheet spans (from A1)
MAX_COLUMNS = 5_000  # columns of any file (a CSV header, a sheet, a Parquet schema)

# Parquet: unpacked bytes of all column chunks, from the file's own metadata
MAX_PARQUET_UNPACKED = 16 * GB  # read by DuckDB, which spills to disk beyond its memory limit
MAX_PARQUET_IN_MEMORY = 2 * GB  # read whole into memory (the importers' pandas reader)

# CSV rows
MAX_LINE_BYTES = 8 * MB  # one CSV row, quoted line breaks included; longer rows are refused
MAX_FIELD_BYTES = 256 * MB  # one value the line-counting scan still holds in memory
MAX_HEADER_BYTES = 1 * MB  # the header line


def size_text(n: float) -> str:
    """Bytes as people say them: 1.5 KB, 50.0 MB, 2 GB."""
    for unit, size in (("GB", GB), ("MB", MB), ("KB", 1024)):
        if n >= size:
            value = n / size
            text = f"{value:.0f}" if value >= 100 else f"{value:.1f}".removesuffix(".0")
            return f"{text} {unit}"
    return f"{int(n)} bytes"


# --- archives ----------------------------------------------------------------------

def archive_problem(archive: zipfile.ZipFile, name: str) -> str | None:
    """Why the archive must not be unpacked (member count, sizes, ratio), or None; the
    sentence starts with `name` ("extract.zip", "the workbook").

    Reads only the zip's directory; the sizes it declares are also enforced while
    unpacking (zipfile stops at a member's declared size and checks its CRC)."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        return (f"{name} holds {len(members):,} files; the bound is {MAX_MEMBERS:,} "
                "files per archive")
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED:
        return (f"{name} unpacks to {size_text(total)}; the bound is "
                f"{size_text(MAX_UNZIPPED)} unpacked per archive: load it with "
                "python -m gtm load DIR from an unpacked folder instead")
    for m in members:
        if m.file_size > RATIO_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            return (f"{name}: {m.filename} unpacks to {size_text(m.file_size)} from "
                    f"{size_text(m.compress_size)}, more than {MAX_RATIO} times its packed "
                    "size (a zip bomb, or padding no CRM export has); the bound is "
                    f"{MAX_RATIO}:1")
    return None


def copy_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> int:
    """Unpack one member into target, CHUNK bytes at a time; the bytes written."""
    written = 0
    with archive.open(member) as src, open(target, "wb") as out:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            out.write(chunk)
    return written


# --- Parquet -----------------------------------------------------------------------

def parquet_problem(path: Path, limit: int = MAX_PARQUET_UNPACKED) -> str | None:
    """Why a Parquet file must not be read (columns, unpacked size), from its footer only;
    None when it is within the bounds, or not Parquet at all (the reader says so)."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception:  # not Parquet, or a damaged footer: the reader reports it
        return None
    if meta.num_columns > MAX_COLUMNS:
        return (f"has {meta.num_columns:,} columns; the bound is {MAX_COLUMNS:,} columns "
                "per file")
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if unpacked > limit:
        return (f"unpacks to {size_text(unpacked)} ({meta.num_rows:,} rows); the bound is "
                f"{size_text(limit)}")
    return None


# --- spreadsheets ------------------------------------------------------------------

@dataclass(frozen=True)
class Sheet:
    name: str
    part: str  # e.g. xl/worksheets/sheet1.xml


@dataclass(frozen=True)
class Extent:
    """Where a sheet's cells really are (not what its dimension tag says)."""

    rows: int  # the last row holding a cell (1-based)
    columns: int  # the last column holding a cell (1-based)
    cells: int  # cells written
    declared: str | None  # the <dimension ref="..."> the file claims

    @property
    def grid(self) -> int:
        return self.rows * self.columns

    @property
    def last(self) -> str:
        """The far corner of the grid, e.g. XFD1048576."""
        return f"{column_letters(self.columns)}{self.rows}"


class Refused(ValueError):
    """A file breaks a bound: the message (shown after the file name) says which."""


class XlsxRefused(Refused):
    """The workbook breaks a bound or is not a readable .xlsx: the message says which."""


def xlsx_sheets(path: Path) -> list[Sheet]:
    """The workbook's sheets in order, read from its small XML parts, bounded first.
    XlsxRefused (a sentence to show after the file name) when it must not be read."""
    try:
        with zipfile.ZipFile(path) as book:
            problem = archive_problem(book, "the workbook")
            if problem:
                raise XlsxRefused(problem)
            sheets = _sheets(book)
    except zipfile.BadZipFile as exc:
        raise XlsxRefused(f"is not a readable .xlsx file ({exc})") from None
    if not sheets:
        raise XlsxRefused("is not a readable .xlsx file (it lists no sheet)")
    return sheets


def check_sheet(path: Path, sheet: Sheet) -> Extent:
    """The real extent of one sheet; XlsxRefused when it breaks a bound."""
    with zipfile.ZipFile(path) as book:
        try:
            with book.open(sheet.part) as xml:
                extent = sheet_extent(_chunks(xml))
        except KeyError:
            raise XlsxRefused(f"sheet {sheet.name} has no data part ({sheet.part})") from None
    declared = f" (it declares {extent.declared})" if extent.declared else ""
    if extent.columns > MAX_COLUMNS:
        raise XlsxRefused(f"sheet {sheet.name}: its cells reach column "
                          f"{column_letters(extent.columns)}, {extent.columns:,} "
                          f"columns{declared}; the bound is "
                          f"{MAX_COLUMNS:,} columns: delete what is beyond the table, or "
                          "save it as CSV")
    if max(extent.grid, extent.cells) > MAX_SHEET_CELLS:
        raise XlsxRefused(f"sheet {sheet.name}: its cells reach {extent.last}, a grid of "
                          f"{max(extent.grid, extent.cells):,} cells{declared}; the bound is "
                          f"{MAX_SHEET_CELLS:,} cells: delete what is beyond the table, or "
                          "save it as CSV or Parquet")
    return extent


def _sheets(book: zipfile.ZipFile) -> list[Sheet]:
    try:
        workbook = _xml(book, "xl/workbook.xml")
        rels = _xml(book, "xl/_rels/workbook.xml.rels")
    except KeyError as exc:
        raise XlsxRefused(f"is not a readable .xlsx file (no {exc.args[0]})") from None
    except ElementTree.ParseError as exc:
        raise XlsxRefused(f"is not a readable .xlsx file ({exc})") from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels if _local(r.tag) == "Relationship"}
    sheets = []
    for node in workbook.iter():
        if _local(node.tag) != "sheet":
            continue
        rid = next((v for k, v in node.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else \
            str(PurePosixPath("xl") / target)
        sheets.append(Sheet(node.get("name", ""), part))
    return sheets


def _xml(book: zipfile.ZipFile, part: str):
    info = book.getinfo(part)
    if info.file_size > 16 * MB:
        raise XlsxRefused(f"{part} is {size_text(info.file_size)}; a workbook's index is "
                          "a few KB")
    return ElementTree.fromstring(book.read(part))  # expat refuses entity expansion bombs


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _chunks(stream) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)\b([^>]*)>")
_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]*)(\d*)["']""")
_DIMENSION = re.compile(rb"""<(?:[A-Za-z_][\w.\-]*:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']*)["']""")
_PREFIX = re.compile(rb"<([A-Za-z_][\w.\-]*:)?(?:worksheet|sheetData)\b")


def sheet_extent(chunks) -> Extent:
    """Stream a sheet's XML: the last row and column holding a cell, and the cell count.

    Fast path: every cell is written `<c r="B7"` (as every spreadsheet program writes
    it), so two regular-expression passes find the largest column and row; a chunk with
    any other cell tag is walked tag by tag, cells without a reference following the
    one before."""
    rows = cols = cells = row = col = 0
    declared, tail, fast = None, b"", None
    for chunk in chunks:
        data = tail + chunk
        cut = data.rfind(b"<")
        if cut < 0 or data.find(b">", cut) >= 0:
            cut = len(data)
        body, tail = data[:cut], data[cut:]
        if len(tail) > MB:
            raise XlsxRefused("a sheet holds a tag longer than 1 MB; it is not a "
                              "spreadsheet any program wrote")
        if declared is None and (found := _DIMENSION.search(body)):
            declared = found.group(1).decode("ascii", "replace")
        fast = fast or _fast_patterns(body)
        if fast:
            letters, digits, tags = (p.findall(body) for p in fast)
            if len(letters) == len(tags) == len(digits):
                if letters:
                    cols = max(cols, max(column_number(c.decode()) for c in set(letters)))
                    rows = max(rows, max(int(d) for d in set(digits)))
                    row, col = int(digits[-1]), column_number(letters[-1].decode())
                cells += len(letters)
                continue
        for kind, attrs in _TAG.findall(body):
            ref = _REF.search(attrs)
            if kind == b"row":
                row, col = (int(ref.group(2)) if ref and ref.group(2) else row + 1), 0
                continue
            letters, digits = (ref.group(1), ref.group(2)) if ref else (b"", b"")
            col = column_number(letters.decode()) if letters else col + 1
            row = int(digits) if digits else max(row, 1)
            cells += 1
            rows, cols = max(rows, row), max(cols, col)
    return Extent(rows, cols, cells, declared)


def _fast_patterns(body: bytes):
    """(letters, digits, any cell tag) patterns for the sheet's namespace prefix."""
    found = _PREFIX.search(body)
    if not found:
        return None
    c = re.escape((found.group(1) or b"") + b"c")
    return (re.compile(rb'<' + c + rb' r="([A-Z]{1,4})'),
            re.compile(rb'<' + c + rb' r="[A-Z]{1,4}(\d{1,9})"'),
            re.compile(rb'<' + c + rb'[\s>/]'))


def column_number(letters: str) -> int:
    """A -> 1, Z -> 26, AA -> 27, XFD -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out or "A"
