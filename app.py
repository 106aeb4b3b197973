"""Targetline: the Streamlit entrypoint (page setup, demo data, navigation, filters).

Run with `streamlit run app.py`. Everything drawn here (the sidebar filters) lives
across pages; the pages themselves are in pages/ (listed once, in ui/nav.py) and read
the view through ui.
"""

import streamlit as st

from ui import auth, frame, nav

st.set_page_config(page_title="Targetline", page_icon=":material/target:", layout="wide")

auth.gate()  # with sign-in configured, nothing below runs for a visitor
frame.ensure_dataset()

page = st.navigation([
    st.Page(p.path, title=p.title, icon=p.icon, default=p.default,
            **({"url_path": p.url_path} if p.url_path else {}))
    for p in nav.PAGES
])

if frame.frame(page):
    page.run()
else:
    frame.no_dataset_notice()
