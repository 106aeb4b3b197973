"""Overview: the headline row an executive reads first, against the previous period."""

import streamlit as st

import gtm.metrics
import ui

HEADLINE = ["qualified_pipeline", "new_customers", "cac", "net_new_arr", "qualified_win_rate"]

info = ui.dataset_info()
ui.header("Overview", "Marketing measured on qualified pipeline, customers, CAC and Net ARR "
          "instead of MQL volume.", info)

compute = getattr(gtm.metrics, "compute", None)
if compute is None:
    st.info("The metrics engine is not available yet; showing what is loaded.")
    st.json({k: str(v) for k, v in info.items() if k != "meta"})
else:
    flt, settings = ui.current_filter(), ui.current_settings()
    with st.spinner("Computing the headline metrics…"):
        now = ui.cached(compute, flt, settings)
        before = ui.cached(compute, ui.previous_filter(), settings)
    ui.kpi_row(HEADLINE, now, before, info)
    prev = ui.previous_filter()
    st.caption(f"Deltas compare with {prev.start} to {prev.end}.")
