"""HTTP protections Streamlit has no option for: headers, the metrics endpoint, media.

Streamlit 1.67 serves every page, its metrics and its media files (st.download_button's
CSV, st.image...) without asking who is there, and sends no X-Frame-Options or
Content-Security-Policy header; none of that is a config.toml option. It does run as a
Starlette ASGI app (`st.App`) that takes middleware, so `ui/serve.py` runs app.py
behind `Guard`, which:

- adds a Content-Security-Policy (scripts only from the server itself, `frame-ancestors
  'none'`: no other site can frame the dashboard to trick a click), X-Frame-Options DENY
  for older browsers, X-Content-Type-Options nosniff and Referrer-Policy same-origin;
- answers 404 on `/_stcore/metrics` (session counts, cache sizes: nobody's business);
- when sign-in is configured (`[auth]` in secrets.toml), serves `/media/...` only to a
  request carrying the signed-in session's cookie of an allowed, verified account, the
  same rule as ui.auth.gate: a download link copied out of a session, or fetched after
  sign-out, is refused (403).

The same rules for a reverse proxy in front of it are in docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import streamlit

METRICS_PATH = "/_stcore/metrics"
MEDIA_PREFIX = "/media/"


def inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts of Streamlit's own index.html (one today: it sets
    window.prerenderReady), so script-src needs no 'unsafe-inline'."""
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    scripts = re.findall(r"<script>(.*?)</script>", index.read_text(encoding="utf-8"), re.S)
    return ["'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
            for s in scripts]


def content_security_policy() -> str:
    """The policy: everything from the server itself; inline styles (Streamlit's and
    Plotly's styling needs them), data:/blob: images and fonts, blob: workers, and the
    page icon (st.set_page_config's :material/target: is an SVG Streamlit's frontend
    loads from fonts.gstatic.com)."""
    scripts = " ".join(["'self'", *inline_script_hashes()])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https://fonts.gstatic.com",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def headers() -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", content_security_policy().encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin")]


def signed_in(cookies: dict[str, str]) -> bool:
    """True when the request carries the signed cookie of a signed-in account that
    ui.auth.gate would let in (verified e-mail, allowed domain). Fails closed."""
    from ui import auth

    try:
        from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME
        from streamlit.web.server.starlette.starlette_websocket import (
            _get_signed_cookie_with_chunks,
        )

        raw = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
        user = json.loads(raw) if raw else {}
    except Exception:  # noqa: BLE001 - a broken or forged cookie is no session
        return False
    return isinstance(user, dict) and user.get("is_logged_in") is True \
        and auth.account_allowed(user)


def _cookies(scope) -> dict[str, str]:
    from starlette.requests import HTTPConnection

    return dict(HTTPConnection(scope).cookies)


class Guard:
    """ASGI middleware: security headers on every response, no metrics, media only for
    a signed-in session when sign-in is configured."""

    def __init__(self, app):
        self.app = app
        self.headers = headers()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path.rstrip("/").endswith(METRICS_PATH):
            return await self._refuse(scope, receive, send, 404, "Not Found")
        if MEDIA_PREFIX in path and _auth_configured() and not signed_in(_cookies(scope)):
            return await self._refuse(scope, receive, send, 403,
                                      "Sign in to download this file.")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.headers]}
            await send(message)

        return await self.app(scope, receive, with_headers)

    async def _refuse(self, scope, receive, send, status: int, text: str):
        from starlette.responses import PlainTextResponse

        response = PlainTextResponse(text, status_code=status)
        response.raw_headers.extend(self.headers)
        await response(scope, receive, send)


def _auth_configured() -> bool:
    from ui import auth

    return auth.auth_configured()
