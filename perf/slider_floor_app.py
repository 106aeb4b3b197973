"""The stack's floor for a slider: one bound slider and one number, nothing computed.

The benchmark times a key press on it to the new number, as it times the growth page's
sliders (perf/bench.py measure_interaction), so the growth figures read against what any
Streamlit slider costs on this machine."""

import streamlit as st

value = st.slider("Qualified win rate", 0.0, 100.0, 30.0, 0.5, key="win", bind="query-params")
st.metric("Value", f"{value:.1f} %")
