"""The benchmark's floor: Streamlit and Plotly alone, one small chart, nothing computed.

`python -m gtm bench` opens this page cold in headless Chromium beside the app's pages, so
the figures show what any page of this stack costs on the machine before Targetline
computes or draws anything (perf/bench.py, measure_floor).
"""

import plotly.graph_objects as go
import streamlit as st

st.title("One chart")
st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
