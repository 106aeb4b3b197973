"""`python -m streamlit run ui/serve.py`: Targetline behind its HTTP protections.

app.py is the Streamlit app (the frame and the pages); this launcher serves it as an
`st.App` with ui.security.Guard in front: a Content-Security-Policy and
X-Frame-Options on every response, no `/_stcore/metrics`, and media downloads only for
a signed-in session when sign-in is configured. `streamlit run app.py` still works for
development, without these headers (docs/security.md says what a reverse proxy must
add in either case).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run ui/serve.py` puts ui/ first, not the root
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from ui.security import Guard  # noqa: E402

app = st.App(str(ROOT / "app.py"), middleware=[Middleware(Guard)])
