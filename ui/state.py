"""The view of this script run: the filter, settings and period the sidebar chose.

app.py draws the sidebar (ui.filters) and stores the view here before a page runs; pages
and the other ui helpers read it. A module of its own at the bottom of ui/, so reading the
view never imports the widgets that draw it.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from gtm.filters import Filter, Settings

_VIEW = "_targetline_view"


def require_frame() -> None:
    """Rerun through app.py when Streamlit ran a page file on its own.

    A `pages/` folder beside app.py makes Streamlit start in its legacy
    pages-directory mode until st.navigation runs once; a first request for
    /data would then run pages/data.py without the sidebar. Switching the mode
    off and rerunning sends the same request through app.py.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def set_view(flt: Filter, settings: Settings, period: str, info: dict) -> None:
    """Remember what the sidebar chose for the rest of this script run."""
    st.session_state[_VIEW] = {"filter": flt, "settings": settings, "period": period,
                               "info": info}


def _view() -> dict:
    require_frame()
    view = st.session_state.get(_VIEW)
    if view is None:
        raise RuntimeError("the global filters are drawn by app.py; run the app through it")
    return view


def current_filter() -> Filter:
    """The Filter chosen in the sidebar for this run."""
    return _view()["filter"]


def current_settings() -> Settings:
    """The Settings chosen in the sidebar for this run."""
    return _view()["settings"]


def current_period() -> str:
    """The period label chosen (e.g. 2025Q2, 2025-03, Last 12 months, Custom)."""
    return _view()["period"]


def current_info() -> dict:
    """gtm.metrics.dataset_info of the dataset this run shows."""
    return _view()["info"]


def previous_filter() -> Filter:
    """The comparison period for deltas (gtm.periods.previous_range)."""
    return current_filter().previous(current_period())
