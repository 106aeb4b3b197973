# --- tiny canonical extract (helper C1): loaded once through the real loader ---------
import pytest as _pytest  # noqa: E402


@_pytest.fixture(scope="session")
def tiny_db(tmp_path_factory):
    """tests/data/tiny loaded by gtm.loader.load into a temporary database path."""
    from pathlib import Path

    from gtm.loader import load

    db = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    load(Path(__file__).parent / "data" / "tiny", db)
    return db


@_pytest.fixture(scope="session")
def tiny_con(tiny_db):
    """A read-only connection to the loaded tiny extract."""
    from gtm import store

    con = store.connect(tiny_db)
    yield con
    con.close()
