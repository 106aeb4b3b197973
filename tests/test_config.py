"""The hardened server defaults in .streamlit/config.toml (docs/security.md).

A typo in config.toml is silently ignored by Streamlit, so every key is also checked
against the options this Streamlit version defines.
"""

import tomllib
from pathlib import Path

from streamlit import config

from ui.upload import MB, over_limit

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"
SECRETS_EXAMPLE = CONFIG.parent / "secrets.toml.example"


def settings() -> dict:
    return tomllib.loads(CONFIG.read_text())


def test_server_is_hardened():
    server = settings()["server"]
    assert server["address"] == "localhost"  # never on all interfaces by default
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True
    assert server["maxUploadSize"] == 200
    assert server["allowedHosts"] == ["localhost", "127.0.0.1", "::1"]
    assert server["enableStaticServing"] is False
    assert server["enableAgentApi"] is False
    assert settings()["browser"]["gatherUsageStats"] is False


def test_every_key_is_a_streamlit_option():
    options = config._config_options_template
    keys = [f"{section}.{key}" for section, values in settings().items()
            for key in values]
    assert [k for k in keys if k not in options] == []


def test_the_upload_limit_message_names_the_file_sizes_and_the_cli():
    limit = settings()["server"]["maxUploadSize"]
    assert over_limit("x.csv", limit * MB, limit) is None  # exactly the limit is fine
    assert over_limit("x.csv", 250 * MB, limit) == (
        "x.csv is 250 MB; the upload limit is 200 MB: load it with python -m gtm load DIR "
        "instead")


def test_the_secrets_example_is_valid_toml_without_real_secrets():
    example = tomllib.loads(SECRETS_EXAMPLE.read_text())
    auth = example["auth"]
    assert auth["redirect_uri"].endswith("/oauth2callback")
    assert {"okta", "google", "microsoft"} <= set(auth)
    assert example["targetline"]["allowed_domains"]
    ignored = (CONFIG.parent.parent / ".gitignore").read_text().splitlines()
    assert ".streamlit/secrets.toml" in ignored  # real secrets never get committed
