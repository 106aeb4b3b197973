"""What app.py does around every page: make sure a dataset exists, draw the sidebar.

A first-time user must see numbers, not an empty screen: when this database never had a
dataset, the demo extract is generated and loaded once with a visible progress bar. A
database whose version file went missing is not a first run: its pages say the file is
missing and the Data page offers the earlier versions (the demo never replaces the user's
numbers).
"""

from __future__ import annotations

import streamlit as st

from gtm import demo
from gtm.load import staging, store
from ui import data_access
from ui.filters import render_share_link, render_sidebar
from ui.text import esc

_DEMO_TRIED = "_targetline_demo_tried"
_UPGRADE_TRIED = "_targetline_upgrade_tried"


def progress_callback(bar):
    """A progress function tolerant of (fraction), (fraction, text) or (text) calls."""

    def report(*args, **kwargs):
        values = [*args, *kwargs.values()]
        fraction = next((float(v) for v in values
                         if isinstance(v, int | float) and not isinstance(v, bool)), None)
        text = next((str(v) for v in values if isinstance(v, str)), None)
        if fraction is not None and fraction > 1:  # (done, total) style
            numbers = [float(v) for v in values if isinstance(v, int | float)]
            fraction = numbers[0] / numbers[1] if len(numbers) > 1 and numbers[1] else 0.0
        bar.progress(min(max(fraction or 0.0, 0.0), 1.0), text=text)

    return report


def ensure_dataset() -> bool:
    """True when a dataset is loaded; on a first run with none, load the demo once."""
    if data_access.version() is not None:
        if data_access.outdated() and not st.session_state.get(_UPGRADE_TRIED):
            st.session_state[_UPGRADE_TRIED] = True  # once per session, even if it fails
            _upgrade()
        return True
    if st.session_state.get(_DEMO_TRIED) or store.ever_loaded(data_access.db_path()):
        return False  # the demo goes only into a database that never had a dataset
    st.session_state[_DEMO_TRIED] = True
    with st.status("First run: loading the demo company…", expanded=True) as status:
        bar = st.progress(0.0, text="Generating the demo CRM extract")
        try:
            demo.ensure_loaded(progress=progress_callback(bar))
        except Exception as exc:  # shown, not raised: the Data page still works
            st.error(f"The demo dataset could not be loaded: {exc}")
        ok = data_access.version() is not None
        status.update(label="Demo dataset loaded" if ok else "No dataset loaded",
                      state="complete" if ok else "error", expanded=not ok)
    data_access.clear_caches()
    return ok


def _upgrade() -> None:
    """A dataset loaded by an older Targetline gets this version's intermediate tables
    (written into a new version file; the loaded data is not read again from CSV)."""
    with st.status("Preparing the loaded dataset for this version of Targetline…",
                   expanded=True) as status:
        bar = st.progress(0.0, text="Copying the loaded tables")
        try:
            staging.upgrade(data_access.db_path(), progress_callback(bar))
        except Exception as exc:  # the old version stays published and is still shown
            st.error(f"The dataset could not be prepared: {exc}. Load it again on the Data page.")
        status.update(label="Dataset ready", state="complete", expanded=False)
    data_access.clear_caches()


def no_dataset_notice() -> None:
    st.title("Targetline", anchor=False)
    missing = store.missing_version(data_access.db_path())
    if missing is not None:
        st.error(f"The dataset file {esc(missing.name)} is missing (deleted or moved), so no "
                 "numbers are shown. The Data page offers the earlier versions still on disk.",
                 icon=":material/error:")
    else:
        st.info("No dataset is loaded yet. Load a CRM extract on the Data page.",
                icon=":material/database:")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")


def frame(page) -> bool:
    """Sidebar filters for the page about to run; False when it cannot run (no data)."""
    info = data_access.dataset_info()
    if info is None:
        return page.url_path == "data"
    render_sidebar(info, data_access.stage_names())
    render_share_link(page.url_path)
    return True
