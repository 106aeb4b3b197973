"""The intermediate tables (gtm/load/staging.py) and the upgrade of a dataset loaded before them.

The tiny extract is loaded through the real loader; an "older" dataset is made from it by
dropping what an older Targetline did not write (the int_ tables and the staging_version
key), in a version file of its own, so the upgrade runs on the real layout.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from gtm.filters import Filter, Settings
from gtm.load import staging, store
from gtm.load.loader import load
from gtm.metrics import compute

TINY = Path(__file__).parent / "data" / "tiny"
YEAR = Filter(date(2025, 1, 1), date(2025, 12, 31))


def _values(db: Path) -> dict:
    con = store.connect(db)
    try:
        return compute(con, YEAR, Settings())
    finally:
        con.close()


def _make_old(db: Path) -> Path:
    """Publish a copy of the current version without the intermediate tables."""
    old = store.new_version_path(db)
    shutil.copyfile(store.current_version(db), old)
    con = duckdb.connect(str(old))
    names = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where starts_with(table_name, 'int_')").fetchall()]
    for name in names:
        con.execute(f'drop table "{name}"')
    con.execute("delete from dataset_meta where key = 'staging_version'")
    con.close()
    store.publish(db, old)
    return old


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def loaded(tmp_path):
    db = tmp_path / "t.duckdb"
    assert load(TINY, db).ok
    return db


def test_a_load_records_its_staging_version(loaded):
    con = store.connect(loaded)
    try:
        assert staging.version_of(con) == staging.STAGING_VERSION
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert {f"int_{name}" for name in ("stages", "stage_win_rates", "stage_entries",
                                        "opportunities", "first_wins", "arr_movements",
                                        "opportunity_contacts")} <= tables
    assert not staging.needs_upgrade(loaded)
    assert staging.upgrade(loaded) is False  # nothing to do: no new version
    assert len(list(store.versions_dir(loaded).glob("*.duckdb"))) == 1


def test_an_older_dataset_is_upgraded_into_a_new_version(loaded):
    expected = _values(loaded)
    old = _make_old(loaded)
    before = _sha(old)
    with pytest.raises(duckdb.CatalogException):
        _values(loaded)  # the metrics need the intermediate tables
    assert staging.needs_upgrade(loaded)

    steps = []
    assert staging.upgrade(loaded, lambda message, fraction: steps.append(message)) is True

    current = store.current_version(loaded)
    assert current != old and _sha(old) == before  # the old file was not touched
    assert not staging.needs_upgrade(loaded)
    assert _values(loaded) == expected  # same numbers as the fresh load
    assert any("copying people" in s for s in steps)
    assert any("fast filtering" in s for s in steps)


def test_stage_win_rates_are_those_of_the_history(tiny_con):
    """int_stage_win_rates holds the auto rule's table (tests/data/tiny/README.md)."""
    rates = tiny_con.execute(
        "select stage, reached_closed, reached_won from int_stage_win_rates order by sort_order"
    ).fetchall()
    assert rates, "the tiny extract has open stages"
    for _stage, closed, won in rates:
        assert 0 <= won <= closed
    closed = [r[1] for r in rates]
    assert closed == sorted(closed, reverse=True)  # a later stage is reached by fewer deals
