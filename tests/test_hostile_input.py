"""The catalogue of bad inputs: each is refused (or read) with a message naming the file,
the line and the column and saying what was expected, and the dataset loaded before is
still the one served, unchanged.

Kinds already covered by tests/test_bad_input.py (same fixtures and the same `refused`
check: previous version still published, same row counts, no new version file, the
refusal in the load history), reused rather than repeated:

| kind                                  | test in tests/test_bad_input.py                      |
|---------------------------------------|------------------------------------------------------|
| ragged rows                           | test_ragged_rows_are_reported_by_line                |
| a header only                         | test_header_only_file_for_a_required_table           |
| an empty file                         | test_empty_file                                      |
| impossible dates (2025-02-30), shapes | test_value_that_is_not_a_date                        |
| currency symbol, thousands separator  | test_money_with_currency_symbol_and_thousands_separator |
| negative spend                        | test_negative_amount                                 |
| duplicate ids                         | test_duplicate_id_names_both_lines_and_the_count     |
| dangling references                   | test_opportunity_whose_account_does_not_exist        |
| an XLSX with several sheets           | test_xlsx_with_several_sheets_none_named_like_the_table |
| a load killed halfway                 | test_killed_load_leaves_the_current_dataset          |
| multi-line values, blank lines        | test_lines_are_real_lines_despite_multiline_values_and_blank_lines |

Added here: a wrong delimiter, a BOM, Latin-1 text, dates in mixed formats in one
column, leap days, European and spaced amounts, a file over the upload limit, and
zips with unexpected members or paths that climb out of the staging folder.
Line numbers are read off tests/data/tiny_load/people.csv (header = line 1; P1 is
line 2, P2 line 3, P3 line 4, P4 line 5).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from test_bad_input import edit, find, refused

from gtm.load import store
from gtm.load.loader import load
from ui.upload import MB, stage

PEOPLE_HEADER = ("person_id,account_id,created_date,channel,title,buying_role,mql_date,"
                 "disqualified_date,disqualified_reason")


def test_wrong_delimiter_is_named_with_the_header_found(good_db, tiny_load_dir):
    # a colon is not one of , ; tab | so the whole header is one unknown column
    path = tiny_load_dir / "people.csv"
    path.write_text(path.read_text().replace(",", ":"))
    m = find(refused(good_db, tiny_load_dir), "people.csv", 1, "person_id")
    assert m.text.startswith("required column person_id is missing; the header has: "
                             "person_id:account_id:created_date")


def test_semicolon_file_is_read_and_its_errors_keep_their_lines(good_db, tiny_load_dir):
    path = tiny_load_dir / "people.csv"
    text = path.read_text().replace(",", ";").replace("VP Eng;champion;;", "VP Eng;champion;x;")
    path.write_text(text)
    m = find(refused(good_db, tiny_load_dir), "people.csv", 3, "mql_date")
    assert m.text == "'x' is not a date; expected ISO 8601 like 2025-03-31"


def test_bom_is_not_part_of_the_first_column_name(good_db, tiny_load_dir):
    path = tiny_load_dir / "people.csv"
    text = path.read_text().replace("VP Eng,champion,,", "VP Eng,champion,2025-02-30,")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = refused(good_db, tiny_load_dir)
    m = find(result, "people.csv", 3, "mql_date")
    assert "'2025-02-30' is not a date" in m.text
    assert not any("person_id is missing" in e.text for e in result.errors)


def test_a_bom_file_loads(good_db, tiny_load_dir):
    db, _ = good_db
    path = tiny_load_dir / "people.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = load(tiny_load_dir, db)
    assert result.ok and result.row_counts["people"] == 4


def test_latin1_text_is_read_with_a_warning_and_errors_keep_lines(good_db, tiny_load_dir):
    path = tiny_load_dir / "people.csv"
    text = path.read_text().replace("VP Eng,champion,,", "Directrice générale,champion,31/03/2025,")
    path.write_bytes(text.encode("latin-1"))
    result = refused(good_db, tiny_load_dir)
    m = find(result, "people.csv", 3, "mql_date")
    assert m.text == "'31/03/2025' is not a date; expected ISO 8601 like 2025-03-31"
    warning = next(w for w in result.warnings if w.file == "people.csv")
    assert "not UTF-8 encoded; read as Latin-1" in warning.text


def test_dates_in_mixed_formats_name_every_line(good_db, tiny_load_dir):
    path = tiny_load_dir / "people.csv"
    path.write_text(PEOPLE_HEADER + "\n"
                    "P1,A1,2025-01-05,paid_search,CFO,,,,\n"       # line 2: ISO, fine
                    "P2,A1,03/31/2025,events,,,,,\n"               # line 3: US
                    "P3,A2,31.03.2025,content,,,,,\n"              # line 4: German
                    "P4,,2025-02-10,unknown,,,,,\n"                # line 5: ISO, fine
                    "P5,,Mar 3 2025,unknown,,,,,\n")               # line 6: words
    result = refused(good_db, tiny_load_dir)
    lines = [m.line for m in result.errors
             if m.file == "people.csv" and m.column == "created_date"]
    assert lines == [3, 4, 6]
    assert find(result, "people.csv", 6, "created_date").text == (
        "'Mar 3 2025' is not a date; expected ISO 8601 like 2025-03-31")


@pytest.mark.parametrize("value, ok", [("2024-02-29", True), ("2025-02-29", False),
                                       ("2025-13-01", False), ("2025-04-31", False)])
def test_leap_days_and_impossible_calendar_dates(good_db, tiny_load_dir, value, ok):
    edit(tiny_load_dir, "people.csv", "VP Eng,champion,,", f"VP Eng,champion,{value},")
    if ok:
        assert load(tiny_load_dir, good_db[0]).ok
    else:
        m = find(refused(good_db, tiny_load_dir), "people.csv", 3, "mql_date")
        assert m.text == f"'{value}' is not a date; expected ISO 8601 like 2025-03-31"


PLAIN = "is not a plain number; write 1200.50, without currency symbol or thousands separator"


@pytest.mark.parametrize("amount, text", [
    ('"€1.200,50"', f"'€1.200,50' {PLAIN}"), ("1 200", f"'1 200' {PLAIN}"),
    ("5000$", f"'5000$' {PLAIN}"),
    ("USD 5000", "'USD 5000' is not a number; expected a plain number like 1200.50"),
])
def test_amounts_written_for_people_not_machines(good_db, tiny_load_dir, amount, text):
    edit(tiny_load_dir, "spend.csv", "Sales,,,5000", f"Sales,,,{amount}")
    m = find(refused(good_db, tiny_load_dir), "spend.csv", 3, "amount")
    assert m.text == text


# --- uploads (ui/upload.py): refused before the loader, so nothing can change ---------

def staged(good_db, files, tmp_path: Path, limit_mb=None) -> list[str]:
    """Stage uploads into a fresh folder; the served dataset must not move."""
    db, first = good_db
    target = tmp_path / "staging" / "inner"
    target.mkdir(parents=True)
    problems = stage(files, target, limit_mb=limit_mb)
    assert store.current_version(db) == first.version.resolve()
    if problems:
        assert not any(target.iterdir()), "a refused upload must stage nothing"
    assert [p.name for p in (tmp_path / "staging").iterdir()] == ["inner"]  # no climbing
    return problems


def test_a_file_over_the_upload_limit(good_db, tmp_path):
    data = b"person_id\n" + b"P1\n" * (MB // 2)  # 1.5 MB for a 1 MB limit
    problems = staged(good_db, [("people.csv", data)], tmp_path, limit_mb=1)
    assert problems == ["people.csv is 1.5 MB; the upload limit is 1 MB: load it with "
                        "python -m gtm load DIR instead"]


def _zip(members: dict[str, bytes], symlink: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


@pytest.mark.parametrize("member, why", [
    ("../../people.csv", "is not a plain file name"),
    ("/etc/people.csv", "is not a plain file name"),
    ("..\\..\\people.csv", "is not a plain file name"),
    ("C:people.csv", "is not a plain file name"),
    ("extract/people.csv", "is not a plain file name"),
    ("notes.txt", "is not a CSV, XLSX or Parquet file"),
    ("run.py", "is not a CSV, XLSX or Parquet file"),
])
def test_a_zip_with_unexpected_members_or_climbing_paths(good_db, tmp_path, member, why):
    data = _zip({"opportunities.csv": b"opportunity_id\n", member: b"x"})
    problems = staged(good_db, [("extract.zip", data)], tmp_path)
    folders = " (folders and '..' are refused); zip the files themselves, not a folder"
    assert problems == [f"extract.zip: member {member!r} {why}"
                        + (folders if "plain" in why else "")]


def test_a_zip_with_a_symbolic_link(good_db, tmp_path):
    problems = staged(good_db, [("extract.zip", _zip({}, symlink="people.csv"))], tmp_path)
    assert problems == ["extract.zip: member 'people.csv' is a symbolic link"]


def test_a_file_that_is_not_a_zip(good_db, tmp_path):
    problems = staged(good_db, [("extract.zip", b"PK\x03\x04 not really")], tmp_path)
    assert problems == ["'extract.zip' is not a readable zip file"]
