"""The served app's HTTP protections (ui/serve.py + ui/security.py; issue 13, item 10).

Streamlit 1.67 has no option for response headers, the metrics endpoint or who may fetch
a media file, so the launcher runs app.py as an `st.App` behind ui.security.Guard. Here a
real server is started through the launcher (as `make run` and the README do) and
checked from outside: headers on every kind of response, `/_stcore/metrics` gone, the
app drawn in Chromium under its own Content-Security-Policy (no violation, charts drawn),
another site unable to frame it, and, with sign-in configured, a download that works in
the signed-in session but not without its cookie (a copied link, another browser).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from perf.server import streamlit_server

READY = "[data-testid=stApp][data-test-script-state=notRunning]"

COOKIE_SECRET = "test-cookie-secret-for-the-media-gate"
SECRETS = f"""
[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"

[auth.okta]
client_id = "x"
client_secret = "y"
server_metadata_url = "https://acme.okta.invalid/.well-known/openid-configuration"

[targetline]
allowed_domains = ["example.com"]
"""


def fetch(url: str, cookie: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


def test_every_response_carries_the_headers_and_metrics_are_closed(server):
    for path in ("/", "/data", "/_stcore/health", "/_stcore/host-config"):
        status, headers = fetch(server + path)
        assert status == 200, path
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self' 'sha256-" in headers["content-security-policy"], path
        assert "'unsafe-eval'" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
    status, headers = fetch(server + "/_stcore/metrics")
    assert status == 404 and headers["x-frame-options"] == "DENY"


@pytest.fixture
def strict_page(browser):
    """A tab that keeps the app's CSP (the shared fixture bypasses it for its probes)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    violations: list[str] = []
    tab.on("console", lambda m: violations.append(m.text)
           if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    tab.on("pageerror", lambda exc: violations.append(f"page error: {exc}"))
    yield tab, violations
    context.close()


@pytest.mark.parametrize("path, charts", [("/", 0), ("/mql-vs-pipeline", 4), ("/net-arr", 2),
                                          ("/data", 0)])
def test_the_app_works_under_its_own_policy(server, strict_page, path, charts):
    tab, violations = strict_page
    tab.goto(server + path)
    tab.wait_for_selector(READY)
    tab.wait_for_selector("[data-testid=stSidebar] [data-testid=stSelectbox]")
    if charts:
        tab.locator(".js-plotly-plot .main-svg").nth(charts - 1).wait_for()
    tab.wait_for_timeout(500)
    assert not tab.locator("[data-testid=stException]").count()
    assert violations == []


def test_another_site_cannot_frame_the_app(server, strict_page):
    tab, _ = strict_page
    tab.set_content(f'<iframe id="f" src="{server}/" width="800" height="600"></iframe>')
    tab.wait_for_timeout(3000)
    frame = next(f for f in tab.frames if f != tab.main_frame)
    assert not frame.url.startswith(server) or frame.locator("[data-testid=stApp]").count() == 0


# --- sign-in configured: media only for the signed-in session -------------------------

@pytest.fixture(scope="module")
def signed_server(app_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("signed")
    secrets = folder / "secrets.toml"
    secrets.write_text(SECRETS)
    with streamlit_server(app_db, folder / "streamlit.log",
                          args=("--secrets.files", str(secrets))) as url:
        yield url


def user_cookie(base: str, **claims) -> str:
    """The `_streamlit_user` cookie Streamlit sets after an OIDC sign-in, signed with the
    configured cookie secret (what a browser that signed in holds)."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    payload = {"origin": base, "is_logged_in": True, **claims}
    return create_signed_value(COOKIE_SECRET, "_streamlit_user", json.dumps(payload)).decode()


def test_a_download_needs_the_signed_in_session(signed_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    cookie = user_cookie(signed_server, email="cmo@example.com", email_verified=True)
    context.add_cookies([{"name": "_streamlit_user", "value": cookie,
                          "url": signed_server + "/"}])
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    try:
        tab.goto(signed_server + "/data")
        tab.wait_for_selector(READY)
        tab.get_by_text("Signed in as cmo@example.com").wait_for()
        tab.get_by_role("tab", name="Data contract").click()
        with tab.expect_download() as download:
            tab.get_by_role("button", name="Download CSV").last.click()
        url = download.value.url
        assert "/media/" in url and download.value.failure() is None
    finally:
        context.close()
    assert fetch(url)[0] == 403  # the same link without the session's cookie
    assert fetch(url, f"_streamlit_user={cookie}")[0] == 200
    unverified = user_cookie(signed_server, email="cmo@example.com", email_verified="true")
    assert fetch(url, f"_streamlit_user={unverified}")[0] == 403
    other = user_cookie(signed_server, email="spy@competitor.io", email_verified=True)
    assert fetch(url, f"_streamlit_user={other}")[0] == 403
    forged = cookie[:-4] + ("AAAA" if not cookie.endswith("AAAA") else "BBBB")
    assert fetch(url, f"_streamlit_user={forged}")[0] == 403
