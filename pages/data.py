"""Data: what is loaded, its history, loading a new extract, and the glossary."""

import importlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import ui
from gtm import contract, registry, store
from ui import upload

_FLASH = "_targetline_data_flash"
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
    st.markdown(f"**As of** {info.get('as_of')} · **loaded** {ui.esc(loaded_at)} UTC · "
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
    """Every load attempt, newest first."""
    entries = reversed(store.read_history(store.default_db_path()))
    return pd.DataFrame([_history_row(e) for e in entries])


def messages_frame(result) -> pd.DataFrame:
    rows = [{"severity": kind, "file": getattr(m, "file", None), "line": getattr(m, "line", None),
             "column": getattr(m, "column", None), "problem": getattr(m, "text", str(m))}
            for kind, items in (("error", result.errors), ("warning", result.warnings))
            for m in items]
    return pd.DataFrame(rows, columns=["severity", "file", "line", "column", "problem"])


def run_load(files, currency: str) -> None:
    """Stage the uploads, run the loader with a progress bar, report every message."""
    try:
        loader = importlib.import_module("gtm.loader")
    except ImportError:
        st.error("The loader is not installed in this build; nothing was changed.")
        return
    with tempfile.TemporaryDirectory(prefix="targetline-upload-") as tmp:
        refusals = upload.stage([(f.name, f.getvalue()) for f in files], Path(tmp),
                                limit_mb=st.get_option("server.maxUploadSize"))
        if refusals:
            st.error("Upload refused; the previous dataset is still served.\n\n"
                     + "\n".join(f"- {ui.esc(r)}" for r in refusals))
            return
        bar = st.progress(0.0, text="Checking the extract")
        from ui.frame import progress_callback

        result = loader.load(Path(tmp), currency=currency, progress=progress_callback(bar))
    bar.empty()
    report_load(result)


def report_load(result) -> None:
    if not result.ok:
        st.error(f"Load refused with {len(result.errors)} error(s); the previous dataset is "
                 "still served, unchanged.", icon=":material/block:")
        ui.table(messages_frame(result), "load problems", key="download-problems")
        return
    ui.clear_caches()
    counts = ", ".join(f"{t} {n:,}" for t, n in (result.row_counts or {}).items())
    st.session_state[_FLASH] = (f"Loaded {counts}.", messages_frame(result))
    st.session_state[_UPLOADER] = st.session_state.get(_UPLOADER, 0) + 1
    st.rerun()


def show_upload() -> None:
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash[0], icon=":material/check_circle:")
        if len(flash[1]):
            st.caption("Warnings (the load went through):")
            ui.table(flash[1], "load warnings", key="download-warnings")
    st.markdown("One file per table, named after it (`people.csv`, `opportunities.parquet`, "
                "...), or one zip of those files. Only **people** and **opportunities** are "
                "required. A refused load leaves the current dataset as it is.")
    files = st.file_uploader("CRM extract", type=list(upload.ACCEPTED),
                             accept_multiple_files=True,
                             key=f"upload-{st.session_state.get(_UPLOADER, 0)}")
    st.caption(f"Up to {st.get_option('server.maxUploadSize')} MB per file; load a bigger "
               "extract with `python -m gtm load DIR` instead.")
    currency = st.selectbox("Currency of the money columns", ["USD", "EUR", "GBP"])
    if st.button("Check and load", type="primary", disabled=not files):
        run_load(files, currency)


def glossary() -> None:
    for section in dict.fromkeys(m.section for m in registry.METRICS.values()):
        st.subheader(section, anchor=False)
        rows = [{"metric": m.label, "id": m.id, "definition": m.definition, "unit": m.unit}
                for m in registry.METRICS.values() if m.section == section]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"definition": st.column_config.TextColumn(width="large")})


def data_contract() -> None:
    st.markdown("Each table is one file named after it. Only **people** and "
                "**opportunities** are required; a page whose table is missing says which "
                "file would light it up.")
    rows = [{"table": t.name, "column": c.name, "type": c.type,
             "required": "yes, unique" if c.unique else ("yes" if c.required else ""),
             "meaning": c.meaning}
            for t in contract.TABLES.values() for c in t.columns]
    ui.table(pd.DataFrame(rows), "data contract", key="download-contract")


info = ui.dataset_info()
ui.header("Data", "What is loaded, where it came from, how to load a new extract, and what "
          "every number means.", info)
loaded, history, load, terms, tables = st.tabs(
    ["What is loaded", "Load history", "Load a new extract", "Glossary", "Data contract"])
with loaded:
    if info is None:
        st.info("Nothing is loaded yet: load an extract in the next tab.")
    else:
        show_loaded(info)
with history:
    frame = history_frame()
    if frame.empty:
        st.info("No load recorded yet.")
    else:
        ui.table(frame, "load history", key="download-history")
with load:
    show_upload()
with terms:
    glossary()
with tables:
    data_contract()
