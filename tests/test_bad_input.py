"""Bad input is refused with a message a user can act on, and loses nothing.

Every test loads the good tiny extract first (fixture good_db), then a broken copy,
and checks (1) the message names the file, the line and the column and says what was
expected, and (2) the dataset loaded before is still the one served, unchanged.
Line numbers are read off tests/data/tiny_load/*.csv (header = line 1).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from gtm.load import store
from gtm.load.loader import LoadResult, load

BAD = Path(__file__).parent / "data" / "bad"
REPO = Path(__file__).resolve().parent.parent


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text, f"fixture drifted: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1))


def refused(good_db, folder: Path) -> LoadResult:
    """Load folder into the good db; it must be refused and change nothing."""
    db, first = good_db
    before = store.current_version(db)
    result = load(folder, db)
    assert not result.ok and result.errors and result.version is None
    assert store.current_version(db) == before == first.version.resolve()
    with store.connect(db) as con:
        assert con.execute("select count(*) from people").fetchall() == [(4,)]
        assert con.execute("select count(*) from touches").fetchall() == [(5,)]
    versions = store.versions_dir(db)
    assert sorted(p.name for p in versions.iterdir()) == [first.version.name]
    assert store.read_history(db)[-1]["result"] == "refused"
    return result


def find(result: LoadResult, file: str, line, column):
    hits = [m for m in result.errors if (m.file, m.line, m.column) == (file, line, column)]
    assert hits, [str(m) for m in result.errors]
    return hits[0]


def test_missing_required_file(good_db, tiny_load_dir):
    (tiny_load_dir / "people.csv").unlink()
    m = find(refused(good_db, tiny_load_dir), "people.csv", None, None)
    assert "required file is missing" in m.text and "person_id" in m.text


def test_missing_required_column_names_the_columns_found(good_db, tiny_load_dir):
    edit(tiny_load_dir, "people.csv", "created_date,channel,", "created_date,source,")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 1, "channel")
    assert "required column channel is missing" in m.text
    assert "the header has: person_id, account_id, created_date, source" in m.text


@pytest.mark.parametrize("value", ["2025-02-30", "31/03/2025", "2025-3-1", "soon"])
def test_value_that_is_not_a_date(good_db, tiny_load_dir, value):
    # P2 is on line 3 of people.csv
    edit(tiny_load_dir, "people.csv", "VP Eng,champion,,", f"VP Eng,champion,{value},")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 3, "mql_date")
    assert str(m) == (f"people.csv, line 3, column mql_date: '{value}' is not a date; "
                      "expected ISO 8601 like 2025-03-31")


def test_money_with_currency_symbol_and_thousands_separator(good_db, tiny_load_dir):
    # O2 is on line 3 of opportunities.csv
    edit(tiny_load_dir, "opportunities.csv", "Discovery,20000,", 'Discovery,"$20,000",')
    m = find(refused(good_db, tiny_load_dir), "opportunities.csv", 3, "amount")
    assert m.text == ("'$20,000' is not a plain number; write 1200.50, without currency "
                      "symbol or thousands separator")


def test_value_that_is_not_a_number(good_db, tiny_load_dir):
    edit(tiny_load_dir, "accounts.csv", "Software,250,", "Software,many,")
    m = find(refused(good_db, tiny_load_dir), "accounts.csv", 2, "employees")
    assert "'many' is not a whole number" in m.text


def test_value_that_is_not_a_boolean(good_db, tiny_load_dir):
    edit(tiny_load_dir, "opportunities.csv", "10000,2025-03-20,true,f,", "10000,2025-03-20,true,maybe,")
    m = find(refused(good_db, tiny_load_dir), "opportunities.csv", 4, "is_won")
    assert "'maybe' is not a boolean; expected true/false, yes/no, 1/0" in m.text


def test_negative_amount(good_db, tiny_load_dir):
    edit(tiny_load_dir, "spend.csv", "Sales,,,5000", "Sales,,,-5000")
    m = find(refused(good_db, tiny_load_dir), "spend.csv", 3, "amount")
    assert m.text == "-5000 is negative; expected an amount of 0 or more"


def test_duplicate_id_names_both_lines_and_the_count(good_db, tiny_load_dir):
    edit(tiny_load_dir, "people.csv", "P4,,2025-02-10", "P1,,2025-02-10")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 5, "person_id")
    assert m.text == ("'P1' appears 2 times (first on line 2); person_id must be unique "
                      "(1 duplicated value in all)")


def test_opportunity_whose_account_does_not_exist(good_db, tiny_load_dir):
    edit(tiny_load_dir, "opportunities.csv", "O3,A2,", "O3,A9,")
    result = refused(good_db, tiny_load_dir)
    m = find(result, "opportunities.csv", 4, "account_id")
    assert "'A9' is not a account_id in accounts.csv" in m.text
    count = find(result, "opportunities.csv", None, "account_id")
    assert count.text == ("1 row (1 distinct account_id value) reference no row of "
                          "accounts.csv")


def test_empty_file(good_db, tiny_load_dir):
    (tiny_load_dir / "accounts.csv").write_text("")
    m = find(refused(good_db, tiny_load_dir), "accounts.csv", 1, None)
    assert "the file is empty; expected a header line naming the columns (account_id" in m.text


def test_header_only_file_for_a_required_table(good_db, tiny_load_dir):
    path = tiny_load_dir / "people.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 2, None)
    assert "has a header but no rows; expected at least one data row" in m.text


def test_ragged_rows_are_reported_by_line(good_db, tiny_load_dir):
    shutil.copy(BAD / "ragged" / "people.csv", tiny_load_dir / "people.csv")
    result = refused(good_db, tiny_load_dir)
    too_many = find(result, "people.csv", 3, None)
    assert "more values than the header's 9 columns" in too_many.text
    too_few = find(result, "people.csv", 5, "channel")  # first missing value
    assert "fewer values than the header's 9 columns" in too_few.text


def test_required_value_empty(good_db, tiny_load_dir):
    edit(tiny_load_dir, "people.csv", "+02:00,content,", "+02:00,,")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 4, "channel")
    assert m.text == "is empty; channel is required on every row"


def test_unknown_spend_function(good_db, tiny_load_dir):
    edit(tiny_load_dir, "spend.csv", "2025-01-01,Sales,", "2025-01-01,opex,")
    m = find(refused(good_db, tiny_load_dir), "spend.csv", 3, "function")
    assert "'opex' (1 rows) is not a spend function; expected marketing or sales" in m.text


def test_lines_are_real_lines_despite_multiline_values_and_blank_lines(good_db, tiny_load_dir):
    shutil.copy(BAD / "multiline" / "people.csv", tiny_load_dir / "people.csv")
    m = find(refused(good_db, tiny_load_dir), "people.csv", 7, "mql_date")
    assert "'not a date' is not a date" in m.text


def test_many_bad_values_list_five_and_count_all(good_db, tiny_load_dir):
    path = tiny_load_dir / "arr.csv"
    path.write_text("account_id,month,arr\n" + "".join(f"A1,2025-{m:02d}-01,x{m}\n"
                                                      for m in range(1, 9)))
    result = refused(good_db, tiny_load_dir)
    lines = [m.line for m in result.errors if m.file == "arr.csv" and m.column == "arr"]
    assert lines == [2, 3, 4, 5, 6, None]
    assert result.errors[-1].text.startswith("8 rows in all have this problem")


def test_xlsx_with_several_sheets_none_named_like_the_table(good_db, tiny_load_dir):
    book = openpyxl.load_workbook(tiny_load_dir / "campaigns.xlsx")
    book.active.title = "Sheet1"
    book.create_sheet("Notes")
    book.save(tiny_load_dir / "campaigns.xlsx")
    m = find(refused(good_db, tiny_load_dir), "campaigns.xlsx", None, None)
    assert m.text == "has 2 sheets (Sheet1, Notes); expected one sheet, or one named campaigns"


def test_xlsx_bad_value_names_the_sheet_row(good_db, tiny_load_dir):
    book = openpyxl.load_workbook(tiny_load_dir / "campaigns.xlsx")
    book.active["E3"] = "next week"  # C2's start_date, sheet row 3
    book.save(tiny_load_dir / "campaigns.xlsx")
    m = find(refused(good_db, tiny_load_dir), "campaigns.xlsx", 3, "start_date")
    assert "'next week' is not a date" in m.text


def test_two_files_for_one_table(good_db, tiny_load_dir):
    shutil.copy(tiny_load_dir / "people.csv", tiny_load_dir / "People.CSV")
    result = refused(good_db, tiny_load_dir)
    assert any("a second file for table people" in m.text for m in result.errors)


def test_killed_load_leaves_the_current_dataset(good_db, tiny_load_dir):
    """SIGKILL halfway through a load: the link still points at the good version."""
    db, first = good_db
    big = tiny_load_dir / "touches.csv"
    (tiny_load_dir / "touches.parquet").unlink()
    import duckdb

    duckdb.execute(
        "copy (select 'P1' as person_id, '2025-01-01T00:00:00' as touch_date, 'email' as "
        "channel, null as campaign_id, 'web_visit' as touch_type from range(3000000)) "
        "to '" + str(big).replace("'", "''") + "' (header)")
    script = ("import sys; from pathlib import Path; from gtm.load.loader import load; "
              "load(Path(sys.argv[1]), Path(sys.argv[2]), "
              "progress=lambda m, f: print(m, flush=True))")
    proc = subprocess.Popen([sys.executable, "-c", script, str(tiny_load_dir), str(db)],
                            cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if "touches.csv" in line:
                break
        time.sleep(0.3)
        partials = list(store.versions_dir(db).glob("*.partial"))
        assert proc.poll() is None, "the load finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert partials, "no partial version was being written when the load was killed"
    assert store.current_version(db) == first.version.resolve()
    with store.connect(db) as con:
        assert con.execute("select count(*) from touches").fetchall() == [(5,)]
    # the next load cleans up what the killed one left behind
    (tiny_load_dir / "touches.csv").unlink()
    assert load(tiny_load_dir, db).ok
    assert not list(store.versions_dir(db).glob("*.partial*"))
