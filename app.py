"""Targetline: the Streamlit entrypoint (page setup, demo data, navigation, filters).

Run with `streamlit run app.py`. Everything drawn here (the sidebar filters) lives
across pages; the pages themselves are in pages/ and read the view through ui.
"""

import streamlit as st

from ui import auth, frame

st.set_page_config(page_title="Targetline", page_icon=":material/target:", layout="wide")

auth.gate()  # with sign-in configured, nothing below runs for a visitor
frame.ensure_dataset()

page = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/mql-vs-pipeline.py", title="MQLs vs pipeline", url_path="mql-vs-pipeline",
            icon=":material/filter_alt:"),
    st.Page("pages/cac-vs-cpl.py", title="CAC vs CPL", url_path="cac-vs-cpl",
            icon=":material/payments:"),
    st.Page("pages/buying-groups.py", title="Buying groups", url_path="buying-groups",
            icon=":material/groups:"),
    st.Page("pages/growth.py", title="Growth equation", url_path="growth",
            icon=":material/calculate:"),
    st.Page("pages/net-arr.py", title="Net ARR", url_path="net-arr",
            icon=":material/trending_up:"),
    st.Page("pages/velocity.py", title="Velocity", url_path="velocity",
            icon=":material/speed:"),
    st.Page("pages/target-market.py", title="Target market", url_path="target-market",
            icon=":material/my_location:"),
    st.Page("pages/data.py", title="Data", url_path="data", icon=":material/database:"),
])

if frame.frame(page):
    page.run()
else:
    frame.no_dataset_notice()
