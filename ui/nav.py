"""The page list, defined once (gtm/pages.py): app.py registers it, the Overview links its
findings to it, the benchmark times it, the QBR pack gives each page a slide.

Plain data (no Streamlit call), so the benchmark and the tests read the same list the app
navigates.
"""

from gtm.pages import ANALYTIC, PAGES, PageSpec  # noqa: F401
