"""Who may see the numbers: OpenID Connect sign-in (st.login) when it is configured.

Pipeline, CAC and ARR are board-level numbers. When .streamlit/secrets.toml has an
[auth] section (Okta, Google, Microsoft Entra or any OIDC provider, docs/security.md),
a visitor who is not signed in sees the sign-in prompt and nothing else: no sidebar
filters, no page list, no numbers, and the demo is not even loaded for them. Only an
account whose provider says `email_verified: true` (the boolean) gets in, and an
optional allow-list of e-mail domains (`[targetline] allowed_domains`) refuses other
accounts. Without [auth] the app is single-user and the server binds to localhost
(.streamlit/config.toml). app.py calls gate() before anything else is drawn.
"""

from __future__ import annotations

import importlib.util

import streamlit as st

from ui.text import esc

PROVIDER_LABELS = {"google": "Google", "microsoft": "Microsoft", "okta": "Okta",
                   "entra": "Microsoft Entra", "auth0": "Auth0"}
_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def _secrets_section(name: str) -> dict:
    """A secrets.toml section as a plain dict ({} when there is no secrets file)."""
    try:
        section = st.secrets.get(name)
    except Exception:  # no secrets.toml at all: Streamlit raises on first access
        return {}
    return dict(section) if hasattr(section, "keys") else {}


def auth_configured() -> bool:
    """True when secrets.toml has an [auth] section: sign-in is then required."""
    return bool(_secrets_section("auth"))


def providers(auth: dict) -> list[str | None]:
    """Provider names for st.login: None for a single unnamed provider in [auth] itself."""
    if any(key in auth for key in _PROVIDER_KEYS):
        return [None]
    return [name for name, value in auth.items() if hasattr(value, "keys")]


def allowed_domains() -> list[str]:
    """`[targetline] allowed_domains` from secrets, lowercase; empty = every account."""
    domains = _secrets_section("targetline").get("allowed_domains") or []
    if isinstance(domains, str):
        domains = [domains]
    return [str(d).strip().lower().lstrip("@") for d in domains if str(d).strip()]


def email_allowed(email, domains: list[str]) -> bool:
    """Whether an account may see the app: any when domains is empty, else an exact domain."""
    if not domains:
        return True
    if not isinstance(email, str) or email.count("@") != 1:
        return False
    return email.rsplit("@", 1)[1].strip().lower() in domains


def verified_claim() -> str:
    """The ID-token claim that says the e-mail is verified: `email_verified` (OpenID
    Connect), or the one `[targetline] verified_claim` names (Microsoft Entra never sends
    email_verified; its optional claim `xms_edov` says the same, docs/security.md)."""
    name = _secrets_section("targetline").get("verified_claim")
    return str(name).strip() if name and str(name).strip() else "email_verified"


def email_verified(user: dict) -> bool:
    """Only the boolean claim `true` counts: the string "false", "true", 1 or no claim at
    all is not a verified address (an unverified address can be anyone's)."""
    return user.get(verified_claim()) is True


def account_allowed(user: dict) -> bool:
    """A signed-in account may see the numbers: a verified e-mail at an allowed domain.
    (ui/security.py applies the same rule to media downloads.)"""
    return email_verified(user) and email_allowed(user.get("email"), allowed_domains())


def _user() -> dict:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no session context (scripts)
        return {}


def gate() -> None:
    """Stop the run unless the visitor may see the app (a no-op without [auth])."""
    if not auth_configured():
        return
    user = _user()
    if user.get("is_logged_in") is not True:
        _only(_sign_in_page)
    elif not account_allowed(user):
        _only(_refused_page)
    else:
        with st.sidebar:
            st.caption(f"Signed in as {esc(user.get('email') or user.get('name') or 'you')}")
            if st.button("Sign out", key="_targetline_sign_out", icon=":material/logout:"):
                st.logout()


def _only(page_fn) -> None:
    """Draw one page and stop: a hidden navigation, so no page list appears either."""
    st.navigation([st.Page(page_fn, title="Targetline", default=True)], position="hidden").run()
    st.stop()


def _sign_in_page() -> None:
    st.title("Targetline", anchor=False)
    st.markdown("Sign in to see the go-to-market numbers.")
    if importlib.util.find_spec("authlib") is None:
        st.error("Sign-in is configured but the Authlib package is missing on the server: "
                 "run `pip install -r requirements.txt`.")
        return
    for name in providers(_secrets_section("auth")):
        label = f"Sign in with {PROVIDER_LABELS.get(name or '', (name or '').title())}" \
            if name else "Sign in"
        if st.button(label, key=f"_targetline_login_{name or 'default'}", type="primary",
                     icon=":material/login:"):
            st.login(name)


def _refused_page() -> None:
    user = _user()
    domains = allowed_domains()
    st.title("Targetline", anchor=False)
    if not email_verified(user):
        why = ("its e-mail address is not verified by the identity provider "
               f"({verified_claim()} is not true)")
    else:
        why = "this dashboard is open to accounts at " + ", ".join(domains) + " only"
    st.error(f"Signed in as {esc(user.get('email') or 'an account without e-mail')}, but "
             f"{esc(why)}. Sign out and use your work account.", icon=":material/block:")
    if st.button("Sign out", key="_targetline_sign_out_refused", icon=":material/logout:"):
        st.logout()
