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
from gtm.load.validate import Message

FILE = "_file"
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

def load(path: Path) -> Mapping:
    """Read a mapping file; ValueError with a sentence when it is malformed."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{Path(path).name} is not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise ValueError(f"{Path(path).name}: expected a 'files:' section naming each file")
    return from_dict(doc)


def from_dict(doc: dict) -> Mapping:
    source = str(doc.get("source", "custom"))
    files = [_filemap(key, spec or {}, source) for key, spec in doc["files"].items()]
    return Mapping(source, files, str(doc.get("name", "")), doc.get("date_format"),
                   *(_strings(doc.get(k)) for k in ("stages", "won_stages", "lost_stages")))


def _filemap(key: str, spec: dict, source: str) -> FileMap:
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
        fmt if isinstance(fmt, dict) else {f: str(fmt) for f in columns},
        tuple(spec.get("ambiguous") or ()))


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
                "ambiguous"):
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

def recognise(mapping: Mapping, name: str, header: list[str]) -> FileMap | None:
    """The file map for a file: by its name first, then by its header's signature."""
    stem, full = norm(Path(name).stem), name.lower()
    for fm in mapping.files:
        if any(fnmatch.fnmatch(full, p.lower()) or norm(p) == stem for p in fm.match):
            return fm
    have = {norm(h) for h in header}
    for fm in mapping.files:
        if any(all(norm(h) in have for h in sig) for sig in fm.signature):
            return fm
    return None


# --- applying one file map -------------------------------------------------------------

def extract(fm: FileMap, file: str, raw: pd.DataFrame, mapping: Mapping,
            messages: list[Message]) -> Extract | None:
    """The file's fields with value maps, dates and amounts applied; None when refused."""
    header = [c for c in raw.columns if c != LINE]
    columns, picks = _resolve(fm, header)
    missing = [f for f in fm.required if f not in columns and f not in fm.defaults]
    for f in missing:
        wanted = ", ".join(f"'{c}'" for c in fm.columns.get(f, ())) or "(none in the mapping)"
        messages.append(Message("error", file, 1, f, f"no column for {f} ({fm.name}); "
                                f"expected {wanted}; the header has: {', '.join(header)}"))
    if missing:
        return None
    frame = pd.DataFrame({LINE: raw[LINE], FILE: file})
    for f, cols in picks.items():  # several present candidates: the first non-empty value
        frame[f] = raw[cols].bfill(axis=1).iloc[:, 0] if len(cols) > 1 else raw[cols[0]]
    for f, value in fm.defaults.items():
        frame[f] = frame[f].fillna(value) if f in frame else value
    ok = _ambiguous(fm, file, raw, picks, frame, columns, mapping, messages)
    _values(fm, frame)
    ok = _dates(fm, file, frame, columns, mapping, messages) and ok
    _money(fm, frame)
    return Extract(file, fm, frame, columns, raw) if ok else None


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


def _parse(fm: FileMap, f: str, values: pd.Series, lines: pd.Series, mapping: Mapping):
    fmt = fm.date_format.get(f) or mapping.date_format
    return dates.parse_column(list(values), fmt, list(lines))


def _dates(fm, file, frame, columns, mapping, messages) -> bool:
    ok = True
    for f in fm.dates:
        if f not in frame or f not in columns:
            continue
        parsed, problems = _parse(fm, f, frame[f], frame[LINE], mapping)
        for i, text in problems:
            line = int(frame[LINE].iloc[i]) if i is not None else None
            messages.append(Message("error", file, line, columns[f], text))
        ok = ok and not problems
        frame[f] = pd.Series(parsed, index=frame.index, dtype=object)
    return ok


def _money(fm: FileMap, frame: pd.DataFrame) -> None:
    """'USD 15,000.00' or '$15,000' -> 15000.00; anything else is left for the loader."""
    for f in fm.money:
        if f in frame:
            frame[f] = [_amount(v) for v in frame[f]]


def _amount(value):
    if not isinstance(value, str):
        return value
    m = MONEY_RE.match(value.strip())
    if not m or ("," in m.group(1) and not re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?",
                                                          m.group(1))):
        return value
    return m.group(1).replace(",", "")
