"""Importers: Salesforce, HubSpot and mapped exports -> the canonical extract.

Why: nobody has Targetline's canonical files; they have a Salesforce org, a HubSpot
portal or some other CRM. `convert` recognises each export file (by name, else by its
header), applies the source's mapping, and writes canonical CSVs into a folder that
gtm.load.loader.load then checks and loads as usual, so every contract check applies and
a refused import leaves the loaded dataset as it was. Messages name the export file,
its line and its column, and say what to fix. No streamlit here.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gtm.contract import TABLES
from gtm.importers import canonical, hubspot, mapping, salesforce
from gtm.importers.read import EXTENSIONS, LINE, header_of, read_export
from gtm.load.readers import ENCODING_TEXT, table_key
from gtm.load.validate import Message

__all__ = ["ImportResult", "convert", "detect", "explain", "builtin"]

MAPPING_NAMES = ("mapping.yaml", "mapping.yml")
SOURCES = {"salesforce": salesforce, "hubspot": hubspot}


@dataclass
class FileReport:
    """One file of an import, as the import report shows it."""

    file: str
    recognised: str  # "Opportunity -> opportunities", "canonical -> spend", "ignored"
    reason: str = ""  # why a file was ignored
    rows_read: int | None = None
    rows_used: int | None = None
    left_out: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    warnings: int = 0


@dataclass
class ImportResult:
    ok: bool
    source: str | None  # canonical | salesforce | hubspot | custom | None (not recognised)
    recognised: dict[str, str]  # export file -> "Object -> table" (or why it was ignored)
    messages: list[Message]
    out_dir: Path
    row_counts: dict[str, int] = field(default_factory=dict)  # canonical table -> rows
    origins: dict = field(default_factory=dict)  # table -> [(export file, line)] per row
    columns: dict = field(default_factory=dict)  # export file -> field -> header
    files: dict[str, FileReport] = field(default_factory=dict)  # export file -> report
    left_out: list[Message] = field(default_factory=list)  # rows left out (--skip-bad-rows)
    currency: str | None = None  # the export's corporate currency, when it says

    @property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "error"]

    @property
    def warnings(self) -> list[Message]:
        return [m for m in self.messages if m.severity == "warning"]


def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.is_file()
                  and p.suffix.lower() in EXTENSIONS and not p.name.startswith((".", "~$")))


def builtin(source: str) -> mapping.Mapping:
    """The built-in mapping of a source (salesforce | hubspot)."""
    return SOURCES[source].mapping()


def detect(folder: Path) -> str | None:
    """canonical | salesforce | hubspot | None, from the file names, then the headers.

    Evidence in order: files an importer knows by name (Opportunity.csv,
    hubspot-crm-exports-all-deals-...); else canonical files (a table's name and its
    required columns); else headers. Files nobody knows never decide anything."""
    return detect_how(folder)[0]


def detect_how(folder: Path) -> tuple[str | None, str]:
    """(source, 'names' | 'canonical' | 'headers' | 'nothing'): what decided it."""
    files = [(p, _header(p)) for p in data_files(folder)]
    canonical_files = [p for p, h in files if _is_canonical(p, h)]
    others = [(p, h) for p, h in files if p not in canonical_files]
    named = _votes(others, lambda m, p, h: mapping.by_name(m, p.name) is not None
                   and table_key(p.stem) not in TABLES)  # accounts.csv names no CRM
    if named:
        return named, "names"
    if canonical_files:
        return "canonical", "canonical"
    by_header = _votes(others, lambda m, p, h: not _says_something(m, p.name)
                       and mapping.by_header(m, h) is not None)
    return by_header, "headers" if by_header else "nothing"


def _votes(files, counts) -> str | None:
    votes = {name: sum(1 for p, h in files if counts(builtin(name), p, h)) for name in SOURCES}
    best = max(votes.values(), default=0)
    winners = [name for name, n in votes.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None


def _says_something(chosen: mapping.Mapping, name: str) -> bool:
    """True when the file name names an object of the source's export that we do not
    read (Case.csv in a Salesforce Data Export): such a file is never read by header."""
    module = SOURCES.get(chosen.source)
    return bool(module and module.names_an_object(Path(name).stem))


def _header(path: Path) -> list[str]:
    try:
        return header_of(path)
    except Exception:  # an unreadable file is reported when converting, not detecting
        return []


def _is_canonical(path: Path, header: list[str] | None = None) -> bool:
    table = table_key(path.stem)
    if table not in TABLES:
        return False
    have = {table_key(h) for h in (_header(path) if header is None else header)}
    required = {c.name for c in TABLES[table].columns if c.required}
    return required <= have


def convert(folder: Path, out_dir: Path, source: str | None = None,
            mapping_file: Path | None = None, mql_field: str | None = None,
            date_format: str | None = None, skip_bad_rows: bool = False) -> ImportResult:
    """Convert the exports in folder into canonical CSVs in out_dir (never raises; ok is
    False when anything must be fixed first). skip_bad_rows: rows with a row-level
    problem are left out (and listed) instead of refusing the import."""
    folder, out_dir = Path(folder), Path(out_dir)
    messages: list[Message] = []
    where = {"file": None}
    try:
        return _convert(folder, out_dir, source, mapping_file, mql_field, date_format,
                        skip_bad_rows, messages, where)
    except Exception as exc:  # a bug or an export we never saw: say so, never a traceback
        messages.append(Message("error", where["file"], None, None,
                                f"could not be converted ({type(exc).__name__}: {exc}); "
                                "nothing was loaded. Please report this with the file's "
                                "header line"))
        return ImportResult(False, source, {}, messages, out_dir)


def _convert(folder, out_dir, source, mapping_file, mql_field, date_format, skip_bad_rows,
             messages, where) -> ImportResult:
    mapping_file = mapping_file or next(
        (folder / n for n in MAPPING_NAMES if (folder / n).is_file()), None)
    chosen, source = _choose(folder, source, mapping_file, messages)
    if chosen is None:
        return ImportResult(False, source, {}, messages, out_dir)
    if source == "canonical":
        return _copy_canonical(folder, out_dir)
    _override(chosen, mql_field, date_format)
    return _run(folder, out_dir, chosen, mql_field, messages, skip_bad_rows, where)


def _choose(folder, source, mapping_file, messages):
    if mapping_file is not None:
        try:
            chosen = mapping.load(mapping_file)
        except (ValueError, OSError) as exc:
            messages.append(Message("error", Path(mapping_file).name, None, None, str(exc)))
            return None, "custom"
        return chosen, chosen.source
    how = "given"
    if not source:
        source, how = detect_how(folder)
    if how == "headers":
        messages.append(Message(
            "warning", None, None, None,
            f"no file is named like a {source} export, so the files were recognised by their "
            f"headers only; if they come from another CRM, give a mapping file (mapping.yaml) "
            "saying which file is which table (see the README)"))
    if source == "canonical":
        return True, source
    if source not in SOURCES:
        messages.append(Message(
            "error", None, None, None,
            "the files were not recognised as canonical files, a Salesforce export or a "
            "HubSpot export; name the source (--source salesforce|hubspot) or give a "
            "mapping file (mapping.yaml) saying which file is which table"))
        return None, None
    return builtin(source), source


def _override(chosen: mapping.Mapping, mql_field: str | None, date_format: str | None):
    if date_format:
        chosen.date_format = date_format
    if mql_field:
        for fm in chosen.files:
            if "mql_date" in fm.columns:
                fm.columns["mql_date"] = (mql_field,)


def _copy_canonical(folder: Path, out_dir: Path) -> ImportResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    recognised = {}
    for path in data_files(folder):
        shutil.copy(path, out_dir / path.name)
        recognised[path.name] = f"canonical -> {table_key(path.stem)}"
    return ImportResult(True, "canonical", recognised, [], out_dir)


def _run(folder, out_dir, chosen, mql_field, messages, skip_bad_rows, where) -> ImportResult:
    files: dict[str, FileReport] = {}
    extracts, passthrough, left_out = [], [], []
    for path in data_files(folder):
        where["file"] = path.name
        _one_file(path, chosen, files, extracts, passthrough, messages)
    where["file"] = None
    out = canonical.Output()
    out.note(extracts)
    _check_mql(extracts, mql_field, messages)
    assemble = SOURCES[chosen.source].assemble if chosen.source in SOURCES else assemble_custom
    assemble(extracts, chosen, out, messages, provided={table_key(p.stem) for p in passthrough})
    _people_channel(out)
    if skip_bad_rows:
        left_out = canonical.leave_out(out, messages)
    origins = canonical.write(out, out_dir)
    for path in passthrough:
        shutil.copy(path, out_dir / path.name)
    counts = {t: len(f) for t, f in out.tables.items()}
    counts.update({table_key(p.stem): None for p in passthrough})
    _fill_report(files, extracts, origins, messages, left_out)
    ok = not any(m.severity == "error" for m in messages)
    return ImportResult(ok, chosen.source, {f: r.recognised for f, r in files.items()},
                        messages, out_dir, counts, origins, out.columns, files, left_out,
                        out.currency)


def _one_file(path, chosen, files, extracts, passthrough, messages) -> None:
    try:
        raw = read_export(path)
    except Exception as exc:  # a corrupt file: say so, keep going with the others
        messages.append(Message("error", path.name, None, None, f"cannot be read ({exc})"))
        files[path.name] = FileReport(path.name, "unreadable", str(exc))
        return
    header = [c for c in raw.columns if c != LINE]
    fm = mapping.by_name(chosen, path.name)
    if fm is None and _is_canonical(path, header):
        passthrough.append(path)
        files[path.name] = FileReport(path.name, f"canonical -> {table_key(path.stem)}",
                                      rows_read=len(raw), rows_used=len(raw))
        return
    if fm is None and not _says_something(chosen, path.name):
        fm = mapping.by_header(chosen, header)
    if fm is None:
        files[path.name] = FileReport(path.name, "ignored", _unrecognised(chosen, path.name),
                                      rows_read=len(raw))
        return
    files[path.name] = FileReport(path.name, f"{fm.name} -> {fm.table}", rows_read=len(raw))
    if raw.attrs.get("encoding") in ENCODING_TEXT:
        messages.append(Message("warning", path.name, None, None,
                                ENCODING_TEXT[raw.attrs["encoding"]] + "; check that accented "
                                "names look right in the preview"))
    if raw.empty:  # a header-only export (an empty CampaignMember.csv) is normal
        files[path.name].rows_used = 0
        return
    found = mapping.extract(fm, path.name, raw, chosen, messages)
    if found is not None:
        extracts.append(found)
        used = mapping.used_headers(found.columns, header)
        files[path.name].ignored_columns = [h for h in header if h not in used]


def _fill_report(files, extracts, origins, messages, left_out) -> None:
    used: dict[str, int] = {}
    for rows in origins.values():
        for file, _ in rows:
            used[file] = used.get(file, 0) + 1
    for e in extracts:
        rep = files[e.file]
        rep.rows_used = min(used.get(e.file, 0), rep.rows_read or 0) \
            if e.filemap.table != "stages" else used.get(e.file, 0)
    for m in messages:
        if m.severity == "warning" and m.file in files:
            files[m.file].warnings += 1
    for m in left_out:
        if m.file in files:
            files[m.file].left_out += 1


def _unrecognised(chosen: mapping.Mapping, name: str) -> str:
    if _says_something(chosen, name):
        return (f"a {chosen.source} object Targetline does not read (it reads "
                f"{', '.join(fm.name for fm in chosen.files)})")
    known = ", ".join(fm.name for fm in chosen.files)
    return (f"not recognised as any file of the {chosen.source} mapping ({known}); rename it "
            "after its object or add it to the mapping's files")


def _check_mql(extracts, mql_field, messages) -> None:
    people = [e for e in extracts if "mql_date" in e.filemap.columns]
    if mql_field and people and not any("mql_date" in e.columns for e in people):
        headers = "; ".join(f"{e.file}: {', '.join(c for c in e.raw.columns if c != LINE)}"
                            for e in people)
        messages.append(Message("error", people[0].file, 1, mql_field,
                                f"the MQL field '{mql_field}' named with --mql-field is in "
                                f"none of the people files ({headers})"))
    elif people and not any("mql_date" in e.columns for e in people):
        messages.append(Message("warning", people[0].file, 1, None,
                                "no MQL date column found: MQL metrics stay empty; name the "
                                "field with --mql-field (e.g. MQL_Date__c)"))


def _people_channel(out: canonical.Output) -> None:
    people = out.tables.get("people")
    if people is not None and "channel" in people:
        people["channel"] = [canonical.channel(v) if v is None or pd.isna(v) else v
                             for v in people["channel"]]


def assemble_custom(extracts, chosen, out, messages, provided=frozenset()) -> None:
    """A custom mapping: each file feeds its table; stages come from the mapping."""
    stages = (canonical.StageList(chosen.stages, set(chosen.won_stages),
                                  set(chosen.lost_stages)) if chosen.stages else None)
    for e in extracts:
        frame = e.frame.copy()
        if e.filemap.table == "opportunities":
            canonical.closed_flags(frame, stages, e.columns.get("stage", "stage"), messages)
        out.add(e.filemap.table, frame)
    if stages and "stages" not in provided and "stages" not in out.tables:
        table = stages.table()
        table[mapping.FILE], table[LINE] = "mapping", 0
        out.add("stages", table)
    for e in extracts:
        if e.filemap.lookup:
            _lookups(e, out, messages)


KEYS = {"people": ("source_person_id", "person_id"), "accounts": ("account_id", "account_id")}


def _lookups(e, out: canonical.Output, messages) -> None:
    """lookup: {created_date: people.created_date}: a field the file lacks, taken from the
    person (source_person_id) or account (account_id) each row references."""
    frame = out.tables.get(e.filemap.table)
    for f, ref in e.filemap.lookup.items():
        table, _, source_field = ref.partition(".")
        source_field = source_field or f
        problem = _lookup_problem(e, out, table, source_field, f)
        if problem and table not in out.tables and any(m.severity == "error" for m in messages):
            continue  # its file was refused already: that message says what to fix
        if problem:
            messages.append(Message("error", e.file, 1, f, problem))
            continue
        key, ref_key = KEYS[table]
        found = dict(zip(out.tables[table][ref_key], out.tables[table][source_field],
                         strict=True))
        mine = frame[mapping.FILE] == e.file
        looked = frame.loc[mine, key].map(found)
        frame.loc[mine, f] = (frame.loc[mine, f].fillna(looked) if f in frame else looked)


def _lookup_problem(e, out, table: str, source_field: str, f: str) -> str | None:
    if table not in KEYS:
        return (f"lookup {f}: '{table}' cannot be looked up; expected people.<field> "
                "(through source_person_id) or accounts.<field> (through account_id)")
    if table not in out.tables or source_field not in out.tables[table]:
        return (f"lookup {f}: no {table} file with a {source_field} column is in the "
                "import; add it (and its mapping) or map the column directly")
    if KEYS[table][0] not in e.columns:
        return (f"lookup {f}: the file has no {KEYS[table][0]} column to find the "
                f"{table[:-1] if table != 'people' else 'person'} by; map it under columns:")
    return None


def explain(messages: list[Message], result: ImportResult) -> list[Message]:
    """Loader messages about the written canonical files, re-addressed to the exports."""
    return canonical.explain(messages, result.origins, result.columns)


# --- convert, then load ----------------------------------------------------------------

def needs_import(folder: Path, source: str | None = None, mapping_file: Path | None = None,
                 ) -> bool:
    """True when folder must be converted first (a source, a mapping, or exports found)."""
    if source not in (None, "canonical") or mapping_file is not None:
        return True
    if source == "canonical" or not Path(folder).is_dir():
        return False
    if any((Path(folder) / n).is_file() for n in MAPPING_NAMES):
        return True
    return detect(folder) in SOURCES


def import_and_load(folder: Path, db_path: Path | None = None, *, source: str | None = None,
                    mapping_file: Path | None = None, mql_field: str | None = None,
                    date_format: str | None = None, currency: str | None = None,
                    progress=None, skip_bad_rows: bool = False):
    """(ImportResult or None, LoadResult): convert when needed, then gtm.load.loader.load.
    Loader messages are re-addressed to the export files; a refused conversion never
    reaches the loader, so the loaded dataset is untouched. currency: the dataset
    currency (default: the export's corporate currency, else decided by the loader)."""
    import tempfile

    from gtm.load.loader import LoadResult, load, record_refusal

    if not needs_import(folder, source, mapping_file):
        return None, load(folder, db_path, currency=currency, progress=progress,
                          skip_bad_rows=skip_bad_rows)
    with tempfile.TemporaryDirectory(prefix="targetline-import-") as tmp:
        if progress:
            progress("converting the exports", 0.0)
        result = convert(folder, Path(tmp) / "canonical", source, mapping_file, mql_field,
                         date_format, skip_bad_rows)
        if not result.ok:
            refused = LoadResult(False, None, result.errors, result.warnings, {})
            record_refusal(db_path, str(folder), refused)
            return result, refused
        loaded = load(result.out_dir, db_path, currency=currency or result.currency,
                      progress=progress, label=f"{folder} ({result.source} export)",
                      skip_bad_rows=skip_bad_rows, left_before=[
                          (_table_of(result, m.file), m) for m in result.left_out])
    loaded.errors = [_missing_export(m, result) for m in explain(loaded.errors, result)]
    loaded.warnings = result.warnings + explain(loaded.warnings, result)
    loaded.left_out = result.left_out + explain(loaded.left_out, result)
    _count_loader(result, loaded)
    return result, loaded


def _missing_export(m: Message, result: ImportResult) -> Message:
    """'people.csv: required file is missing' names a file the user never had: name the
    export that holds the table instead."""
    table = (m.file or "").rsplit(".", 1)[0]
    if m.line is not None or table not in TABLES or "required file is missing" not in m.text:
        return m
    spec = TABLES[table]
    return Message("error", None, None, None,
                   f"no file of the import holds {table} ({spec.meaning}), the one table "
                   f"every dataset needs; add {spec.exports or table + '.csv'} (or a "
                   f"canonical {table}.csv)")


def _table_of(result: ImportResult, file: str | None) -> str:
    rep = result.files.get(file or "")
    return rep.recognised.rsplit(" -> ", 1)[-1] if rep and " -> " in rep.recognised \
        else str(file)


def _count_loader(result: ImportResult, loaded) -> None:
    """The loader's warnings and left-out rows, counted on the export files they name."""
    for m in loaded.warnings[len(result.warnings):]:
        if m.file in result.files:
            result.files[m.file].warnings += 1
    for m in loaded.left_out[len(result.left_out):]:
        if m.file in result.files:
            result.files[m.file].left_out += 1
            if result.files[m.file].rows_used:
                result.files[m.file].rows_used -= 1


# --- the import report -----------------------------------------------------------------

def report_rows(imported: ImportResult | None, loaded) -> list[dict]:
    """One row per file for the CLI summary and the Data page: what it was recognised as,
    rows read, used and left out, its warnings and the columns nobody reads."""
    if imported is not None and imported.files:
        return [_report_row(r) for r in imported.files.values()]
    if loaded is None:  # a preview of canonical files: what each name says
        return [_report_row(FileReport(f, what)) for f, what in
                (imported.recognised.items() if imported is not None else ())]
    rows = [_canonical_row(f, loaded) for f in getattr(loaded, "files", None) or []]
    return rows + [{"file": m.file, "recognised as": "ignored", "rows read": None,
                    "rows used": None, "left out": 0, "warnings": 0, "ignored columns": "",
                    "note": m.text.removeprefix("ignored: ")}
                   for m in loaded.warnings + loaded.errors if m.text.startswith("ignored: ")]


def _report_row(r: FileReport) -> dict:
    return {"file": r.file, "recognised as": r.recognised, "rows read": r.rows_read,
            "rows used": r.rows_used, "left out": r.left_out, "warnings": r.warnings,
            "ignored columns": ", ".join(r.ignored_columns), "note": r.reason}


def _canonical_row(f: dict, loaded) -> dict:
    table = TABLES.get(f["table"])
    ignored = [h for h in f.get("header") or []
               if table is not None and table_key(h) not in table.column_names]
    left = sum(1 for m in loaded.left_out if m.file == f["name"])
    warnings = sum(1 for m in loaded.warnings if m.file == f["name"])
    rows = f.get("rows")
    return {"file": f["name"], "recognised as": f"canonical -> {f['table']}", "rows read": rows,
            "rows used": None if rows is None or not loaded.ok else rows - left,
            "left out": left, "warnings": warnings, "ignored columns": ", ".join(ignored),
            "note": ""}
