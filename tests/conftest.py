# --- tiny canonical extract (helper C1): loaded once through the real loader ---------
import pytest as _pytest  # noqa: E402


@_pytest.fixture(scope="session")
def tiny_db(tmp_path_factory):
    """tests/data/tiny loaded by gtm.load.loader.load into a temporary database path."""
    from pathlib import Path

    from gtm.load.loader import load

    db = tmp_path_factory.mktemp("tiny") / "tiny.duckdb"
    result = load(Path(__file__).parent / "data" / "tiny", db)
    assert result.ok, [str(e) for e in result.errors]
    return db


@_pytest.fixture(scope="session")
def tiny_con(tiny_db):
    """A read-only connection to the loaded tiny extract."""
    from gtm.load import store

    con = store.connect(tiny_db)
    yield con
    con.close()


# --- app dataset (helper: app frame): a small demo company for AppTest and the browser ---
@_pytest.fixture(scope="session")
def app_db(tmp_path_factory):
    """A 150-account demo company generated and loaded into a temporary database path."""
    from gtm import demo
    from gtm.load.loader import load

    root = tmp_path_factory.mktemp("app")
    demo.generate(root / "extract", accounts=150)
    db = root / "targetline.duckdb"
    result = load(root / "extract", db)
    assert result.ok, [str(e) for e in result.errors]
    return db


# --- loader (helper: loader): tiny_load in all three formats, and a good loaded db ------
TINY_LOAD = __import__("pathlib").Path(__file__).parent / "data" / "tiny_load"


def make_tiny_load(folder):
    """Copy tests/data/tiny_load to folder; touches -> Parquet, campaigns -> XLSX."""
    import shutil
    from datetime import date

    import duckdb
    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    for csv_file in TINY_LOAD.glob("*.csv"):
        shutil.copy(csv_file, folder / csv_file.name)
    con = duckdb.connect()
    con.execute(
        "copy (select person_id, cast(touch_date as timestamp) as touch_date, channel, "
        "campaign_id, touch_type from read_csv($src, all_varchar = true)) "
        "to '" + str(folder / "touches.parquet").replace("'", "''") + "' (format parquet)",
        {"src": str(folder / "touches.csv")})
    con.close()
    (folder / "touches.csv").unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Campaigns"
    sheet.append(["campaign_id", "name", "channel", "demand_type", "start_date", "end_date"])
    sheet.append(["C1", "Search Q1", "paid_search", "Harvest", date(2025, 1, 1), date(2025, 3, 31)])
    sheet.append(["C2", "Summit", "events", "create", date(2025, 1, 6), date(2025, 1, 7)])
    book.save(folder / "campaigns.xlsx")
    (folder / "campaigns.csv").unlink()
    return folder


@_pytest.fixture
def tiny_load_dir(tmp_path):
    """A fresh copy of the loader's tiny extract (CSV + Parquet + XLSX)."""
    return make_tiny_load(tmp_path / "tiny_load")


@_pytest.fixture
def good_db(tiny_load_dir, tmp_path):
    """tiny_load loaded into a temporary database path: (db path, LoadResult)."""
    from gtm.load.loader import load

    db = tmp_path / "db" / "targetline.duckdb"
    result = load(tiny_load_dir, db)
    assert result.ok, [str(e) for e in result.errors]
    return db, result


# --- the hand-made fixture folders of the ARR and buying-group metrics, loaded once ---
def _load_fixture(tmp_path_factory, name: str):
    """tests/data/<name> loaded through the real loader into a temporary database."""
    from pathlib import Path

    from gtm.load.loader import load

    db = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
    result = load(Path(__file__).parent / "data" / name, db)
    assert result.ok, [str(e) for e in result.errors]
    return db


@_pytest.fixture(scope="session")
def tiny_groups_db(tmp_path_factory):
    return _load_fixture(tmp_path_factory, "tiny_groups")


@_pytest.fixture(scope="session")
def tiny_arr_db(tmp_path_factory):
    return _load_fixture(tmp_path_factory, "tiny_arr")
