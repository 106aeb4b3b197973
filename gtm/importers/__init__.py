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
from gtm.load.readers import table_key
from gtm.load.validate import Message

__all__ = ["ImportResult", "convert", "detect", "explain", "builtin"]

MAPPING_NAMES = ("mapping.yaml", "mapping.yml")
SOURCES = {"salesforce": salesforce, "hubspot": hubspot}


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
    """canonical | salesforce | hubspot | None, from the file names and headers."""
    files = data_files(folder)
    if files and all(_is_canonical(p) for p in files):
        return "canonical"
    votes = {name: sum(1 for p in files if mapping.recognise(builtin(name), "x.csv",
                                                             _header(p)))
             for name in SOURCES}
    best = max(votes.values(), default=0)
    winners = [name for name, n in votes.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None


def _header(path: Path) -> list[str]:
    try:
        return header_of(path)
    except Exception:  # an unreadable file is reported when converting, not detecting
        return []


def _is_canonical(path: Path) -> bool:
    table = table_key(path.stem)
    if table not in TABLES:
        return False
    header = {table_key(h) for h in _header(path)}
    required = {c.name for c in TABLES[table].columns if c.required}
    return required <= header


def convert(folder: Path, out_dir: Path, source: str | None = None,
            mapping_file: Path | None = None, mql_field: str | None = None,
            date_format: str | None = None) -> ImportResult:
    """Convert the exports in folder into canonical CSVs in out_dir (never raises for
    bad input; ok is False when anything must be fixed first)."""
    folder, out_dir = Path(folder), Path(out_dir)
    messages: list[Message] = []
    mapping_file = mapping_file or next(
        (folder / n for n in MAPPING_NAMES if (folder / n).is_file()), None)
    chosen, source = _choose(folder, source, mapping_file, messages)
    if chosen is None:
        return ImportResult(False, source, {}, messages, out_dir)
    if source == "canonical":
        return _copy_canonical(folder, out_dir)
    _override(chosen, mql_field, date_format)
    return _run(folder, out_dir, chosen, mql_field, messages)


def _choose(folder, source, mapping_file, messages):
    if mapping_file is not None:
        try:
            chosen = mapping.load(mapping_file)
        except (ValueError, OSError) as exc:
            messages.append(Message("error", Path(mapping_file).name, None, None, str(exc)))
            return None, "custom"
        return chosen, chosen.source
    source = source or detect(folder)
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


def _run(folder, out_dir, chosen, mql_field, messages) -> ImportResult:
    recognised, extracts, passthrough = {}, [], []
    for path in data_files(folder):
        _one_file(path, chosen, recognised, extracts, passthrough, messages)
    out = canonical.Output()
    out.note(extracts)
    _check_mql(extracts, mql_field, messages)
    assemble = SOURCES[chosen.source].assemble if chosen.source in SOURCES else assemble_custom
    assemble(extracts, chosen, out, messages, provided={table_key(p.stem) for p in passthrough})
    _people_channel(out)
    origins = canonical.write(out, out_dir)
    for path in passthrough:
        shutil.copy(path, out_dir / path.name)
    counts = {t: len(f) for t, f in out.tables.items()}
    counts.update({table_key(p.stem): None for p in passthrough})
    ok = not any(m.severity == "error" for m in messages)
    return ImportResult(ok, chosen.source, recognised, messages, out_dir, counts, origins,
                        out.columns)


def _one_file(path, chosen, recognised, extracts, passthrough, messages) -> None:
    try:
        raw = read_export(path)
    except Exception as exc:  # a corrupt file: say so, keep going with the others
        messages.append(Message("error", path.name, None, None, f"cannot be read ({exc})"))
        return
    header = [c for c in raw.columns if c != LINE]
    fm = mapping.recognise(chosen, path.name, header)
    if fm is None and _is_canonical(path):
        passthrough.append(path)
        recognised[path.name] = f"canonical -> {table_key(path.stem)}"
        return
    if fm is None:
        recognised[path.name] = "not recognised: ignored"
        messages.append(Message("warning", path.name, 1, None, _unrecognised(chosen)))
        return
    recognised[path.name] = f"{fm.name} -> {fm.table}"
    found = mapping.extract(fm, path.name, raw, chosen, messages)
    if found is not None:
        extracts.append(found)


def _unrecognised(chosen: mapping.Mapping) -> str:
    known = ", ".join(fm.name for fm in chosen.files)
    return (f"not recognised as any file of the {chosen.source} mapping ({known}); ignored. "
            "Rename it after its object or add it to the mapping's files")


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
                    date_format: str | None = None, currency: str = "USD", progress=None):
    """(ImportResult or None, LoadResult): convert when needed, then gtm.load.loader.load.
    Loader messages are re-addressed to the export files; a refused conversion never
    reaches the loader, so the loaded dataset is untouched."""
    import tempfile

    from gtm.load.loader import LoadResult, load, record_refusal

    if not needs_import(folder, source, mapping_file):
        return None, load(folder, db_path, currency=currency, progress=progress)
    with tempfile.TemporaryDirectory(prefix="targetline-import-") as tmp:
        if progress:
            progress("converting the exports", 0.0)
        result = convert(folder, Path(tmp) / "canonical", source, mapping_file, mql_field,
                         date_format)
        if not result.ok:
            refused = LoadResult(False, None, result.errors, result.warnings, {})
            record_refusal(db_path, str(folder), refused)
            return result, refused
        loaded = load(result.out_dir, db_path, currency=currency, progress=progress,
                      label=f"{folder} ({result.source} export)")
    loaded.errors = explain(loaded.errors, result)
    loaded.warnings = result.warnings + explain(loaded.warnings, result)
    return result, loaded
