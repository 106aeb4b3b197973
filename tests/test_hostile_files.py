"""Hostile files (issue 13): no crash, no silent loss, a refusal naming file and bound.

Every file here is generated (perf/hostile.py), never committed. The ones that used to
kill the process (the xlsx bomb) run in a child process first, so a regression fails a
test instead of aborting the suite. Each test loads the good tiny extract first
(fixture good_db) and checks the refused load left it served (test_bad_input.refused).
Line numbers are read off tests/data/tiny_load (header = line 1; O1 is line 2 of
opportunities.csv, P1 line 2 of people.csv).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_bad_input import edit, find, refused

from gtm.load import bounds, store
from gtm.load.loader import load
from perf import hostile

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
CAMPAIGNS = [["campaign_id", "name", "channel", "demand_type", "start_date", "end_date"],
             ["C1", "Search Q1", "paid_search", "Harvest", "2025-01-01", "2025-03-31"],
             ["C2", "Summit", "events", "create", "2025-01-06", "2025-01-07"]]
BOMB_TEXT = ("sheet Sheet1: its cells reach column XFD, 16,384 columns (it declares "
             "A1:XFD1048576); the bound is 5,000 columns")


def run(*args: str) -> subprocess.CompletedProcess:
    """A child Python: a crash (SIGABRT on a 512 GiB allocation) is an exit code here."""
    done = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode >= 0, f"the process was killed by signal {-done.returncode}"
    return done


def cli_load(folder: Path, db: Path) -> subprocess.CompletedProcess:
    """`python -m gtm load DIR` as a user types it (the source is detected)."""
    return run("-m", "gtm", "load", str(folder), "--db", str(db), "--quiet")


def bomb(folder: Path, **kwargs) -> Path:
    (folder / "campaigns.xlsx").unlink(missing_ok=True)
    return hostile.xlsx(folder / "campaigns.xlsx", CAMPAIGNS, **kwargs)


# --- 1. the xlsx bomb -------------------------------------------------------------------

def test_the_xlsx_bomb_is_refused_by_the_cli_and_the_process_survives(good_db, tiny_load_dir):
    db, first = good_db
    path = bomb(tiny_load_dir)
    assert path.stat().st_size < 2048  # the 1.5 KB file of the report
    done = cli_load(tiny_load_dir, db)
    assert done.returncode == 1
    assert f"error: campaigns.xlsx: {BOMB_TEXT}" in done.stderr
    assert store.current_version(db) == first.version.resolve()


@pytest.mark.parametrize("far, declared, text", [
    ("XFD2", "A1:F3", "its cells reach column XFD, 16,384 columns (it declares A1:F3)"),
    ("Z1048576", None, "its cells reach Z1048576, a grid of 27,262,976 cells; the bound is "
                       "20,000,000 cells"),
])
def test_the_real_cells_are_bounded_whatever_the_file_declares(good_db, tiny_load_dir, far,
                                                               declared, text):
    bomb(tiny_load_dir, far=far, declared=declared)
    m = find(refused(good_db, tiny_load_dir), "campaigns.xlsx", None, None)
    assert text in m.text


def test_a_dimension_larger_than_the_cells_is_read(good_db, tiny_load_dir):
    """The dimension tag is a claim; the cells decide (this sheet is fine)."""
    bomb(tiny_load_dir, far=None, declared="A1:XFD1048576")
    result = load(tiny_load_dir, good_db[0])
    assert result.ok and result.row_counts["campaigns"] == 2


def test_the_export_reader_bounds_the_xlsx_too(tmp_path):
    """gtm/importers/read.py (Salesforce, HubSpot, mapped exports), in a child process."""
    path = hostile.xlsx(tmp_path / "Account.xlsx", [["Id", "Name"], ["001", "Acme"]])
    done = run("-c", "import sys; from pathlib import Path; from gtm.importers.read import "
               "read_export\ntry:\n    read_export(Path(sys.argv[1]))\nexcept ValueError as e:"
               "\n    print('refused:', e)", str(path))
    assert done.returncode == 0, done.stderr
    assert "refused: sheet Sheet1: its cells reach column XFD, 16,384 columns" in done.stdout


def test_the_xlsx_bomb_uploaded_on_the_data_page(good_db, tiny_load_dir, monkeypatch, tmp_path):
    """Preview and load refuse it; the page keeps its uploader; no staging folder stays."""
    db, first = good_db
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    bomb(tiny_load_dir)
    at = upload_and_load(data_page(db, monkeypatch), tiny_load_dir)
    problems = pd_text(at)
    assert BOMB_TEXT in problems
    assert at.file_uploader  # the fix can be uploaded from the browser
    assert store.current_version(db) == first.version.resolve()
    assert list(private.iterdir()) == []  # no targetline-preview-* / -upload-* left


@pytest.mark.parametrize("variant, where, text", [
    ("50 MB lost_reason on the first deal", ("opportunities.csv", 2, "lost_reason"),
     "the row is 50 MB long"),
    ("created_date 0001-01-01", ("people.csv", 2, "created_date"), "'0001-01-01' is outside"),
    ("amount 1e309", ("opportunities.csv", 2, "amount"), "'1e309' is out of range"),
    ("offset +99:99", ("people.csv", 2, "created_date"), "has an impossible time-zone offset"),
])
def test_hostile_values_uploaded_on_the_data_page(good_db, tiny_load_dir, monkeypatch,
                                                  tmp_path, variant, where, text):
    db, first = good_db
    folder = hostile.hostile_copy(tiny_load_dir, tmp_path / "hostile", variant)
    at = upload_and_load(data_page(db, monkeypatch), folder)
    problems = next(df.value for df in at.dataframe if "problem" in df.value.columns)
    hits = problems[(problems["file"] == where[0])  # lines are text: 'n/a' when none
                    & (problems["line"].astype(str) == str(where[1]))
                    & (problems["column"] == where[2])]
    assert len(hits) and text in hits["problem"].iloc[0], problems.to_string()
    assert store.current_version(db) == first.version.resolve()


def data_page(db: Path, monkeypatch) -> AppTest:
    """The Data page in AppTest. Under AppTest, Streamlit's pages-directory flag is set on
    every run, so ui.data_access.require_frame would rerun each one, dropping a button's
    click; the browser (test_upload_hostile.py) runs it as served."""
    import ui.data_access
    import ui.state

    for module in (ui.data_access, ui.state):
        monkeypatch.setattr(module, "require_frame", lambda: None)
    monkeypatch.setenv("TARGETLINE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def upload_and_load(at: AppTest, folder: Path) -> AppTest:
    """Upload every file of folder (the source detected), click Check and load: refused."""
    at.file_uploader[0].set_value([(p.name, p.read_bytes(), "application/octet-stream")
                                   for p in sorted(folder.iterdir())])
    at.run()
    next(b for b in at.button if b.label == "Check and load").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Load refused" in at.error[0].value
    return at


def pd_text(at: AppTest) -> str:
    return "\n".join(df.value.to_csv(index=False) for df in at.dataframe)


# --- 2. long cells: loaded, or refused by line and column, never dropped ------------------

def test_a_50_mb_cell_on_the_first_deal_is_refused_by_line_and_column(good_db, tiny_load_dir):
    """It used to vanish: 4,116 of 4,117 deals loaded, the load accepted."""
    hostile.set_cell(tiny_load_dir / "opportunities.csv", 2, "lost_reason", "x" * (50 << 20))
    done = cli_load(tiny_load_dir, good_db[0])
    assert done.returncode == 1
    assert ("error: opportunities.csv, line 2, column lost_reason: the row is 50 MB long (50 MB "
            "in this column); rows of up to 8 MB are read") in done.stderr
    assert store.current_version(good_db[0]) == good_db[1].version.resolve()


def test_a_3_mb_cell_loads_whole(good_db, tiny_load_dir):
    """It used to be refused with "'NoneType' object has no attribute 'lower'"."""
    hostile.set_cell(tiny_load_dir / "opportunities.csv", 4, "lost_reason", "y" * (3 << 20))
    result = load(tiny_load_dir, good_db[0])
    assert result.ok, [str(e) for e in result.errors]
    assert result.row_counts["opportunities"] == 3
    with store.connect(good_db[0]) as con:
        assert con.execute("select max(length(lost_reason)) from opportunities"
                           ).fetchall() == [(3 << 20,)]


@pytest.mark.parametrize("value, line, text", [
    ("z" * (9 << 20), 3, "the row is 9 MB long (9 MB in this column)"),  # DuckDB rejects it
    ('"' + ("q" * 999 + "\n") * 40_000 + '"', 2, "the row is 38.1 MB long"),  # spans lines
])
def test_rows_over_the_bound_are_named_once(good_db, tiny_load_dir, value, line, text):
    """The value becomes the row's last column (lost_reason, empty in the fixture)."""
    path = tiny_load_dir / "opportunities.csv"
    lines = path.read_text().splitlines()
    lines[line - 1] += value
    path.write_text("\n".join(lines) + "\n")
    result = refused(good_db, tiny_load_dir)
    mine = [m for m in result.errors if m.file == "opportunities.csv"]
    assert len(mine) == 1, [str(m) for m in mine]  # not one message per physical line
    assert (mine[0].line, mine[0].column) == (line, "lost_reason")
    assert text in mine[0].text


def test_a_row_lost_for_another_reason_is_still_counted(good_db, tiny_load_dir):
    """The last safety net: rows found in the file but neither read nor rejected."""
    with open(tiny_load_dir / "opportunities.csv", "a") as fh:
        fh.write('O4,A1,2025-01-25,,Closed Won,1,2025-03-15,1,y,email,,,"never closed\n')
    result = refused(good_db, tiny_load_dir)
    assert any(m.file == "opportunities.csv" and m.line == 5 for m in result.errors), \
        [str(m) for m in result.errors]


def test_a_header_line_over_the_bound(good_db, tiny_load_dir):
    path = tiny_load_dir / "people.csv"
    path.write_text("person_id," + "c" * (bounds.MAX_HEADER_BYTES + 10) + "\nP1,x\n")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 1, None)
    assert m.text.startswith("the first line (the header) is longer than 1 MB")


# --- 4. dates, numbers and offsets that parse but cannot be meant --------------------------

DATE_TEXT = ("is outside the plausible dates (1900-01-01 to 2100-12-31); correct the year, or "
             "leave the value empty when there is no date")


@pytest.mark.parametrize("file, old, new, line, column, text", [
    ("people.csv", "P4,,2025-02-10", "P4,,0001-01-01", 5, "created_date",
     f"'0001-01-01' {DATE_TEXT}"),
    ("people.csv", "P4,,2025-02-10", "P4,,1899-12-31", 5, "created_date",
     f"'1899-12-31' {DATE_TEXT}"),
    ("arr.csv", "A1,2025-04-01", "A1,9999-12-01", 3, "month", f"'9999-12-01' {DATE_TEXT}"),
    ("opportunities.csv", "Discovery,20000,", "Discovery,1e309,", 3, "amount",
     "'1e309' is out of range: a number must be finite and below 1,000,000,000,000,000 in size"),
    ("accounts.csv", "Mid-Market,1,,carol", "Mid-Market,1,-1e400,carol", 4, "fit_score",
     "'-1e400' is out of range"),
    ("accounts.csv", "Software,250,", "Software,100000000000000000000,", 2, "employees",
     "'100000000000000000000' is out of range"),  # was "the load failed: Conversion Error"
    ("people.csv", "2025-02-01T01:00:00+02:00", "2025-02-01T01:00:00+99:99", 4, "created_date",
     "'2025-02-01T01:00:00+99:99' has an impossible time-zone offset; offsets run from -14:00 "
     "to +14:00"),
    ("people.csv", "2025-02-01T01:00:00+02:00", "2025-02-01T01:00:00-1430", 4, "created_date",
     "has an impossible time-zone offset"),
])
def test_implausible_values_are_refused_by_line_and_column(good_db, tiny_load_dir, file, old,
                                                           new, line, column, text):
    edit(tiny_load_dir, file, old, new)
    m = find(refused(good_db, tiny_load_dir), file, line, column)
    assert text in m.text


def test_the_edges_of_the_plausible_range_load(good_db, tiny_load_dir):
    edit(tiny_load_dir, "people.csv", "P4,,2025-02-10", "P4,,1900-01-01")
    edit(tiny_load_dir, "people.csv", "2025-02-01T01:00:00+02:00", "2025-02-01T01:00:00+14:00")
    edit(tiny_load_dir, "arr.csv", "A1,2025-04-01", "A1,2100-12-01")
    assert load(tiny_load_dir, good_db[0]).ok


def test_an_implausible_date_in_an_export_names_the_export(tmp_path):
    """Salesforce Data Loader files: the importers' date reader has the same range and
    refuses +99:99 instead of crashing on it."""
    from gtm.importers import convert

    folder = tmp_path / "sf"
    import shutil

    shutil.copytree(REPO / "tests" / "data" / "salesforce_api", folder)
    hostile.set_cell(folder / "extract.csv", 2, "CreatedDate", "0001-02-15T10:00:00.000+0000")
    hostile.set_cell(folder / "extract.csv", 3, "CreatedDate", "2024-03-20T09:30:00.000+9999")
    result = convert(folder, tmp_path / "out")
    assert not result.ok
    texts = {(m.file, m.line, m.column): m.text for m in result.errors}
    assert DATE_TEXT in texts[("extract.csv", 2, "CreatedDate")]
    assert "impossible time-zone offset" in texts[("extract.csv", 3, "CreatedDate")]


def test_a_far_future_date_is_refused_by_the_loader_in_the_exports_terms(tmp_path, good_db):
    """9999-12-31 passes the importers' reader (in an end date it means "no end"), so the
    loader refuses it in a created date, and the import names the export's line and column."""
    import shutil

    from gtm.importers import import_and_load

    folder = tmp_path / "sf"
    shutil.copytree(REPO / "tests" / "data" / "salesforce_api", folder)
    hostile.set_cell(folder / "extract.csv", 2, "CreatedDate", "9999-12-31T10:00:00.000+0000")
    _, result = import_and_load(folder, good_db[0])
    assert not result.ok
    texts = {(m.file, m.line, m.column): m.text for m in result.errors}
    assert f"'9999-12-31T10:00:00' {DATE_TEXT}" in texts[("extract.csv", 2, "CreatedDate")]


def test_an_open_ended_end_date_loads(good_db, tiny_load_dir):
    """currency_rates.end_date: Salesforce's DatedConversionRate writes 9999-12-31 for the
    rate in force; a date before 1900 is still refused."""
    rates = tiny_load_dir / "currency_rates.csv"
    rates.write_text("currency,rate,start_date,end_date\nEUR,0.9,2024-01-01,1899-12-31\n")
    m = find(refused(good_db, tiny_load_dir), "currency_rates.csv", 2, "end_date")
    assert m.text == f"'1899-12-31' {DATE_TEXT}"
    rates.write_text("currency,rate,start_date,end_date\nEUR,0.9,2024-01-01,9999-12-31\n")
    assert load(tiny_load_dir, good_db[0]).ok


# --- 4 and 11. contradictory rows and ids that differ only in case: warnings ------------

def test_contradictory_rows_are_warnings_with_file_line_and_column(good_db, tiny_load_dir):
    edit(tiny_load_dir, "opportunities.csv", "2025-06-30,0,n", "2025-06-30,0,y")  # O2, line 3
    edit(tiny_load_dir, "opportunities.csv", "Closed Lost,10000,2025-03-20",
         "Closed Lost,10000,2025-01-20")  # O3 (line 4) closes before it was created
    edit(tiny_load_dir, "arr.csv", "A1,2025-04-01", "A1,2025-04-15")  # line 3
    edit(tiny_load_dir, "spend.csv", "2025-01-01,Sales,", "2025-01-31,Sales,")  # line 3
    edit(tiny_load_dir, "accounts.csv", "A3,Gamma", "a1,Gamma")  # line 4
    result = load(tiny_load_dir, good_db[0])
    assert result.ok
    warned = {(m.file, m.line, m.column): m.text for m in result.warnings}
    assert warned[("opportunities.csv", 3, "is_won")].startswith(
        "'y' says won but is_closed is '0': the deal counts as won and as open pipeline")
    assert warned[("opportunities.csv", 4, "close_date")].startswith(
        "'2025-01-20' is before the created_date '2025-02-15'")
    assert warned[("arr.csv", 3, "month")].startswith(
        "'2025-04-15' is not the first day of a month")
    assert warned[("spend.csv", 3, "month")].startswith(
        "'2025-01-31' is not the first day of a month")
    assert warned[("accounts.csv", 4, "account_id")].startswith(
        "'a1' and 'A1' differ only in letter case: they are kept as two different "
        "account_id values")


def test_import_warnings_name_the_export_file_line_and_column(tmp_path, good_db):
    """canonical.explain re-addresses the loader's warnings to the user's export."""
    import shutil

    from gtm.importers import import_and_load

    folder = tmp_path / "sf"
    shutil.copytree(REPO / "tests" / "data" / "salesforce_api", folder)
    rows = hostile.csv_rows(folder / "extract.csv")
    line = next(i for i, r in enumerate(rows, start=1) if r[7] == "false")  # an open deal
    hostile.set_cell(folder / "extract.csv", line, "IsWon", "true")
    _, result = import_and_load(folder, good_db[0])
    assert result.ok, [str(e) for e in result.errors]
    hits = [m for m in result.warnings if "says won but is_closed" in m.text]
    assert [(m.file, m.line, m.column) for m in hits] == [("extract.csv", line, "IsWon")]
