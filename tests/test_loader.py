"""The loader on good input: tests/data/tiny_load through the real loader into DuckDB.

Expected values are read off tests/data/tiny_load/*.csv (see its README.md).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import duckdb
import pytest

from gtm.contract import TABLES
from gtm.load import store
from gtm.load.loader import LoadResult, Message, load


def q(db, sql, params=None):
    with store.connect(db) as con:
        return con.execute(sql, params or {}).fetchall()


def test_every_table_is_loaded_with_its_row_count(good_db):
    db, result = good_db
    expected = {"accounts": 3, "people": 4, "touches": 5, "campaigns": 2, "spend": 3,
                "opportunities": 3, "opportunity_stages": 4, "stages": 4,
                "opportunity_contacts": 2, "arr": 2, "signups": 2, "currency_rates": 0}
    assert result.row_counts == expected
    for table, rows in expected.items():
        assert q(db, f"select count(*) from {table}")[0][0] == rows  # noqa: S608
    assert store.current_version(db) == result.version.resolve()


def test_column_types_follow_the_contract(good_db):
    db, _ = good_db
    rows = q(db, "select table_name, column_name, data_type from information_schema.columns "
                 "where table_schema = 'main'")
    actual = {(t, c): d.lower() for t, c, d in rows}
    for table in TABLES.values():
        for col in table.columns:
            assert actual[(table.name, col.name)] == col.sql_type, (table.name, col.name)


def test_headers_match_case_insensitively_after_trimming(good_db):
    db, result = good_db
    # " Account_ID ", "Annual Revenue", "Is Target" are account_id, annual_revenue, is_target
    assert q(db, "select account_id, annual_revenue, employees from accounts order by 1") == [
        ("A1", 1200000.50, 250), ("A2", None, 40), ("A3", 300000.0, None)]


def test_booleans_in_their_common_spellings(good_db):
    db, _ = good_db
    assert q(db, "select is_target from accounts order by account_id") == [
        (True,), (False,), (True,)]  # yes, no, 1
    assert q(db, "select is_closed, is_won from opportunities order by opportunity_id") == [
        (True, True), (False, False), (True, False)]  # 1/y, 0/n, true/f
    assert q(db, "select is_closed, is_won from stages order by sort_order") == [
        (False, False), (False, False), (True, True), (True, False)]  # semicolon file


def test_unknown_column_is_kept_in_the_raw_layer_with_line_numbers(good_db):
    db, result = good_db
    assert q(db, 'select * from raw_accounts order by 1') == [  # line, the id, the extra
        (2, "A1", "alice"), (3, "A2", "bob"), (4, "A3", "carol")]  # the rest is in accounts
    assert any("CRM Owner" in m.text and "raw_accounts" in m.text for m in result.warnings)
    columns = [r[0] for r in q(db, "select column_name from information_schema.columns "
                                   "where table_name = 'accounts'")]
    assert "CRM Owner" not in columns and "crm_owner" not in columns


def test_opportunity_type_defaults_to_new_business_and_codes_are_normalised(good_db):
    db, result = good_db
    assert q(db, "select opportunity_id, type from opportunities order by 1") == [
        ("O1", "new_business"), ("O2", "expansion"), ("O3", "renewal")]
    # Economic Buyer -> economic_buyer; Chief Vibes is not a role -> other (with a warning)
    assert q(db, "select person_id, buying_role from people order by 1") == [
        ("P1", "economic_buyer"), ("P2", "champion"), ("P3", "other"), ("P4", None)]
    assert any(m.column == "buying_role" and "Chief Vibes" in m.text and m.line == 4
               for m in result.warnings)
    assert q(db, "select role from opportunity_contacts order by person_id") == [
        ("economic_buyer",), ("champion",)]
    assert q(db, "select function from spend order by amount") == [
        ("marketing",), ("marketing",), ("sales",)]


def test_dates_and_timestamps_including_offsets_become_utc(good_db):
    db, _ = good_db
    # P3 2025-02-01T01:00:00+02:00 is 2025-01-31 23:00 UTC; P2 keeps its date part
    assert q(db, "select person_id, created_date from people order by 1") == [
        ("P1", date(2025, 1, 5)), ("P2", date(2025, 1, 6)), ("P3", date(2025, 1, 31)),
        ("P4", date(2025, 2, 10))]
    assert q(db, "select min(touch_date), max(touch_date) from touches") == [
        (datetime(2025, 1, 4, 10), datetime(2025, 4, 10, 10))]


def test_xlsx_and_parquet_files_load(good_db):
    db, _ = good_db
    assert q(db, "select campaign_id, demand_type, start_date from campaigns order by 1") == [
        ("C1", "harvest", date(2025, 1, 1)), ("C2", "create", date(2025, 1, 6))]
    assert q(db, "select source_file from dataset_tables where \"table\" in "
                 "('campaigns', 'touches') order by 1") == [("campaigns.xlsx",),
                                                           ("touches.parquet",)]
    # parquet: _line is the row number; xlsx: the sheet row (header is row 1)
    assert q(db, "select min(_line), max(_line) from raw_touches") == [(1, 5)]
    assert q(db, "select min(_line), max(_line) from raw_campaigns") == [(2, 3)]


def test_xlsx_sheet_named_like_the_table_is_chosen_among_several(tiny_load_dir, tmp_path):
    import openpyxl

    book = openpyxl.load_workbook(tiny_load_dir / "campaigns.xlsx")
    book.create_sheet("Notes", 0)["A1"] = "read me first"
    book.save(tiny_load_dir / "campaigns.xlsx")  # sheets: Notes, Campaigns
    result = load(tiny_load_dir, tmp_path / "s.duckdb")
    assert result.ok and result.row_counts["campaigns"] == 2


def test_dangling_references_are_warnings_with_examples(good_db):
    _, result = good_db
    touches = [m for m in result.warnings if m.file == "touches.parquet"
               and m.column == "person_id"]
    assert touches[0].line == 5 and "'P9'" in touches[0].text
    assert "1 row (1 distinct person_id value) reference" in touches[-1].text


def test_dataset_tables_and_meta(good_db, tiny_load_dir):
    db, _ = good_db
    tables = dict((t, (p, r)) for t, p, r in q(db, 'select "table", provided, rows '
                                                   "from dataset_tables"))
    assert set(tables) == set(TABLES) and tables["people"] == (True, 4)
    meta = dict(q(db, "select key, value from dataset_meta"))
    assert meta["as_of"] == "2025-04-10"  # the latest touch (README.md)
    assert meta["currency"] == "USD" and meta["source"] == str(tiny_load_dir)
    assert datetime.fromisoformat(meta["loaded_at"]).tzinfo is not None


def test_optional_file_absent_gives_an_empty_table(tiny_load_dir, tmp_path):
    files = [p for p in tiny_load_dir.iterdir() if p.stem != "signups"]
    db = tmp_path / "x.duckdb"
    result = load(files, db, currency="EUR")
    assert result.ok and result.row_counts["signups"] == 0
    assert q(db, "select provided, rows, source_file from dataset_tables "
                 "where \"table\" = 'signups'") == [(False, 0, None)]
    assert q(db, "select value from dataset_meta where key = 'currency'") == [("EUR",)]
    assert q(db, "select count(*) from information_schema.tables "
                 "where table_name = 'raw_signups'") == [(0,)]


def test_history_records_files_checksums_and_result(good_db, tiny_load_dir):
    db, result = good_db
    (entry,) = store.read_history(db)
    assert entry["result"] == "ok" and entry["version"] == result.version.name
    people = next(f for f in entry["files"] if f["name"] == "people.csv")
    data = (tiny_load_dir / "people.csv").read_bytes()
    assert people["sha256"] == hashlib.sha256(data).hexdigest()
    assert people["bytes"] == len(data) and people["rows"] == 4
    assert entry["row_counts"]["touches"] == 5
    datetime.fromisoformat(entry["when"])


def test_progress_goes_from_zero_to_one(tiny_load_dir, tmp_path):
    seen = []
    load(tiny_load_dir, tmp_path / "p.duckdb", progress=lambda m, f: seen.append((m, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("people.csv" in m for m, _ in seen)


def test_reload_switches_version_while_an_open_reader_keeps_the_old_one(good_db, tiny_load_dir):
    db, first = good_db
    reader = store.connect(db)  # a dashboard session holding the first version
    (tiny_load_dir / "signups.csv").write_text("signup_id,signup_date\nS9,2025-05-01\n")
    second = load(tiny_load_dir, db)
    assert second.ok and second.version != first.version
    assert reader.execute("select count(*) from signups").fetchone() == (2,)
    reader.close()
    assert q(db, "select count(*) from signups") == [(1,)]
    assert len(store.read_history(db)) == 2


def test_latin1_file_loads_with_a_warning(tiny_load_dir, tmp_path):
    (tiny_load_dir / "people.csv").write_bytes(
        (tiny_load_dir / "people.csv").read_bytes().replace(b"VP Eng", "Directeur général"
                                                            .encode("latin-1")))
    db = tmp_path / "l.duckdb"
    result = load(tiny_load_dir, db)
    assert result.ok
    assert q(db, "select title from people where person_id = 'P2'") == [("Directeur général",)]
    assert any(m.file == "people.csv" and "Latin-1" in m.text for m in result.warnings)


def test_utf8_bom_and_crlf_are_accepted(tiny_load_dir, tmp_path):
    text = (tiny_load_dir / "people.csv").read_text()
    (tiny_load_dir / "people.csv").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n")
                                               .encode())
    db = tmp_path / "b.duckdb"
    assert load(tiny_load_dir, db).ok
    assert q(db, "select person_id, channel from people order by 1 limit 1") == [
        ("P1", "paid_search")]


def test_a_file_not_in_the_contract_is_ignored_with_a_warning(tiny_load_dir, tmp_path):
    (tiny_load_dir / "leads_2019.csv").write_text("a,b\n1,2\n")
    result = load(tiny_load_dir, tmp_path / "w.duckdb")
    assert result.ok
    assert any(m.file == "leads_2019.csv" and "ignored" in m.text for m in result.warnings)


def test_message_str_names_file_line_and_column():
    m = Message("error", "people.csv", 14, "mql_date",
                "'2025-02-30' is not a date; expected ISO 8601 like 2025-03-31")
    assert str(m) == ("people.csv, line 14, column mql_date: '2025-02-30' is not a date; "
                      "expected ISO 8601 like 2025-03-31")
    assert str(Message("error", "t.parquet", 3, None, "x")) == "t.parquet, row 3: x"


def test_version_file_is_a_plain_duckdb_database(good_db):
    _, result = good_db
    assert isinstance(result, LoadResult)
    con = duckdb.connect(str(result.version), read_only=True)
    try:
        names = {r[0] for r in con.execute("show tables").fetchall()}
    finally:
        con.close()
    assert {"dataset_meta", "dataset_tables", "raw_people"} <= names
    assert not list(result.version.parent.glob("*.partial"))


@pytest.mark.parametrize("value,expected", [
    ("2025-03-31", date(2025, 3, 31)),
    ("2025-03-31T14:05:00", date(2025, 3, 31)),
    ("2025-03-31 14:05:00", date(2025, 3, 31)),
    ("2025-03-31T23:30:00-05:00", date(2025, 4, 1)),  # 04:30 UTC next day
    ("2025-03-31T14:05:00Z", date(2025, 3, 31)),
])
def test_accepted_date_spellings(tiny_load_dir, tmp_path, value, expected):
    path = tiny_load_dir / "people.csv"
    path.write_text(path.read_text().replace("2025-01-20", value))
    db = tmp_path / "d.duckdb"
    assert load(tiny_load_dir, db).ok
    assert q(db, "select mql_date from people where person_id = 'P1'") == [(expected,)]


# --- money in several currencies (data contract v2) ---------------------------------

def test_amounts_are_converted_with_dated_then_undated_rates(tiny_load_dir, tmp_path):
    (tiny_load_dir / "opportunities.csv").write_text(
        "opportunity_id,account_id,created_date,stage,amount,close_date,is_closed,is_won,"
        "currency\n"
        "O1,A1,2025-01-05,Won,1000,2025-01-20,true,true,EUR\n"  # dated 0.8: 1,250
        "O2,A1,2025-01-05,Won,1000,2025-03-20,true,true,eur\n"  # undated 0.9: 1,111.11
        "O3,A2,2025-01-05,Open,500,,false,false,\n"  # empty: the dataset currency
        "O4,A2,2025-01-05,Open,500,,false,false,USD\n")
    (tiny_load_dir / "currency_rates.csv").write_text(
        "currency,rate,start_date,end_date\nEUR,0.9,,\nEUR,0.8,2025-01-01,2025-02-01\n"
        "USD,1,,\n")
    (tiny_load_dir / "spend.csv").write_text(
        "month,function,channel,amount,currency\n2025-01-01,marketing,events,900,EUR\n")
    db = tmp_path / "m.duckdb"
    result = load(tiny_load_dir, db)
    assert result.ok, [str(m) for m in result.errors]
    assert result.currency == "USD"
    assert [(o, round(a, 2)) for o, a in q(db, "select opportunity_id, amount from "
                                           "opportunities order by 1")] == [
        ("O1", 1250.0), ("O2", 1111.11), ("O3", 500.0), ("O4", 500.0)]
    assert q(db, "select amount from spend") == [(1125.0,)]  # 900 EUR in January: / 0.8
    assert q(db, "select amount_as_written, currency_as_written from raw_spend") == [
        ("900", "EUR")]
    eur = load(tiny_load_dir, tmp_path / "e.duckdb", currency="EUR")  # a cross rate
    assert eur.ok and q(tmp_path / "e.duckdb", "select opportunity_id, amount from "
                        "opportunities where opportunity_id in ('O1', 'O4') order by 1") == [
        ("O1", 1000.0), ("O4", 400.0)]  # 500 USD x 0.8 (no close date: created 2025-01-05)


def test_several_currencies_without_rates_and_bad_rates_are_refused(tiny_load_dir, tmp_path):
    (tiny_load_dir / "spend.csv").write_text(
        "month,function,channel,amount,currency\n2025-01-01,marketing,events,900,EUR\n"
        "2025-02-01,marketing,events,100,USD\n")
    result = load(tiny_load_dir, tmp_path / "x.duckdb")
    (m,) = [e for e in result.errors if e.file == "spend.csv"]
    assert m.column == "currency" and "amounts in EUR, USD and no exchange rates" in m.text
    assert not result.skippable  # a whole-file problem: leaving rows out would not fix it
    (tiny_load_dir / "currency_rates.csv").write_text("currency,rate\nEUR,0\n")
    result = load(tiny_load_dir, tmp_path / "x.duckdb")
    assert [(e.file, e.line, e.column) for e in result.errors] == [
        ("currency_rates.csv", 2, "rate")]
    assert "0 is not a rate" in result.errors[0].text and result.skippable
    skipped = load(tiny_load_dir, tmp_path / "x.duckdb", skip_bad_rows=True)
    assert skipped.ok and [(m.file, m.line) for m in skipped.left_out] == [
        ("currency_rates.csv", 2), ("spend.csv", 2)]  # EUR has no rate once 0 is left out


def test_one_currency_without_rates_becomes_the_dataset_currency(tiny_load_dir, tmp_path):
    (tiny_load_dir / "spend.csv").write_text(
        "month,function,channel,amount,currency\n2025-01-01,marketing,events,900,EUR\n")
    result = load(tiny_load_dir, tmp_path / "x.duckdb")
    assert result.ok and result.currency == "EUR"
    assert q(tmp_path / "x.duckdb", "select value from dataset_meta where key = 'currency'") \
        == [("EUR",)]


def test_skip_bad_rows_leaves_out_and_lists_every_bad_row(tiny_load_dir, tmp_path):
    path = tiny_load_dir / "opportunities.csv"
    text = path.read_text()
    path.write_text(text.replace("Discovery,20000,", 'Discovery,"$20,000",')
                    .replace("O3,A2,", "O3,A9,"))
    db = tmp_path / "s.duckdb"
    refused = load(tiny_load_dir, db)
    assert not refused.ok and refused.skippable
    result = load(tiny_load_dir, db, skip_bad_rows=True)
    assert result.ok and result.row_counts["opportunities"] == 1
    assert [(m.file, m.line, m.column) for m in result.left_out] == [
        ("opportunities.csv", 3, "amount"), ("opportunities.csv", 4, "account_id")]
    assert "'A9' is not a account_id in accounts.csv" in result.left_out[1].text
    assert store.read_history(db)[-1]["left_out"] == {"opportunities": 2}
    (tiny_load_dir / "people.csv").unlink()
    whole = load(tiny_load_dir, db, skip_bad_rows=True)  # a missing file always refuses
    assert not whole.ok and not whole.skippable
