"""Text from the data made inert before Streamlit draws it.

CRM free text shown with st.markdown is still Markdown (a lead source can carry a link,
emphasis, a table pipe or LaTeX), so every page escapes it with `esc` first. One module
at the bottom of ui/, so every other helper can use it without importing each other.
"""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$:])")  # what can link, format, run LaTeX


def esc(text) -> str:
    """CRM free text made inert for st.markdown (no links, HTML, emphasis or LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
