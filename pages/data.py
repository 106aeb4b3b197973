"""Data: what is loaded, its history, loading a new extract, and the glossary."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from gtm import contract
from gtm.load import store
from gtm.metrics import registry
from ui import upload

_FLASH = "_targetline_data_flash"
_REFUSED = "_targetline_data_refused"
_UPLOADER = "_targetline_uploader_round"


def loaded_tables(info: dict) -> pd.DataFrame:
    rows = info.get("tables") or {}
    return pd.DataFrame([
        {"table": name, "required": spec.required, "provided": bool(rows.get(name)),
         "rows": int(rows.get(name) or 0), "meaning": spec.meaning}
        for name, spec in contract.TABLES.items()
    ])


def show_loaded(info: dict) -> None:
    meta = info.get("meta") or {}
    loaded_at = str(meta.get("loaded_at", "n/a"))[:16].replace("T", " ")
    st.markdown(f"**Data as of** {info.get('data_as_of')} · **loaded** {ui.esc(loaded_at)} UTC · "
                f"**currency** {ui.esc(meta.get('currency', 'USD'))}")
    st.caption(f"Source: {ui.esc(meta.get('source', 'n/a'))}")
    frame = loaded_tables(info)
    ui.table(frame, "loaded tables", key="download-tables", height=_fit(frame))


def _fit(frame: pd.DataFrame) -> int:
    """A dataframe height showing every row without a scrollbar."""
    return 38 + 35 * len(frame)


def _history_row(entry: dict) -> dict:
    files = entry.get("files") or []
    counts = entry.get("row_counts") or {}
    return {
        "when": str(entry.get("when", ""))[:19].replace("T", " "),
        "result": entry.get("result", ""),
        "files": ", ".join(f.get("name", "") if isinstance(f, dict) else str(f)
                           for f in files),
        "rows": sum(v for v in counts.values() if isinstance(v, int)),
        "errors": entry.get("errors", 0),
        "warnings": entry.get("warnings", 0),
        "first error": (entry.get("first_errors") or [""])[0],
        "seconds": entry.get("seconds"),
        "source": str(entry.get("source", "")),
        "version": entry.get("version"),
    }


def history_frame() -> pd.DataFrame:
    """Every load attempt, newest first; a damaged line of the history is said above it."""
    found = store.history(store.default_db_path())
    if found.notice():
        st.warning(ui.esc(found.notice()), icon=":material/warning:")
    return pd.DataFrame([_safe_history_row(e) for e in reversed(found.entries)])


def _safe_history_row(entry: dict) -> dict:
    """An entry of unexpected shape (edited by hand, written by another version) becomes a
    row saying so instead of failing the table."""
    try:
        return _history_row(entry)
    except (AttributeError, TypeError, ValueError):
        return {"when": str(entry.get("when", ""))[:19], "result": "unreadable entry"}


def messages_frame(result) -> pd.DataFrame:
    rows = [{"severity": kind, "file": getattr(m, "file", None), "line": getattr(m, "line", None),
             "column": getattr(m, "column", None), "problem": getattr(m, "text", str(m))}
            for kind, items in (("error", result.errors), ("warning", result.warnings))
            for m in items]
    return _blank(pd.DataFrame(rows, columns=["severity", "file", "line", "column", "problem"]))


def _blank(frame: pd.DataFrame) -> pd.DataFrame:
    """No 'None' where a message names no line or column: an empty cell."""
    frame["line"] = pd.array(frame["line"], dtype="Int64")
    frame["column"] = frame["column"].fillna("")
    return frame


def left_out_frame(result) -> pd.DataFrame:
    rows = [{"file": m.file, "line": m.line, "column": m.column, "reason": m.text}
            for m in getattr(result, "left_out", None) or []]
    return _blank(pd.DataFrame(rows, columns=["file", "line", "column", "reason"]))


def report_frames(imported, loaded) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(files read, files ignored with the reason) of one import."""
    from gtm.importers import report_rows

    rows = report_rows(imported, loaded)
    used = pd.DataFrame([{k: v for k, v in r.items() if k != "note"} for r in rows
                         if r["recognised as"] != "ignored"])
    ignored = pd.DataFrame([{"file": r["file"], "why it was ignored": r["note"]} for r in rows
                            if r["recognised as"] == "ignored"])
    return used, ignored


def show_report(imported, loaded, key: str) -> None:
    """The import report: each file, what it was recognised as, rows read / used / left
    out, warnings, columns not read; then the ignored files with the reason."""
    used, ignored = report_frames(imported, loaded)
    if len(used):
        st.markdown("**Import report**: what each file was read as")
        ui.table(used, "import report", key=f"download-report-{key}")
    if len(ignored):
        with st.expander(f"{len(ignored)} file(s) ignored, with the reason"):
            ui.table(ignored, "ignored files", key=f"download-ignored-{key}")


SOURCES = {"Detect from the files": None, "Canonical files": "canonical",
           "Salesforce exports": "salesforce", "HubSpot exports": "hubspot"}
DATE_FORMATS = {"Read from the values": None, "US month/day/year (3/22/2024)": "%m/%d/%Y",
                "European day/month/year (22/03/2024)": "%d/%m/%Y",
                "German day.month.year (22.03.2024)": "%d.%m.%Y"}
_PREVIEW = "_targetline_import_preview"


def import_options() -> dict:
    """Source, MQL field and date format for Salesforce, HubSpot and mapped exports."""
    with st.expander("Salesforce, HubSpot or another CRM: import options"):
        st.markdown("Upload the exports as they are (Data Loader or report CSVs for Salesforce; "
                    "contacts, companies and deals for HubSpot). For any other CRM, add a "
                    "`mapping.yaml` saying which file is which table (see the README).")
        source = st.selectbox("What the files are", list(SOURCES))
        mql = st.text_input("MQL date field (e.g. MQL_Date__c)", "").strip() or None
        fmt = st.selectbox("Date format", list(DATE_FORMATS))
    return {"source": SOURCES[source], "mql_field": mql, "date_format": DATE_FORMATS[fmt]}


def _staged(files, tmp: Path) -> list[str]:
    return upload.stage([(f.name, f) for f in files], tmp,  # file objects, copied in chunks
                        limit_mb=st.get_option("server.maxUploadSize"))


def _mapping_in(folder: Path) -> Path | None:
    return next((p for p in sorted(folder.iterdir())
                 if p.suffix.lower() in upload.MAPPING_EXTENSIONS), None)


def preview_import(files, options: dict) -> None:
    """What the upload was recognised as, the first rows of each canonical table and every
    problem, before anything is loaded (computed once per upload and options)."""
    from gtm import importers

    key = (tuple((f.name, f.size) for f in files), tuple(options.items()))
    cached = st.session_state.get(_PREVIEW)
    if not cached or cached[0] != key:
        with tempfile.TemporaryDirectory(prefix="targetline-preview-") as tmp:
            folder = Path(tmp) / "in"
            folder.mkdir()
            refusals = _staged(files, folder)
            result = None if refusals else importers.convert(
                folder, Path(tmp) / "out", mapping_file=_mapping_in(folder), **options)
            cached = (key, refusals, result, _previews(result))
        st.session_state[_PREVIEW] = cached
    _, refusals, result, previews = cached
    if refusals or result is None:
        return
    show_preview(result, previews)


def _previews(result) -> dict:
    from gtm.importers.read import LINE, read_export

    if result is None or not result.out_dir.is_dir():
        return {}
    previews = {}
    for p in sorted(result.out_dir.iterdir()):
        if p.suffix.lower() in (".csv", ".xlsx", ".parquet"):
            try:  # a file the load will refuse (too big, damaged) has no preview
                previews[p.stem] = read_export(p).drop(columns=LINE).head(5)
            except Exception:  # noqa: BLE001, S112 - the load names the problem
                continue
    return previews


def show_preview(result, previews: dict) -> None:
    st.markdown(f"**Detected source:** {ui.esc(result.source or 'not recognised')}")
    show_report(result, None, "preview")
    if previews:
        st.caption("Preview: the first rows of each table the load will check")
        for table, tab in zip(previews, st.tabs(list(previews)), strict=True):
            with tab:
                st.dataframe(previews[table], hide_index=True, width="stretch")
    if result.messages:
        (st.error if result.errors else st.warning)(
            f"{len(result.errors)} problem(s) to fix before loading, {len(result.warnings)} "
            "warning(s):" if result.errors else f"{len(result.warnings)} warning(s):")
        ui.table(messages_frame(result), "import problems", key="download-import-problems")


def run_load(files, currency: str | None, options: dict | None = None, *,
             skip_bad_rows: bool = False, key=None) -> None:
    """Stage the uploads, convert exports if needed, load with a progress bar, report."""
    try:
        from gtm.importers import import_and_load
    except ImportError:
        st.error("The loader is not installed in this build; nothing was changed.")
        return
    with tempfile.TemporaryDirectory(prefix="targetline-upload-") as tmp:
        refusals = _staged(files, Path(tmp))
        if refusals:
            st.error("Upload refused; the previous dataset is still served.\n\n"
                     + "\n".join(f"- {ui.esc(r)}" for r in refusals))
            return
        bar = st.progress(0.0, text="Checking the extract")
        from ui.frame import progress_callback

        imported, result = import_and_load(
            Path(tmp), mapping_file=_mapping_in(Path(tmp)), currency=currency,
            progress=progress_callback(bar), skip_bad_rows=skip_bad_rows, **(options or {}))
    bar.empty()
    report_load(imported, result, key)


def report_load(imported, result, key=None) -> None:
    if not result.ok:
        st.session_state[_REFUSED] = (key, imported, result)
        return
    st.session_state.pop(_REFUSED, None)
    ui.clear_caches()
    counts = ", ".join(f"{t} {n:,}" for t, n in (result.row_counts or {}).items() if n)
    left = f" {len(result.left_out)} bad row(s) left out." if result.left_out else ""
    st.session_state[_FLASH] = (f"Loaded {counts}; amounts in {result.currency}.{left}",
                                messages_frame(result), imported, result)
    st.session_state[_UPLOADER] = st.session_state.get(_UPLOADER, 0) + 1
    st.rerun()


def show_refused(key, files, currency, options) -> None:
    """A refused load: every problem by file, line and column; when every problem is
    about single rows, the choice to leave those rows out and load."""
    refused = st.session_state.get(_REFUSED)
    if not refused or refused[0] != key:
        return
    result = refused[2]
    st.error(f"Load refused with {len(result.errors)} error(s); the previous dataset is "
             "still served, unchanged.", icon=":material/block:")
    ui.table(messages_frame(result), "load problems", key="download-problems")
    if result.skippable:
        st.markdown("Every problem above is about single rows. You may leave those rows out "
                    "and load the rest: each left-out row is listed after the load, with a "
                    "download, and counted in the load history.")
        if st.button("Leave out the bad rows and load", icon=":material/playlist_remove:"):
            run_load(files, currency, options, skip_bad_rows=True, key=key)


def show_flash() -> None:
    flash = st.session_state.pop(_FLASH, None)
    if not flash:
        return
    text, warnings, imported, result = flash
    st.success(text, icon=":material/check_circle:")
    show_report(imported, result, "loaded")
    left = left_out_frame(result)
    if len(left):
        st.markdown(f"**{len(left)} row(s) left out** (file, line, column, reason):")
        ui.table(left, "left out rows", key="download-left-out")
    if len(warnings):
        st.caption("Warnings (the load went through):")
        ui.table(warnings, "load warnings", key="download-warnings")


CURRENCIES = {"From the export (its corporate currency, else the one its amounts use)": None,
              "USD": "USD", "EUR": "EUR", "GBP": "GBP"}


def show_upload() -> None:
    show_flash()
    st.markdown("One file per table, named after it (`people.csv`, `opportunities.parquet`, "
                "...), or one zip of those files; or Salesforce / HubSpot exports as they are "
                "(a whole weekly Data Export folder too: files Targetline does not read are "
                "listed as ignored); or any CRM's files with a `mapping.yaml`. Only **people** "
                "is required. A refused load leaves the current dataset as it is.")
    files = st.file_uploader("CRM extract", type=list(upload.ACCEPTED),
                             accept_multiple_files=True,
                             key=f"upload-{st.session_state.get(_UPLOADER, 0)}")
    st.caption(f"Up to {st.get_option('server.maxUploadSize')} MB per file; load a bigger "
               "extract with `python -m gtm load DIR` instead.")
    currency = CURRENCIES[st.selectbox("Dataset currency (every amount is converted to it)",
                                       list(CURRENCIES))]
    options = import_options()
    if files:
        guarded("The preview of this upload", preview_import, files, options)
    key = (tuple((f.name, f.size) for f in files or ()), currency, tuple(options.items()))
    if st.button("Check and load", type="primary", disabled=not files):
        guarded("The load", run_load, files, currency, options, key=key)
    if files:
        guarded("The refused load", show_refused, key, files, currency, options)


def glossary() -> None:
    for section in dict.fromkeys(m.section for m in registry.METRICS.values()):
        st.subheader(section, anchor=False)
        rows = [{"metric": m.label, "id": m.id, "definition": m.definition, "unit": m.unit}
                for m in registry.METRICS.values() if m.section == section]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"definition": st.column_config.TextColumn(width="large")})


def data_contract() -> None:
    st.markdown("Each table is one file named after it. Only **people** is required; a "
                "page whose table is missing says which file (or which Salesforce or HubSpot "
                "export) would light it up. Amounts in several currencies are converted to "
                "the dataset currency with `currency_rates`.")
    rows = [{"table": t.name, "column": c.name, "type": c.type,
             "required": "yes, unique" if c.unique else ("yes" if c.required else ""),
             "meaning": c.meaning}
            for t in contract.TABLES.values() for c in t.columns]
    ui.table(pd.DataFrame(rows), "data contract", key="download-contract")


def guarded(what: str, draw, *args, **kwargs):
    """Draw one part of the page; if it fails, say so in one line and go on, so the
    uploader is always there to load the fix (a damaged history, a missing file...)."""
    try:
        return draw(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - shown, never raised past this part
        st.error(f"{what} cannot be shown ({ui.esc(type(exc).__name__)}: "
                 f"{ui.esc(str(exc)[:300])}). The rest of this page works: load an extract "
                 "in the tab **Load a new extract**.", icon=":material/error:")
        return None


def show_missing(missing: Path) -> None:
    """The served version file is gone: say so and offer the versions still on disk."""
    db = store.default_db_path()
    st.error(f"The dataset file **{ui.esc(missing.name)}** is missing (deleted or moved), "
             "so no numbers are shown. Serve an earlier version below, or load the extract "
             "again in the tab **Load a new extract**.", icon=":material/error:")
    versions = store.earlier_versions(db)
    if not versions:
        st.info("No earlier version is left on disk.")
        return
    labels = {_version_label(v): v for v in versions}
    chosen = st.selectbox("Earlier versions", list(labels), key="_targetline_restore_pick")
    if st.button("Serve this version", key="_targetline_restore", icon=":material/history:"):
        store.restore(db, labels[chosen])
        ui.clear_caches()
        st.rerun()


def _version_label(version: Path) -> str:
    """'v2026...duckdb · loaded 2026-11-02 06:00 UTC · as of 2026-11-01 · source'."""
    import duckdb

    try:
        with duckdb.connect(str(version), read_only=True) as con:
            meta = dict(con.execute("select key, value from dataset_meta").fetchall())
    except duckdb.Error:
        return f"{version.name} (unreadable)"
    loaded = str(meta.get("loaded_at", "?"))[:16].replace("T", " ")
    return (f"{version.name} · loaded {loaded} UTC · as of {meta.get('as_of', '?')} · "
            f"{meta.get('source', '?')}")


def show_nothing_loaded() -> None:
    missing = store.missing_version(store.default_db_path())
    if missing is not None:
        show_missing(missing)
    else:
        st.info("Nothing is loaded yet: load an extract in the next tab.")


def show_history() -> None:
    frame = history_frame()
    if frame.empty:
        st.info("No load recorded yet.")
    else:
        ui.table(frame, "load history", key="download-history")


info = guarded("The loaded dataset", ui.dataset_info)
ui.header("Data", "What is loaded, where it came from, how to load a new extract, and what "
          "every number means.", info)
loaded, history, load, terms, tables = st.tabs(
    ["What is loaded", "Load history", "Load a new extract", "Glossary", "Data contract"])
with loaded:
    guarded("What is loaded", show_nothing_loaded if info is None else show_loaded,
            *(() if info is None else (info,)))
with history:
    guarded("The load history", show_history)
with load:
    guarded("The uploader", show_upload)
with terms:
    guarded("The glossary", glossary)
with tables:
    guarded("The data contract", data_contract)
