"""Column mappings: which export file is which table, which column is which field.

Why one mechanism: every CRM and marketing tool exports its own headers, so a mapping
(YAML, written by a RevOps analyst, saved and reused) says for each file which table
it feeds, which header holds each field, how coded values translate (stages, roles,
booleans, lead sources) and how dates are written. The Salesforce and HubSpot
importers are built-in mappings of the same shape (gtm/importers/salesforce.py,
hubspot.py) whose candidates list API names, report labels and internal names; only
what a column mapping cannot say (merging leads into contacts, stage-history columns)
is code in those modules.

A mapping file:

    name: Acme CRM
    date_format: "%d/%m/%Y"          # optional; else read per column (see dates.py)
    stages: [Lead In, Demo, Proposal, Won, Lost]   # pipeline order, optional
    won_stages: [Won]
    lost_stages: [Lost]
    files:
      deals.csv:                     # the file name (or give match: [patterns])
        table: opportunities
        columns: {opportunity_id: Deal ID, account_id: Org ID, stage: Pipeline Stage}
        values: {stage: {Demo Scheduled: Demo}}
        defaults: {type: new_business}
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from gtm.contract import TABLES
from gtm.importers import dates
from gtm.importers.read import LINE
from gtm.load.skip import RowMessage
from gtm.load.validate import Message, trimmed
from gtm.yamltext import loader

FILE = "_file"
BAD = "_bad"  # why a row cannot be used ("header\treason"), set by the checks that find it
FUNCTIONS = ("coalesce", "nullif", "round", "abs", "least", "greatest")
TOKEN = re.compile(r'\s*(?:(\d+(?:\.\d+)?)|"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),]))')
DERIVED = {"opportunities": ("is_closed", "is_won"), "people": ("channel",)}  # filled in later
MONEY_RE = re.compile(r"^(?:[A-Z]{3}\s*|[$€£¥]\s*)?(-?[\d,]*\.?\d+)(?:\s*[A-Z]{3})?$")


def norm(name: str) -> str:
    """A header or file stem for matching: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9*]", "", str(name).lower())


@dataclass
class FileMap:
    """How one kind of file (a Salesforce object, a HubSpot export, a custom file) maps."""

    name: str  # the object or file name shown to the user
    table: str  # canonical table it feeds (custom), or the object (built-ins)
    columns: dict[str, tuple[str, ...]]  # field -> candidate headers, first present wins
    match: tuple[str, ...] = ()  # file-name patterns (case-insensitive)
    signature: tuple[tuple[str, ...], ...] = ()  # header sets that identify the file
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    dates: tuple[str, ...] = ()  # fields holding dates
    money: tuple[str, ...] = ()  # fields holding amounts
    required: tuple[str, ...] = ()  # fields without which the file is refused
    date_format: dict[str, str] = field(default_factory=dict)  # field -> strptime format
    ambiguous: tuple[str, ...] = ()  # fields where two present candidates must agree
    lookup: dict[str, str] = field(default_factory=dict)  # field -> "people.created_date"


@dataclass
class Mapping:
    source: str  # custom | salesforce | hubspot
    files: list[FileMap]
    name: str = ""
    date_format: str | None = None
    stages: list[str] = field(default_factory=list)
    won_stages: list[str] = field(default_factory=list)
    lost_stages: list[str] = field(default_factory=list)


@dataclass
class Extract:
    """One recognised file after mapping: fields + _line + _file."""

    file: str
    filemap: FileMap
    frame: pd.DataFrame
    columns: dict[str, str]  # field -> header as written
    raw: pd.DataFrame | None = None  # the file as read (for columns a mapping cannot name)


# --- YAML --------------------------------------------------------------------------

MAX_MAPPING_BYTES = 256 * 1024
FILE_KEYS = {"table", "columns", "values", "defaults", "match", "signature", "dates", "money",
             "required", "date_format", "ambiguous", "lookup"}


# anchors and aliases refused (a few nested aliases expand into billions of nodes)
_NoAliases = loader("a mapping file")


def load(path: Path) -> Mapping:
    """Read a mapping file; ValueError with a sentence when it is malformed."""
    name = Path(path).name
    size = Path(path).stat().st_size
    if size > MAX_MAPPING_BYTES:
        raise ValueError(f"{name} is {size:,} bytes; a mapping file is at most "
                         f"{MAX_MAPPING_BYTES // 1024} KB of YAML")
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
        doc = yaml.load(text, Loader=_NoAliases) or {}  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise ValueError(f"{name} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict) or not doc["files"]:
        raise ValueError(f"{name}: expected a 'files:' section naming each file, like "
                         "'files: {deals.csv: {table: opportunities, columns: {...}}}'")
    try:
        return from_dict(doc)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def from_dict(doc: dict) -> Mapping:
    source = str(doc.get("source", "custom"))
    for key in ("stages", "won_stages", "lost_stages"):
        _check_list(doc.get(key), key)
    if doc.get("date_format") is not None and not isinstance(doc["date_format"], str):
        raise ValueError("date_format: expected one format like \"%d/%m/%Y\"")
    files = [_filemap(str(key), spec, source) for key, spec in doc["files"].items()]
    return Mapping(source, files, str(doc.get("name", "")), doc.get("date_format"),
                   *(_strings(doc.get(k)) for k in ("stages", "won_stages", "lost_stages")))


def _check_list(value, where: str) -> None:
    if value is not None and not (isinstance(value, list | str) and all(
            isinstance(v, str | int | float) for v in (value if isinstance(value, list)
                                                      else [value]))):
        raise ValueError(f"{where}: expected a list of names, like [Won, Lost]")


def _check_dict(value, where: str, leaf=(str, int, float, bool, list)) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected 'field: value' pairs, got {_shown(value)}")
    for k, v in value.items():
        if v is not None and not isinstance(v, leaf):
            raise ValueError(f"{where}: {k}: expected a name or a list of names, got "
                             f"{_shown(v)}")
    return value


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_spec(key: str, spec) -> dict:
    if not isinstance(spec, dict):
        raise ValueError(f"files: {key}: expected the file's settings (table:, columns:, "
                         f"...), got {_shown(spec)}")
    unknown = sorted(str(k) for k in spec if k not in FILE_KEYS)
    if unknown:
        raise ValueError(f"files: {key}: unknown setting {', '.join(unknown)} (expected "
                         f"{', '.join(sorted(FILE_KEYS))})")
    for part in ("columns", "defaults", "lookup"):
        _check_dict(spec.get(part), f"files: {key}: {part}")
    for field_name, table in _check_dict(spec.get("values"), f"files: {key}: values",
                                         leaf=(dict,)).items():
        _check_dict(table, f"files: {key}: values: {field_name}", leaf=(str, int, float, bool))
    for part in ("match", "dates", "money", "required", "ambiguous"):
        _check_list(spec.get(part), f"files: {key}: {part}")
    fmt = spec.get("date_format")
    if fmt is not None and not isinstance(fmt, str | dict):
        raise ValueError(f"files: {key}: date_format: expected a format or 'field: format' "
                         "pairs")
    return spec


def _filemap(key: str, spec, source: str) -> FileMap:
    spec = _check_spec(key, spec if spec is not None else {})
    table = str(spec.get("table", ""))
    if source == "custom" and table not in TABLES:
        raise ValueError(f"files: {key}: table '{table}' is not a table of the data "
                         f"contract (expected one of {', '.join(TABLES)})")
    columns = {k: tuple(_strings(v)) for k, v in (spec.get("columns") or {}).items()}
    values = {k: {str(a): _text(b) for a, b in (v or {}).items()}
              for k, v in (spec.get("values") or {}).items()}
    fmt = spec.get("date_format") or {}
    custom = _contract_kinds(table) if source == "custom" else {}
    return FileMap(
        key, table, columns, tuple(_strings(spec.get("match"))) or (key,),
        tuple(tuple(_strings(s)) for s in spec.get("signature") or ()), values,
        {k: _text(v) for k, v in (spec.get("defaults") or {}).items()},
        tuple(spec.get("dates") or custom.get("dates", ())),
        tuple(spec.get("money") or custom.get("money", ())),
        tuple(spec.get("required") or custom.get("required", ())),
        {str(k): str(v) for k, v in fmt.items()} if isinstance(fmt, dict)
        else {f: str(fmt) for f in columns},
        tuple(spec.get("ambiguous") or ()),
        {str(k): str(v) for k, v in (spec.get("lookup") or {}).items()})


def _contract_kinds(table: str) -> dict[str, tuple[str, ...]]:
    cols = TABLES[table].columns
    return {"dates": tuple(c.name for c in cols if c.type in ("date", "timestamp")),
            "money": tuple(c.name for c in cols if c.type in ("money", "number")),
            "required": tuple(c.name for c in cols if c.required
                              and c.name not in DERIVED.get(table, ()))}


def _strings(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_dict(mapping: Mapping) -> dict:
    doc: dict = {"name": mapping.name, "source": mapping.source}
    for key in ("date_format", "stages", "won_stages", "lost_stages"):
        if getattr(mapping, key):
            doc[key] = getattr(mapping, key)
    doc["files"] = {fm.name: _filemap_dict(fm) for fm in mapping.files}
    return doc


def _filemap_dict(fm: FileMap) -> dict:
    spec: dict = {"table": fm.table, "match": list(fm.match),
                  "columns": {k: v[0] if len(v) == 1 else list(v) for k, v in fm.columns.items()}}
    for key in ("signature", "values", "defaults", "dates", "money", "required", "date_format",
                "ambiguous", "lookup"):
        value = getattr(fm, key)
        if value:
            spec[key] = [list(s) for s in value] if key == "signature" else (
                list(value) if isinstance(value, tuple) else value)
    return spec


def save(mapping: Mapping, path: Path) -> None:
    """Write the mapping as YAML (reusable with --mapping or in an upload)."""
    Path(path).write_text(yaml.safe_dump(to_dict(mapping), sort_keys=False,
                                         allow_unicode=True), encoding="utf-8")


# --- recognising files ----------------------------------------------------------------

def by_name(mapping: Mapping, name: str) -> FileMap | None:
    """The file map whose name patterns match the file's name (the strong evidence)."""
    stem, full = norm(Path(name).stem), name.lower()
    for fm in mapping.files:
        if any(fnmatch.fnmatch(full, p.lower()) or norm(p) == stem for p in fm.match):
            return fm
    return None


def by_header(mapping: Mapping, header: list[str]) -> FileMap | None:
    """The first file map one of whose signatures the header holds (the weak evidence)."""
    have = {norm(h) for h in header}
    for fm in mapping.files:
        if any(all(norm(h) in have for h in sig) for sig in fm.signature):
            return fm
    return None


def recognise(mapping: Mapping, name: str, header: list[str]) -> FileMap | None:
    """The file map for a file: by its name first, then by its header's signature."""
    return by_name(mapping, name) or by_header(mapping, header)


# --- applying one file map -------------------------------------------------------------

def extract(fm: FileMap, file: str, raw: pd.DataFrame, mapping: Mapping,
            messages: list[Message]) -> Extract | None:
    """The file's fields with value maps, dates and amounts applied; None when the file
    is refused (a missing column, a column in mixed forms). Rows with a bad value are
    marked (BAD) and reported as RowMessage errors."""
    header = [c for c in raw.columns if c != LINE]
    try:
        computed = _computed(fm, header) if mapping.source == "custom" else {}
    except _ExprError as exc:
        messages.append(Message("error", file, 1, exc.field, str(exc)))
        return None
    columns, picks = _resolve(fm, header)
    missing = [f for f in fm.required if f not in columns and f not in fm.defaults
               and f not in computed and f not in fm.lookup]
    misspelled = [f for f in fm.columns if f not in columns and f not in computed
                  and f not in missing] if mapping.source == "custom" else []
    for f in missing + misspelled:
        messages.append(Message("error", file, 1, f, _no_column(fm, f, header)))
    if missing or misspelled:
        return None
    frame = pd.DataFrame({LINE: raw[LINE], FILE: file})
    for f, cols in picks.items():  # several present candidates: the first non-empty value
        one = len(cols) == 1 or f in fm.money  # amounts never mix two columns (currencies)
        frame[f] = raw[cols[0]] if one else raw[cols].bfill(axis=1).iloc[:, 0]
    ok = _computed_values(fm, file, raw, computed, frame, columns, messages)
    ok = _scientific_ids(file, frame, columns, messages) and ok
    for f, value in fm.defaults.items():
        frame[f] = frame[f].fillna(value) if f in frame else value
    ok = _ambiguous(fm, file, raw, picks, frame, columns, mapping, messages) and ok
    _values(fm, frame)
    ok = _dates(fm, file, frame, columns, mapping, messages) and ok
    _money(fm, frame)
    return Extract(file, fm, frame, columns, raw) if ok else None


SCIENTIFIC = re.compile(r"-?\d(?:[.,]\d+)?[eE]\+?\d+")


def _scientific_ids(file, frame, columns, messages) -> bool:
    """Ids like 1.11015E+11: a spreadsheet re-saved the export and rounded every long id
    (so different records now share one); no import can undo that."""
    ok = True
    for f in [f for f in frame.columns if f.endswith("_id") or f in ("contacts",)]:
        hits = [(line, v) for line, v in zip(frame[LINE], frame[f], strict=True)
                if isinstance(v, str) and any(SCIENTIFIC.fullmatch(p.strip())
                                              for p in v.split(";") if p.strip())]
        if not hits:
            continue
        ok = False
        line, value = hits[0]
        messages.append(Message(
            "error", file, int(line), columns.get(f, f),
            f"'{value}' is an id in scientific notation ({len(hits)} of {len(frame)} rows): "
            f"{dates.SPREADSHEET} and rounded its long ids, so different records now look "
            "alike and cannot be told apart. Export the file again from the CRM and load it "
            "as it comes, without opening and saving it in a spreadsheet (or import it into "
            "the spreadsheet with the id columns as text)"))
    return ok


def _no_column(fm: FileMap, f: str, header: list[str]) -> str:
    import difflib

    wanted = ", ".join(f"'{c}'" for c in fm.columns.get(f, ())) or "(none in the mapping)"
    close = [h for c in fm.columns.get(f, ()) for h in difflib.get_close_matches(
        c, header, n=3, cutoff=0.6)]
    hint = f"; did you mean {' or '.join(repr(h) for h in dict.fromkeys(close))}?" \
        if close else ""
    return (f"no column for {f} ({fm.name}); expected {wanted}{hint} The header has: "
            f"{', '.join(header)}").replace("? The", "? the").replace(" The header", "; the "
                                                                      "header")


def _computed(fm: FileMap, header: list[str]) -> dict[str, str]:
    """field -> SQL for the mapping's computed fields ('declared_monthly_revenue * 12'),
    a DuckDB expression over the file's columns, numbers, + - * / and a few functions."""
    keyed = {norm(h): h for h in header}
    out = {}
    for f, cands in fm.columns.items():
        if len(cands) != 1 or norm(cands[0]) in keyed or not re.search(r"[-+*/()]", cands[0]):
            continue
        out[f] = _expression(cands[0], keyed, f)
    return out


def _expression(text: str, keyed: dict[str, str], f: str) -> str:
    parts, pos = [], 0
    tokens = []
    while pos < len(text.rstrip()):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _ExprError(f, text, f"cannot read '{text[pos:].strip()[:20]}'")
        tokens.append(m.groups())
        pos = m.end()
    for i, (num, quoted, name, op) in enumerate(tokens):
        call = i + 1 < len(tokens) and tokens[i + 1][3] == "("
        if num or op:
            parts.append(num or op)
        elif name and call:
            if name.lower() not in FUNCTIONS:
                raise _ExprError(f, text, f"'{name}' is not an allowed function (allowed: "
                                 f"{', '.join(FUNCTIONS)})")
            parts.append(name.lower())
        else:
            column = keyed.get(norm(quoted or name))
            if column is None:
                raise _ExprError(f, text, f"'{quoted or name}' is not a column of the file")
            parts.append(f"try_cast({trimmed(column)} as double)")
    return " ".join(parts)


def used_headers(columns: dict[str, str], header: list[str]) -> set[str]:
    """The headers an extract reads: mapped columns and those a computed field names."""
    keyed = {norm(h): h for h in header}
    used = {h for h in columns.values() if h in header}
    for text in columns.values():
        for m in TOKEN.finditer(text):
            name = m.group(2) or m.group(3)
            if name and norm(name) in keyed:
                used.add(keyed[norm(name)])
    return used


class _ExprError(ValueError):
    def __init__(self, f: str, text: str, why: str):
        self.field = f
        super().__init__(f"the computed field {f}: \"{text}\": {why}; a computed field is "
                         "arithmetic (+ - * / and parentheses) over the file's columns and "
                         f"numbers, with {', '.join(FUNCTIONS)}")


def _computed_values(fm, file, raw, computed, frame, columns, messages) -> bool:
    if not computed:
        return True
    import duckdb

    con = duckdb.connect()
    try:
        con.register("file", raw.drop(columns=[LINE]).astype(object))
        for f, sql in computed.items():
            try:
                values = [r[0] for r in con.execute(f"select cast(({sql}) as varchar) "  # noqa: S608
                                                    "from file").fetchall()]
            except duckdb.Error as exc:
                messages.append(Message("error", file, 1, f, f"the computed field {f} "
                                        f"cannot be evaluated ({str(exc).splitlines()[0]})"))
                return False
            frame[f] = pd.Series(values, index=frame.index, dtype=object)
            columns[f] = fm.columns[f][0]
    finally:
        con.close()
    return True


def _resolve(fm: FileMap, header: list[str]):
    """field -> header (first candidate present), and field -> every present candidate."""
    keyed = {norm(h): h for h in reversed(header)}
    columns, picks = {}, {}
    for f, candidates in fm.columns.items():
        present = []
        for cand in candidates:
            hits = ([h for k, h in keyed.items() if fnmatch.fnmatch(k, norm(cand))]
                    if "*" in cand else [keyed[norm(cand)]] if norm(cand) in keyed else [])
            present += [h for h in sorted(hits, key=header.index) if h not in present]
        if present:
            columns[f], picks[f] = present[0], present
    return columns, picks


def _ambiguous(fm, file, raw, picks, frame, columns, mapping, messages) -> bool:
    """Two candidate columns for one field (two MQL dates): fine when they agree."""
    ok = True
    for f in fm.ambiguous:
        cols = picks.get(f, [])
        if len(cols) < 2:
            continue
        parsed = [_parse(fm, f, raw[c], raw[LINE], mapping)[0] for c in cols]
        clash = next((i for i, vals in enumerate(zip(*parsed, strict=True))
                      if len({v[:10] for v in vals if v}) > 1), None)
        if clash is None:
            frame[f] = pd.Series([next((v for v in vals if v), None)
                                  for vals in zip(*[r for r in (raw[c] for c in cols)],
                                                  strict=True)], dtype=object)
            continue
        ok = False
        shown = " vs ".join(f"'{raw[c].iloc[clash]}' in {c}" for c in cols)
        messages.append(Message("error", file, int(raw[LINE].iloc[clash]), columns[f],
                                f"{len(cols)} candidate columns for {f} ({', '.join(cols)}) "
                                f"disagree ({shown}); name the one to use with --mql-field "
                                "(or in the mapping's columns)"))
    return ok


def _values(fm: FileMap, frame: pd.DataFrame) -> None:
    for f, table in fm.values.items():
        if f in frame:
            lookup = {norm(k): v for k, v in table.items()}
            frame[f] = [lookup.get(norm(v), v) if v is not None and norm(v) in lookup else v
                        for v in frame[f]]


def _parse(fm: FileMap, f: str, values: pd.Series, lines: pd.Series, mapping: Mapping,
           order: str | None = None):
    fmt = fm.date_format.get(f) or mapping.date_format
    return dates.parse_column(list(values), fmt, list(lines), order)


def _file_order(fm: FileMap, frame: pd.DataFrame, columns) -> str | None:
    """The day/month order the file's other date columns agree on (one user's locale)."""
    found = {dates.order_of(list(frame[f])) for f in fm.dates if f in frame and f in columns
             and not fm.date_format.get(f)}
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def _dates(fm, file, frame, columns, mapping, messages) -> bool:
    """Dates to ISO. A value that is not a date marks its row (a RowMessage); a column that
    cannot be read at all (ambiguous or mixed forms) refuses the file."""
    ok = True
    order = _file_order(fm, frame, columns)
    for f in fm.dates:
        if f not in frame or f not in columns:
            continue
        parsed, problems = _parse(fm, f, frame[f], frame[LINE], mapping, order)
        column_level = any(i is None or dates.column_level(text) for i, text in problems)
        for n, (i, text) in enumerate(problems):
            line = int(frame[LINE].iloc[i]) if i is not None else None
            if not column_level:
                mark(frame, i, columns[f], text)
            if n < 5:
                kind = Message if column_level else RowMessage
                messages.append(kind("error", file, line, columns[f], text))
        if len(problems) > 5:
            messages.append((Message if column_level else RowMessage)(
                "error", file, None, columns[f], f"{len(problems)} rows in all have a date "
                "problem in this column (the first 5 are listed above)"))
        ok = ok and not column_level
        frame[f] = pd.Series(parsed, index=frame.index, dtype=object)
    return ok


def mark(frame: pd.DataFrame, i: int, header: str, reason: str) -> None:
    """Mark the row at position i as unusable: header\treason (the first reason wins)."""
    if BAD not in frame:
        frame[BAD] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    index = frame.index[i]
    if frame.at[index, BAD] is None:
        frame.at[index, BAD] = f"{header}\t{reason}"


def _money(fm: FileMap, frame: pd.DataFrame) -> None:
    """'USD 15,000.00' or '$15,000' -> 15000.00 (the code fills an empty currency);
    anything else is left for the loader."""
    for f in fm.money:
        if f in frame:
            pairs = [_amount(v) for v in frame[f]]
            frame[f] = pd.Series([a for a, _ in pairs], index=frame.index, dtype=object)
            codes = pd.Series([c for _, c in pairs], index=frame.index, dtype=object)
            if codes.notna().any() and "currency" in fm.columns:
                frame["currency"] = frame["currency"].fillna(codes) if "currency" in frame \
                    else codes


def _amount(value):
    if not isinstance(value, str):
        return value, None
    m = MONEY_RE.match(value.strip())
    if not m or ("," in m.group(1) and not re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?",
                                                          m.group(1))):
        return value, None
    code = re.findall(r"\b[A-Z]{3}\b", value)
    return m.group(1).replace(",", ""), (code[0] if code else None)
