"""Reading one extract file (CSV, XLSX or Parquet) into an all-varchar raw table.

Why a module of its own: the three formats differ in how they are read, but the
loader and the validation want one thing from each: a table `raw_<table>` with every
column of the file as varchar (unknown columns too), the header as written, and a
`_line` column that says where each row came from, so every message can name a line.

Line convention (see DECISIONS.md): CSV and XLSX count lines like a text editor or
a spreadsheet, header = line 1, first data row = line 2. For a CSV, `_line` is the
row's position + 2; a quoted value spanning several lines or a blank line would
shift that, so the loader re-counts the real line (with Python's csv module) for
the few rows it reports (`physical_lines`). Parquet has no lines: `_line` is the
1-based row number.

CSV files are read by DuckDB's read_csv with explicit all-varchar columns (its
sniffer can silently turn a ragged file into one column) and store_rejects, so a
row with too few or too many values is reported by line instead of crashing.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from gtm.contract import TABLES
from gtm.load import bounds
from gtm.load.validate import EXAMPLES, Message, ident

# Python's csv module refuses values over 128 KB by default; the loader's line counting
# and the importers read values up to the bound instead (process-wide, set once here).
csv.field_size_limit(bounds.MAX_FIELD_BYTES)

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Source:
    """One input file and the contract table its name says it holds."""

    table: str
    path: Path
    fmt: str  # csv | xlsx | parquet


@dataclass
class RawRead:
    """What reading one file produced."""

    header: list[str]  # raw table column names (the file's header as written, made unique)
    rows: int
    messages: list[Message] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ","


def table_key(name: str) -> str:
    """Normalise a header or file stem: trimmed, lowercase, spaces/hyphens -> '_'."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


# --- which files ------------------------------------------------------------------

def discover(source: Path | Sequence[Path]) -> tuple[list[Source], list[Message]]:
    """The files to load (one per table) and messages about the ones that are not."""
    paths, messages = _list_paths(source)
    found: dict[str, Source] = {}
    for path in paths:
        table, fmt = table_key(path.stem), FORMATS.get(path.suffix.lower())
        if fmt is None:
            if table in TABLES:
                messages.append(Message("warning", path.name, None, None,
                                        "ignored: not a CSV, XLSX or Parquet file"))
        elif table not in TABLES:
            messages.append(Message("warning", path.name, None, None,
                                    "ignored: the name is not a table of the data contract "
                                    f"(expected one of {', '.join(TABLES)})"))
        elif table in found:
            messages.append(Message("error", path.name, None, None,
                                    f"a second file for table {table} (also "
                                    f"{found[table].path.name}); give one file per table"))
        else:
            found[table] = Source(table, path, fmt)
    return list(found.values()), messages


def _list_paths(source) -> tuple[list[Path], list[Message]]:
    if isinstance(source, str | Path):
        folder = Path(source)
        if not folder.is_dir():
            return [], [Message("error", str(folder), None, None,
                                "no such folder; expected a folder with one file per table")]
        return sorted(p for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith((".", "~$"))), []
    paths = [Path(p) for p in source]
    missing = [Message("error", p.name, None, None, "no such file") for p in paths
               if not p.is_file()]
    return [p for p in paths if p.is_file()], missing


def unique_names(header: list[str]) -> list[str]:
    """Raw column names: the header as written (trimmed), made unique case-insensitively."""
    names: list[str] = []
    seen = {"_line"}
    for i, name in enumerate(header, start=1):
        base = name.strip() or f"column_{i}"
        candidate, k = base, 2
        while candidate.lower() in seen:
            candidate, k = f"{base}_{k}", k + 1
        seen.add(candidate.lower())
        names.append(candidate)
    return names


def literal(text: str) -> str:
    """A SQL string literal for a name read from a file header (table-function args)."""
    return "'" + text.replace("'", "''") + "'"


def read(con, src: Source, raw_table: str) -> RawRead:
    """Read src into raw_table (all varchar + _line); never raises for bad content."""
    reader = {"csv": read_csv, "xlsx": read_xlsx, "parquet": read_parquet}[src.fmt]
    return reader(con, src, raw_table)


# --- CSV --------------------------------------------------------------------------

BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
CP1252_ONLY = bytes(range(0x80, 0xA0))  # bytes cp1252 prints (€, quotes) and Latin-1 does not


def file_encoding(path: Path, sample: bool = False) -> str:
    """utf-8 | utf-16 | cp1252 | latin-1, decided from the BOM, else from the whole file
    (sample: the first megabyte only, for a quick look at a header)."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        bom = next((enc for mark, enc in BOMS if head.startswith(mark)), None)
        if bom:
            return bom
        fh.seek(0)
        decoder, rest = codecs.getincrementaldecoder("utf-8")(), b""
        try:
            while chunk := fh.read(1 << 22 if not sample else 1 << 20):
                decoder.decode(chunk)
                if sample:
                    break
            if not sample:
                decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            fh.seek(0)
            rest = fh.read() if not sample else fh.read(1 << 20)
    return "cp1252" if any(b in CP1252_ONLY for b in set(rest)) and _cp1252(rest) else "latin-1"


def _cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def text_encoding(encoding: str) -> str:
    """The Python codec for reading a file of that encoding (a UTF-8 BOM is skipped)."""
    return "utf-8-sig" if encoding == "utf-8" else encoding


def sniff_header(path: Path, encoding: str | None = None) -> tuple[list[str], str, str] | None:
    """(header fields, delimiter, encoding) from the first line; None if no header.
    bounds.Refused when the line is longer than a header can be."""
    encoding = encoding or file_encoding(path, sample=True)
    with open(path, encoding=text_encoding(encoding), errors="replace", newline="") as fh:
        line = fh.readline(bounds.MAX_HEADER_BYTES + 1)
    if len(line) > bounds.MAX_HEADER_BYTES:
        raise bounds.Refused(f"the first line (the header) is longer than "
                             f"{bounds.size_text(bounds.MAX_HEADER_BYTES)}; expected a "
                             "header line naming the columns")
    line = line.rstrip("\r\n")
    if not line.strip():
        return None
    delimiter = max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ","
    fields = next(csv.reader(io.StringIO(line), delimiter=delimiter))
    return fields, delimiter, encoding


ENCODING_TEXT = {"latin-1": "not UTF-8 encoded; read as Latin-1 (ISO 8859-1)",
                 "cp1252": "not UTF-8 encoded; read as Windows-1252 (Windows Western)",
                 "utf-16": "UTF-16 encoded (Excel's \"Unicode text\"); read as UTF-16"}


def read_csv(con, src: Source, raw_table: str) -> RawRead:
    try:
        sniffed = sniff_header(src.path)
    except bounds.Refused as exc:
        return RawRead([], 0, [Message("error", src.path.name, 1, None, str(exc))])
    if sniffed is None:
        return _empty_file(src)
    fields, delimiter, encoding = sniffed
    if len(fields) > bounds.MAX_COLUMNS:
        return RawRead([], 0, [Message("error", src.path.name, 1, None,
                                       f"the header has {len(fields):,} columns; the bound "
                                       f"is {bounds.MAX_COLUMNS:,} columns per file")])
    names = unique_names(fields)
    messages = []
    rejects = _csv_scan(con, src, raw_table, names, delimiter, encoding)
    if encoding == "utf-8" and any(r[2] == "INVALID ENCODING" for r in rejects):
        encoding = file_encoding(src.path)
        con.execute(f"drop table {ident(raw_table)}")
        rejects = _csv_scan(con, src, raw_table, names, delimiter, encoding)
    if encoding in ENCODING_TEXT:
        messages.append(Message("warning", src.path.name, None, None,
                                f"{ENCODING_TEXT[encoding]}. Save as UTF-8 if accents look "
                                "wrong"))
    rows = con.execute(f"select count(*) from {ident(raw_table)}").fetchall()[0][0]  # noqa: S608
    unread, spans = unread_rows(src, rows, rejects, encoding, delimiter, names)
    messages += unread + _reject_messages(src, [r for r in rejects if not _inside(r[0], spans)],
                                          len(names))
    return RawRead(names, rows, messages, encoding, delimiter)


def _inside(line: int, spans: list[tuple[int, int]]) -> bool:
    """True for a rejected line that is part of a too-long row (already reported): DuckDB
    gives up on a quoted value longer than its bound and reads its lines as rows."""
    return any(start <= line <= end for start, end in spans)


LINE_SIZE = "LINE SIZE OVER MAXIMUM"


def _utf8_copy(src: Source, encoding: str) -> Path:
    """A UTF-8 copy of a Windows-1252 file (DuckDB reads UTF-8, UTF-16 and Latin-1 only)."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix="targetline-", suffix=".csv")
    with open(src.path, encoding=encoding, newline="") as fin, \
            open(fd, "w", encoding="utf-8", newline="") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
    return Path(name)


def _csv_scan(con, src, raw_table, names, delimiter, encoding) -> list[tuple]:
    """CTAS raw_table from the file; returns the rejected rows (ragged, bad bytes, too long).

    Rows longer than bounds.MAX_LINE_BYTES are rejected by DuckDB, or (longer than its
    buffer) skipped without a word: unread_rows finds both."""
    rej, scan = f"rej_{raw_table}", f"scan_{raw_table}"
    for t in (rej, scan):
        con.execute(f"drop table if exists {ident(t)}")
    path = _utf8_copy(src, encoding) if encoding == "cp1252" else src.path
    try:
        return _scan(con, raw_table, names, rej, scan, path, delimiter,
                     "utf-8" if encoding == "cp1252" else encoding)
    finally:
        if path != src.path:
            path.unlink(missing_ok=True)


def _scan(con, raw_table, names, rej, scan, path, delimiter, encoding) -> list[tuple]:
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    con.execute(
        f"""create temp table {ident(raw_table)} as
            select (row_number() over ()) + 1 as _line, *
            from read_csv($path, columns = {columns}, header = true, delim = $delim,
                quote = '"', escape = '"', auto_detect = false, encoding = $enc,
                max_line_size = $max_line, buffer_size = $buffer,
                store_rejects = true, rejects_table = {literal(rej)},
                rejects_scan = {literal(scan)}, rejects_limit = 0)""",  # noqa: S608
        {"path": str(path), "delim": delimiter, "enc": encoding,
         "max_line": bounds.MAX_LINE_BYTES, "buffer": 4 * bounds.MAX_LINE_BYTES})
    return con.execute(  # one row per bad line (DuckDB lists each missing column)
        f"""select line, arg_min(column_name, coalesce(column_idx, 0)),
              arg_min(error_type, coalesce(column_idx, 0)), any_value(csv_line),
              arg_min(error_message, coalesce(column_idx, 0)), count(*) over ()
            from {ident(rej)} group by line order by line""").fetchall()  # noqa: S608


# --- no row lost without a message ------------------------------------------------

def unread_rows(src: Source, rows: int, rejects: list[tuple], encoding: str, delimiter: str,
                names: list[str]) -> tuple[list[Message], list[tuple[int, int]]]:
    """Messages for every row of the file that is neither read nor rejected with a reason,
    and the (first, last) lines of each too-long row.

    The fast check counts line breaks: when rows read + rows rejected equals the lines
    after the header, nothing is missing. Otherwise (a quoted value spanning lines, a
    blank line, a row longer than the bound) the file is counted record by record with
    Python's csv module, and each row over bounds.MAX_LINE_BYTES is named by line and by
    the column holding most of it."""
    long_rejects = [r for r in rejects if r[2] == LINE_SIZE]
    if not long_rejects and rows + len(rejects) == _lines_after_header(src.path):
        return [], []
    records, long, problem = record_scan(src.path, encoding, delimiter,
                                         {int(r[0]) for r in long_rejects})
    spans = [(line, end) for line, end, _, _, _ in long]
    messages = [_long_row_message(src, line, size, column, cell, names)
                for line, _, size, column, cell in long[:EXAMPLES]]
    if len(long) > EXAMPLES:
        messages.append(Message("error", src.path.name, None, None,
                                f"{len(long)} rows in all are longer than "
                                f"{bounds.size_text(bounds.MAX_LINE_BYTES)} (the first "
                                f"{EXAMPLES} are listed above)"))
    if problem:
        messages.append(Message("error", src.path.name, problem[0], None, problem[1]))
    other_rejects = sum(1 for r in rejects if not _inside(r[0], spans))
    missing = records - rows - other_rejects - len(long)
    if missing > 0 and not problem:
        messages.append(Message(
            "error", src.path.name, None, None,
            f"{missing} row{'s' if missing != 1 else ''} of the file could not be read "
            f"({records:,} rows found, {rows:,} read, {other_rejects + len(long):,} "
            "reported above); nothing was loaded from it. Check the quoting: a value that "
            "opens a double quote must close it"))
    return messages, spans


def _lines_after_header(path: Path) -> int:
    """Line breaks after the header (a last line without one counts): the number of rows
    when no value spans lines and no line is blank."""
    count, last = 0, b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(bounds.CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count - (1 if last == b"\n" else 0)


def record_scan(path: Path, encoding: str, delimiter: str, flagged: set[int]):
    """(records, long rows, problem) of a CSV, counted the way DuckDB reads it: a record per
    non-blank row after the header. A long row is (first line, last line, bytes, column
    index, bytes of its longest value): over bounds.MAX_LINE_BYTES, or starting on a line
    in `flagged`. problem is
    (line, text) when the file cannot be counted to its end (a value over
    bounds.MAX_FIELD_BYTES)."""
    records, long = 0, []
    with open(path, encoding=text_encoding(encoding), errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        start = 1
        try:
            next(reader, None)
            start = reader.line_num + 1
            for row in reader:
                if row:
                    records += 1
                    chars = sum(map(len, row)) + len(row)
                    if chars * 4 > bounds.MAX_LINE_BYTES or start in flagged:
                        long += _long_row(row, (start, reader.line_num), encoding, flagged)
                start = reader.line_num + 1
        except csv.Error as exc:
            return records, long, (start, f"the row cannot be read to its end ({exc}); a "
                                   f"value may hold at most "
                                   f"{bounds.size_text(bounds.MAX_FIELD_BYTES)}")
    return records, long, None


def _long_row(row: list[str], lines: tuple[int, int], encoding: str,
              flagged: set[int]) -> list[tuple]:
    sizes = [len(v.encode(encoding, "replace")) for v in row]
    size = sum(sizes) + len(row)
    if size <= bounds.MAX_LINE_BYTES and lines[0] not in flagged:
        return []
    column = max(range(len(sizes)), key=sizes.__getitem__)
    return [(*lines, size, column, sizes[column])]


def _long_row_message(src: Source, line: int, size: int, column: int, cell: int,
                      names: list[str]) -> Message:
    name = names[column] if column < len(names) else None
    return Message("error", src.path.name, line, name,
                   f"the row is {bounds.size_text(size)} long ({bounds.size_text(cell)} in "
                   f"this column); rows of up to {bounds.size_text(bounds.MAX_LINE_BYTES)} "
                   "are read: shorten the value, or give this table as Parquet, which has "
                   "no row bound")


def _reject_messages(src: Source, rejects: list[tuple], ncols: int) -> list[Message]:
    out = []
    for line, column, kind, _text, detail, _ in rejects[:EXAMPLES]:
        if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
            what = (f"has {'fewer' if kind == 'MISSING COLUMNS' else 'more'} values than the "
                    f"header's {ncols} columns; expected one value per column (a value "
                    "containing the delimiter must be in double quotes)")
        else:
            what = f"cannot be read ({kind.lower()}: {detail})"
        out.append(Message("error", src.path.name, int(line), column, f"the row {what}"))
    if len(rejects) > EXAMPLES:
        out.append(Message("error", src.path.name, None, None,
                           f"{len(rejects)} rows in all cannot be read (the first "
                           f"{EXAMPLES} are listed above)"))
    return out


def physical_lines(path: Path, encoding: str, delimiter: str, ncols: int,
                   wanted: set[int]) -> dict[int, int]:
    """Map conventional lines (row position + 2) to real lines, for reported rows only.

    Mirrors how DuckDB counted rows: blank lines are skipped and ragged rows were
    rejected, so neither advances the row position (DuckDB accepts one trailing
    empty value, as from a line ending in a delimiter).
    """
    found: dict[int, int] = {}
    if not wanted:
        return found
    last = max(wanted)
    with open(path, encoding=text_encoding(encoding), newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader, None)
        position, start = 0, reader.line_num + 1
        for row in reader:
            if row and (len(row) == ncols or (len(row) == ncols + 1 and row[-1] == "")):
                position += 1
                if position + 1 in wanted:
                    found[position + 1] = start
                if position + 1 >= last:
                    break
            start = reader.line_num + 1
    return found


def _empty_file(src: Source) -> RawRead:
    cols = ", ".join(TABLES[src.table].column_names)
    return RawRead([], 0, [Message("error", src.path.name, 1, None,
                                   f"the file is empty; expected a header line naming the "
                                   f"columns ({cols}) and one row per record")])


# --- XLSX -------------------------------------------------------------------------

def read_xlsx(con, src: Source, raw_table: str) -> RawRead:
    try:
        sheets = bounds.xlsx_sheets(src.path)
        sheet, problem = _pick_sheet(sheets, src)
        if problem:
            return RawRead([], 0, [problem])
        rows = sheet_rows(src.path, sheet)
    except bounds.XlsxRefused as exc:  # too big or not a workbook: say so, read nothing
        return RawRead([], 0, [Message("error", src.path.name, None, None, str(exc))])
    numbered = [(i, r) for i, r in enumerate(rows, start=1)
                if any(cell not in (None, "") for cell in r)]
    if not numbered:
        return _empty_file(src)
    (_, header), body = numbered[0], numbered[1:]
    names = unique_names([cell_text(c) or "" for c in header])
    messages = _xlsx_ragged(src, body, len(names))
    _register_rows(con, raw_table, names, body)
    return RawRead(names, len(body), messages)


def sheet_rows(path: Path, sheet: bounds.Sheet) -> list[list]:
    """Every row of one sheet, once its real extent is within the bounds (gtm/load/bounds.py:
    a spreadsheet reader builds the whole grid, so one far cell must not reach it)."""
    from python_calamine import CalamineError, CalamineWorkbook

    bounds.check_sheet(path, sheet)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return workbook.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, OSError) as exc:
        raise bounds.XlsxRefused(f"is not a readable .xlsx file ({exc})") from None


def _pick_sheet(sheets: list[bounds.Sheet], src: Source) -> tuple[bounds.Sheet | None,
                                                                   Message | None]:
    if len(sheets) == 1:
        return sheets[0], None
    named = [s for s in sheets if table_key(s.name) == src.table]
    if named:
        return named[0], None
    names = [s.name for s in sheets]
    return None, Message("error", src.path.name, None, None,
                         f"has {len(sheets)} sheets ({', '.join(names)}); expected one "
                         f"sheet, or one named {src.table}")


def _xlsx_ragged(src: Source, body, ncols: int) -> list[Message]:
    bad = [line for line, row in body if any(c not in (None, "") for c in row[ncols:])]
    return [Message("error", src.path.name, line, None,
                    f"the row has values beyond the header's {ncols} columns; expected "
                    "every value under a named column") for line in bad[:EXAMPLES]]


def _register_rows(con, raw_table: str, names: list[str], body) -> None:
    import pyarrow as pa

    columns = {"_line": pa.array([line for line, _ in body], pa.int64())}
    for j, name in enumerate(names):
        columns[name] = pa.array(
            [cell_text(row[j]) if j < len(row) else None for _, row in body], pa.string())
    view = f"xlsx_{raw_table}"
    con.register(view, pa.table(columns))
    con.execute(f"create temp table {ident(raw_table)} as select * from {ident(view)}")  # noqa: S608
    con.unregister(view)


def cell_text(value) -> str | None:
    """A spreadsheet cell as the text a CSV export would have written."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


# --- Parquet ----------------------------------------------------------------------

def read_parquet(con, src: Source, raw_table: str) -> RawRead:
    if problem := bounds.parquet_problem(src.path):
        return RawRead([], 0, [Message("error", src.path.name, None, None, problem)])
    try:
        described = con.execute("describe select * from read_parquet($path)",
                                {"path": str(src.path)}).fetchall()
    except Exception as exc:  # a corrupt or non-Parquet file: say so, do not crash
        return RawRead([], 0, [Message("error", src.path.name, None, None,
                                       f"cannot be read as Parquet ({exc})")])
    original = [row[0] for row in described]
    names = unique_names(original)
    select = ", ".join(f"cast({ident(o)} as varchar) as {ident(n)}"
                       for o, n in zip(original, names, strict=True))
    con.execute(f"""create temp table {ident(raw_table)} as
                    select row_number() over () as _line, {select}
                    from read_parquet($path)""", {"path": str(src.path)})  # noqa: S608
    rows = con.execute(f"select count(*) from {ident(raw_table)}").fetchall()[0][0]  # noqa: S608
    return RawRead(names, rows)
