"""Sign-in (ui/auth.py): with [auth] in secrets, only a signed-in, allowed account sees numbers.

AppTest seeds `st.secrets` from at.secrets and `st.user` from at.user (streamlit's
testing API): a visitor is {"is_logged_in": False}, a signed-in user carries the
claims the identity provider would put in the ID token.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.auth import email_allowed, providers

APP = str(Path(__file__).resolve().parent.parent / "app.py")
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-secret-not-used",
        "okta": {"client_id": "x", "client_secret": "y",
                 "server_metadata_url": "https://acme.okta.com/.well-known/openid-configuration"}}


@pytest.fixture
def app(app_db, monkeypatch):
    monkeypatch.setenv("TARGETLINE_DB", str(app_db))

    def open_app(user: dict, domains=None, page: str | None = None,
                 targetline: dict | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        at.secrets["auth"] = AUTH
        if domains is not None or targetline:
            at.secrets["targetline"] = {**({"allowed_domains": domains} if domains else {}),
                                        **(targetline or {})}
        at.user = user
        if page:  # a deep link: open the page signed in, then come back signed out
            at.user = {"is_logged_in": True, "email": "cmo@example.com",
                       "email_verified": True}
            at.run()
            at.switch_page(page).run()
            at.user = user
        return at.run()

    return open_app


def shows_numbers(at: AppTest) -> bool:
    """Anything a visitor must not see: KPIs, tables, charts or the sidebar filters."""
    return bool(at.metric or at.dataframe or at.sidebar.selectbox or at.sidebar.multiselect
                or at.get("plotly_chart"))


@pytest.mark.parametrize("page", [None, "pages/data.py", "pages/net-arr.py"])
def test_a_visitor_sees_only_the_sign_in_prompt(app, page):
    at = app({"is_logged_in": False}, page=page)
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.button] == ["Sign in with Okta"]
    assert not shows_numbers(at)
    assert not at.sidebar.button and not at.sidebar.caption
    assert [t.value for t in at.title] == ["Targetline"]


def test_a_visitor_without_the_claim_is_not_signed_in(app):
    at = app({"email": "ceo@example.com"})  # no is_logged_in claim: fail closed
    assert [b.label for b in at.button] == ["Sign in with Okta"]
    assert not shows_numbers(at)


def test_a_signed_in_user_of_an_allowed_domain_sees_the_app(app):
    at = app({"is_logged_in": True, "email": "cmo@Example.com", "email_verified": True},
             domains=["example.com"])
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric and at.sidebar.selectbox
    assert at.sidebar.caption[0].value == "Signed in as cmo@Example.com"
    assert "Sign out" in [b.label for b in at.sidebar.button]


def test_without_an_allow_list_any_signed_in_verified_account_sees_the_app(app):
    at = app({"is_logged_in": True, "email": "someone@gmail.com", "email_verified": True})
    assert at.metric and at.sidebar.selectbox


@pytest.mark.parametrize("claims", [{}, {"email_verified": "false"}, {"email_verified": "true"},
                                    {"email_verified": 1}, {"email_verified": None}])
def test_only_a_boolean_true_email_verified_claim_gets_in(app, claims):
    """Issue 13: the string "false", or no claim at all, was let in."""
    at = app({"is_logged_in": True, "email": "cmo@example.com", **claims},
             domains=["example.com"])
    assert not at.exception
    assert not shows_numbers(at)
    assert "not verified by the identity provider (email\\_verified is not true)" \
        in at.error[0].value  # Markdown-escaped
    assert [b.label for b in at.button] == ["Sign out"]


def test_a_provider_without_email_verified_names_its_own_claim(app):
    """Microsoft Entra sends no email_verified; its optional xms_edov claim says the same."""
    entra = {"is_logged_in": True, "email": "cmo@example.com", "xms_edov": True}
    at = app(entra, domains=["example.com"], targetline={"verified_claim": "xms_edov"})
    assert at.metric and at.sidebar.selectbox
    at = app({**entra, "xms_edov": "True", "email_verified": True}, domains=["example.com"],
             targetline={"verified_claim": "xms_edov"})
    assert not shows_numbers(at) and "xms\\_edov is not true" in at.error[0].value


def test_an_account_of_another_domain_is_refused(app):
    at = app({"is_logged_in": True, "email": "spy@competitor.io", "email_verified": True},
             domains=["example.com"])
    assert not at.exception
    assert not shows_numbers(at)
    assert "open to accounts at example.com only" in at.error[0].value
    assert [b.label for b in at.button] == ["Sign out"]


def test_an_unverified_email_is_refused(app):
    at = app({"is_logged_in": True, "email": "cmo@example.com", "email_verified": False},
             domains=["example.com"])
    assert not shows_numbers(at)
    assert "not verified" in at.error[0].value


def test_without_auth_configured_the_app_opens(app_db, monkeypatch):
    monkeypatch.setenv("TARGETLINE_DB", str(app_db))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.metric and not at.sidebar.button


@pytest.mark.parametrize("email, domains, ok", [
    ("a@example.com", ["example.com"], True),
    ("A@EXAMPLE.COM", ["example.com"], True),
    ("a@sub.example.com", ["example.com"], False),   # exact domains only
    ("a@example.com.evil.io", ["example.com"], False),
    ("a@evil.io@example.com", ["example.com"], False),  # two @: not an address
    (None, ["example.com"], False),
    ("a@anything.io", [], True),
])
def test_email_allowed(email, domains, ok):
    assert email_allowed(email, domains) is ok


def test_providers_named_or_single():
    assert providers(AUTH) == ["okta"]
    assert providers({"redirect_uri": "r", "client_id": "c"}) == [None]
    assert providers({"google": {"client_id": "g"}, "microsoft": {"client_id": "m"},
                      "cookie_secret": "s"}) == ["google", "microsoft"]
