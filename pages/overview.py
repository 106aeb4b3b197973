"""Overview: the headline row an executive reads first, then one finding per page.

Each finding is one sentence from gtm.narrative.findings that links to the page behind it, so a CMO
can read the whole dashboard in ten lines and click where something moved. Every input is
a cached gtm call for the current filters (the global filters stay in the URL on click).
"""

import duckdb
import streamlit as st

import ui
from gtm.metrics import warm
from gtm.narrative import targets as target_findings
from gtm.narrative.overview import FINDING_INPUTS, HEADLINE, TARGET_ROW, page_findings
from gtm.pages import light_up_text
from ui import nav


def _view(fn, *args, **kwargs):
    """A cached gtm breakdown, or None when the loaded data cannot answer it."""
    try:
        return ui.view(fn, *args, **kwargs)
    except duckdb.Error:
        return None


def _warm_finding() -> None:
    """Warm starts (metrics.md v2), on the Buying groups page: a finding of their own."""
    text = target_findings.warm_finding(_view(warm.headline))  # the tile's query, cached
    st.page_link("pages/buying-groups.py", label=f"**Warm starts** · {ui.esc(text)}",
                 icon=":material/local_fire_department:")


def _findings(info: dict, now: dict, settings) -> None:
    st.subheader("What each page found", anchor=False)
    with st.spinner("Reading what each page found…"):
        sentences = page_findings(_view, now, settings, ui.previous_filter())
    loaded = info.get("tables") or {}
    for page in nav.ANALYTIC:
        missing = [t for t in page.needs if not loaded.get(t)]
        text = sentences[page.path] if not missing else light_up_text(missing)
        st.page_link(page.path, label=f"**{page.title}** · {ui.esc(text)}", icon=page.icon)
    if loaded.get("opportunities") and loaded.get("touches"):
        _warm_finding()


info = ui.dataset_info()
ui.header("Overview", "Marketing measured on qualified pipeline, customers, CAC and Net ARR "
          "instead of MQL volume.", info)
ui.need_tables(info, ["opportunities"], "qualified pipeline, win rates and customers")

settings = ui.current_settings()
with st.spinner("Computing the headline metrics…"):
    now, before = ui.headlines(HEADLINE + FINDING_INPUTS + TARGET_ROW)
ui.kpi_row(HEADLINE, now, before, info)
ui.kpi_row(TARGET_ROW, now, before, info)
ui.delta_caption(info)
_findings(info, now, settings)
