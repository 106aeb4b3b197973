"""ui/security.py without a server: the policy, the media check, the documented proxy.

The served behaviour is in tests/browser/test_security_headers.py; here the rules
themselves: which cookies count as a signed-in session, and that docs/security.md's nginx
lines carry exactly the policy the app sends (so a proxy copied from the docs matches).
"""

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ui import security

DOCS = Path(__file__).resolve().parent.parent / "docs" / "security.md"
SECRET = "unit-test-cookie-secret"


@pytest.fixture
def auth(monkeypatch):
    """Sign-in configured: the cookie secret and the gate's rules, as secrets.toml sets them."""
    from streamlit.web.server import server_util

    from ui import auth

    sections = {"auth": {"cookie_secret": SECRET},
                "targetline": {"allowed_domains": ["example.com"]}}
    monkeypatch.setattr(auth, "_secrets_section", lambda name: sections.get(name, {}))
    monkeypatch.setattr(server_util, "get_cookie_secret", lambda: SECRET)
    import streamlit.web.server.starlette.starlette_websocket as ws

    monkeypatch.setattr(ws, "get_cookie_secret", lambda: SECRET)
    return sections


def cookie(secret: str = SECRET, **claims) -> dict[str, str]:
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    payload = json.dumps({"origin": "http://localhost:8501", "is_logged_in": True, **claims})
    return {"_streamlit_user": create_signed_value(secret, "_streamlit_user", payload).decode()}


@pytest.mark.parametrize("cookies, ok", [
    (cookie(email="cmo@example.com", email_verified=True), True),
    (cookie(email="cmo@example.com", email_verified="true"), False),
    (cookie(email="cmo@example.com"), False),
    (cookie(email="spy@competitor.io", email_verified=True), False),
    (cookie(email="cmo@example.com", email_verified=True, is_logged_in=False), False),
    (cookie("another-secret", email="cmo@example.com", email_verified=True), False),  # forged
    ({"_streamlit_user": "garbage"}, False),
    ({}, False),
])
def test_only_a_signed_in_allowed_session_counts(auth, cookies, ok):
    assert security.signed_in(cookies) is ok


def run_guard(path: str, cookies: dict[str, str] | None = None) -> tuple[int, dict]:
    """Drive Guard as an ASGI app in front of an app that answers 200."""
    sent = []

    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    header = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items()).encode()
    scope = {"type": "http", "path": path, "headers": [(b"cookie", header)] if header else [],
             "method": "GET", "query_string": b""}
    # in a thread of its own: the browser tests' Playwright keeps a loop in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, security.Guard(inner)(scope, None, send)).result()
    start = sent[0]
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}


def test_the_guard_closes_metrics_and_gates_media(auth):
    assert run_guard("/_stcore/metrics")[0] == 404
    assert run_guard("/media/abc.csv")[0] == 403
    good = cookie(email="cmo@example.com", email_verified=True)
    status, headers = run_guard("/media/abc.csv", good)
    assert status == 200 and headers["x-frame-options"] == "DENY"
    assert run_guard("/")[0] == 200


def test_without_sign_in_media_is_served_as_streamlit_serves_it(monkeypatch):
    from ui import auth

    monkeypatch.setattr(auth, "_secrets_section", lambda name: {})
    assert run_guard("/media/abc.csv")[0] == 200  # single-user on localhost


def test_the_documented_proxy_policy_is_the_one_the_app_sends():
    documented = re.findall(r'add_header Content-Security-Policy "([^"]+)" always;',
                            DOCS.read_text())
    assert documented == [security.content_security_policy()]


def test_the_policy_allows_no_inline_script_but_streamlits_own():
    policy = security.content_security_policy()
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-eval'" not in policy and "frame-ancestors 'none'" in policy
    assert len(security.inline_script_hashes()) >= 1
