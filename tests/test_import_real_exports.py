"""Real export layouts, each quirk in a fixture small enough to check by hand.

The fixtures reproduce what public Salesforce Data Export folders, Salesforce report
exports and HubSpot exports look like (see each folder's README.md for the arithmetic):
- sf_data_export: a weekly Data Export folder, Latin-1, multi-currency (CurrencyType.csv,
  DatedConversionRate.csv), objects Targetline does not read whose headers would match our
  signatures, header-only files, empty lookups (000000000000000AAA), an MQL field nobody
  fills, a deal without an account;
- sf_report_footer: report CSVs with 'Amount (converted)', US dates decided by the file,
  a 'Grand Totals' row and the footer; the same report as a formatted XLSX (title rows);
- hubspot_contacts_only: a portal whose deals live elsewhere, with spend.csv beside it and
  a tickets export we do not read;
- hubspot_damaged: a contacts export a spreadsheet re-saved (ids in scientific notation,
  two-digit years).
"""

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from gtm import cli
from gtm.filters import Filter, Settings
from gtm.importers import convert, detect, import_and_load
from gtm.importers.read import read_export
from gtm.load import store
from gtm.metrics import compute

DATA = Path(__file__).parent / "data"
EXPORT, REPORT = DATA / "sf_data_export", DATA / "sf_report_footer"
CONTACTS_ONLY, DAMAGED = DATA / "hubspot_contacts_only", DATA / "hubspot_damaged"
Q1_24 = Filter(date(2024, 1, 1), date(2024, 3, 31))
Q1_25 = Filter(date(2025, 1, 1), date(2025, 3, 31))
IGNORED = ["Case.csv", "Contract.csv", "Goal.csv", "Metric.csv", "Order.csv", "Quote.csv",
           "User.csv"]


def loaded(folder: Path, tmp_path: Path, **kw):
    db = tmp_path / f"{folder.name}.duckdb"
    imported, result = import_and_load(folder, db, **kw)
    assert result.ok, [str(m) for m in result.errors]
    return imported, result, db


def figures(db: Path, flt: Filter, settings: Settings | None = None) -> dict:
    with store.connect(db) as con:
        return compute(con, flt, settings or Settings())


def table(db: Path, sql: str):
    with store.connect(db) as con:
        return con.execute(sql).fetchall()


# --- a Salesforce weekly Data Export folder ------------------------------------------

@pytest.fixture(scope="module")
def export_db(tmp_path_factory):
    return loaded(EXPORT, tmp_path_factory.mktemp("export"))


def test_data_export_reads_only_the_objects_it_knows(export_db):
    imported, result, _ = export_db
    assert detect(EXPORT) == "salesforce"
    ignored = sorted(f for f, r in imported.files.items() if r.recognised == "ignored")
    assert ignored == IGNORED  # User.csv has Id, AccountId, LastName: it is still no person
    assert all("does not read" in imported.files[f].reason for f in ignored)
    assert imported.files["CampaignMember.csv"].rows_read == 0  # header-only: normal
    assert result.row_counts["people"] == 4  # 2 contacts + 2 unconverted leads (L3 is C1)
    assert result.row_counts["accounts"] == 2 and result.row_counts["campaigns"] == 1


def test_empty_lookups_and_latin1_text(export_db):
    imported, result, db = export_db
    people = dict(table(db, "select person_id, account_id from people"))
    # unconverted leads have ConvertedContactId 000000000000000AAA: each stays itself
    assert people["00Q8c00000Le1AAAAA"] is None and people["00Q8c00000Le2AAAAA"] is None
    assert table(db, "select created_date from people where person_id = "
                 "'0038c00000Co1AAAAA'") == [(date(2024, 1, 5),)]  # its lead L3, earlier
    assert table(db, "select name from accounts order by 1") == [("Café Lumière",),
                                                                 ("Grupo Norte",)]
    assert any(w.file == "Lead.csv" and "Latin-1" in w.text for w in result.warnings)


def test_every_amount_is_converted_to_the_corporate_currency(export_db):
    _, result, db = export_db
    assert result.currency == "USD"  # CurrencyType IsCorporate
    rows = table(db, "select opportunity_id, currency, amount from opportunities order by 1")
    assert [(c, round(a, 2)) for _, c, a in rows] == [
        ("EUR", 12500.0),  # 10,000 EUR closing 2024-02-15: dated rate 0.8
        ("MXN", 10000.0),  # 180,000 MXN: no dated rate, CurrencyType 18
        ("USD", 5000.0),  # corporate
        ("EUR", 10000.0)]  # 9,000 EUR closing 2024-05-15: dated rate 0.9 from 2024-04-01
    assert table(db, "select amount_as_written, currency_as_written from raw_opportunities "
                 "order by _line limit 1") == [("10000", "EUR")]
    assert table(db, "select round(amount, 2) from spend") == [(2250.0,)]  # 1,800 EUR / 0.8
    assert table(db, "select value from dataset_meta where key = 'currency'") == [("USD",)]
    assert table(db, "select annual_revenue from accounts order by name") == [
        (10_000_000.0,), (20_000_000.0,)]  # 9 M EUR / 0.9, 360 M MXN / 18 (static rates)


def test_headline_figures_of_the_data_export(export_db):
    _, result, db = export_db
    q1 = figures(db, Q1_24)
    assert q1["leads"] == 4  # C1 (01-05 via L3), L1 01-15, C2 02-05, L2 02-20
    assert q1["mqls"] == 0  # MQL_Date__c is in the export but nobody fills it
    assert q1["qualified_opportunities"] == 4
    assert q1["qualified_pipeline"] == pytest.approx(37500)  # not 204,000 "USD"
    assert q1["qualified_win_rate"] == pytest.approx(2 / 3)  # O1, O2 won; O3 lost
    assert q1["new_customers"] == 2  # O3 has no account: counted in pipeline, no customer
    assert q1["marketing_spend"] == pytest.approx(2250) and q1["cpl"] == pytest.approx(562.5)
    (w,) = [m for m in result.warnings if m.column == "AccountId"]
    assert (w.file, w.line) == ("Opportunity.csv", 4) and "no AccountId" in w.text


def test_several_currencies_and_no_rates_are_refused_naming_the_fix(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    (folder / "CurrencyType.csv").unlink()
    (folder / "DatedConversionRate.csv").unlink()
    db = tmp_path / "x.duckdb"
    _, result = import_and_load(folder, db)
    assert not result.ok and store.current_version(db) is None
    m = next(e for e in result.errors if e.file == "Opportunity.csv")
    assert m.column == "CurrencyIsoCode"
    assert "amounts in EUR, MXN, USD and no exchange rates" in m.text
    assert "CurrencyType.csv" in m.text


def test_a_currency_without_a_rate_names_file_line_and_currency(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    path = folder / "Opportunity.csv"
    path.write_bytes(path.read_bytes().replace(b'"5000","2024-03-20","New Business","Web","1",'
                                               b'"0","USD"', b'"5000","2024-03-20","New Busin'
                                               b'ess","Web","1","0","CHF"'))
    _, result = import_and_load(folder, tmp_path / "x.duckdb")
    (m,) = result.errors
    assert (m.file, m.line, m.column) == ("Opportunity.csv", 4, "CurrencyIsoCode")
    assert "CHF has no rate to USD" in m.text
    _, skipped = import_and_load(folder, tmp_path / "x.duckdb", skip_bad_rows=True)
    assert skipped.ok and [(m.file, m.line) for m in skipped.left_out] == [
        ("Opportunity.csv", 4)]


# --- Salesforce report exports: converted amounts, footer, formatted XLSX -----------

def test_report_uses_the_converted_amount_and_drops_the_footer(tmp_path):
    imported, _, db = loaded(REPORT, tmp_path)
    assert imported.files["report1735689600000.csv"].rows_read == 3  # not Grand Totals
    assert imported.files["report1735689611111.csv"].rows_read == 4
    assert table(db, "select amount, created_date from opportunities order by 2") == [
        (11000.0, date(2024, 12, 1)),  # 12/1/2024 is US: 1/15/2025 in Close Date says so
        (6250.0, date(2025, 1, 10)), (3000.0, date(2025, 2, 1))]
    q1 = figures(db, Q1_25)
    assert q1["leads"] == 3 and q1["mqls"] == 2  # 1/6, 1/27, 2/14; MQL 1/13, 2/24
    assert q1["qualified_pipeline"] == pytest.approx(9250)  # 6,250 + 3,000 (not 5,000 GBP)
    assert q1["qualified_win_rate"] == 1.0 and q1["new_customers"] == 2


def _formatted_xlsx(csv_path: Path, out: Path) -> None:
    """The report as Salesforce's 'Formatted Report' XLSX: title rows above the header,
    'Grand Totals' and the footer below."""
    frame = read_export(csv_path).drop(columns="_line")
    book = openpyxl.Workbook()
    sheet = book.active
    for title in (["Opportunities won and open"], ["Filtered By: Close Date = FY2025"],
                  ["As of 3/31/2025 9:00 AM"], []):
        sheet.append(title)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    sheet.append(["Grand Totals (3 records)", None, None, None, None, None, None, None,
                  None, "USD", "20,250.00"])
    for line in ([], ["Northwind Analytics Ltd"],
                 ["Confidential Information - Do Not Distribute"],
                 ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."]):
        sheet.append(line)
    book.save(out)


def test_formatted_xlsx_report_with_title_rows(tmp_path):
    folder = tmp_path / "xlsx"
    folder.mkdir()
    shutil.copy(REPORT / "report1735689611111.csv", folder)
    _formatted_xlsx(REPORT / "report1735689600000.csv", folder / "report1735689600000.xlsx")
    imported, _, db = loaded(folder, tmp_path)
    assert imported.files["report1735689600000.xlsx"].recognised == "Opportunity -> opportunities"
    assert imported.files["report1735689600000.xlsx"].rows_read == 3
    assert figures(db, Q1_25)["qualified_pipeline"] == pytest.approx(9250)


# --- HubSpot ---------------------------------------------------------------------------

def test_contacts_only_portal_loads_its_people_and_spend(tmp_path, capsys):
    imported, result, db = loaded(CONTACTS_ONLY, tmp_path)
    assert detect(CONTACTS_ONLY) == "hubspot"  # spend.csv beside it does not flip it
    assert imported.files["spend.csv"].recognised == "canonical -> spend"
    assert imported.files["hubspot-crm-exports-all-tickets-2025-04-01.csv"].recognised == \
        "ignored"
    assert result.row_counts["opportunities"] == 0
    q1 = figures(db, Q1_25)
    assert q1["leads"] == 4 and q1["mqls"] == 0  # 01-07, 01-21, 02-11, 03-03
    assert q1["marketing_spend"] == 4000 and q1["sales_spend"] == 8000
    assert q1["cpl"] == 1000  # 4,000 / 4
    # no deals at all: qualified opportunities and CAC are unknown (n/a), not 0 (issue 15)
    assert q1["qualified_opportunities"] is None and q1["cac"] is None
    assert cli.main(["load", str(CONTACTS_ONLY), "--db", str(tmp_path / "c.duckdb"),
                     "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "ignored, a hubspot object Targetline does not read" in out
    assert "hubspot-crm-exports-all-tickets-2025-04-01.csv" in out


def test_spreadsheet_damage_is_named_for_what_it_is(tmp_path):
    result = convert(DAMAGED, tmp_path / "c")
    assert not result.ok
    by_column = {m.column: m for m in result.errors}
    ids = by_column["Record ID"]
    assert ids.line == 2 and "'1.11015E+11' is an id in scientific notation (3 of 3 rows)" \
        in ids.text and "a spreadsheet re-saved this export" in ids.text
    assert "Associated Company IDs (Primary)" in by_column
    when = by_column["Create Date"]
    assert "two-digit year" in when.text and '--date-format "%m/%d/%y %H:%M"' in when.text


def test_two_digit_years_load_with_the_named_format(tmp_path):
    folder = tmp_path / "d"
    shutil.copytree(DAMAGED, folder)
    path = folder / "hubspot-crm-exports-all-contacts-2025-04-01.csv"
    lines = path.read_text().splitlines()
    lines[1:] = [f"{100 + i},{line.split(',', 1)[1].replace('7.00123E+11', '7001')}"
                 .replace("7.00124E+11", "7002") for i, line in enumerate(lines[1:])]
    path.write_text("\n".join(lines) + "\n")
    _, _, db = loaded(folder, tmp_path, date_format="%m/%d/%y %H:%M")
    assert table(db, "select created_date from people order by 1") == [
        (date(2025, 1, 7),), (date(2025, 1, 21),), (date(2025, 2, 11),)]


# --- canonical files beside files nobody knows -------------------------------------

def test_canonical_extract_with_notes_and_utf16_stays_canonical(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(DATA / "tiny_load", folder)
    (folder / "README.md").unlink()
    (folder / "notes.csv").write_text("Id,Name,StartDate\n1,call Ben,2025-01-01\n")
    people = folder / "people.csv"
    people.write_bytes(people.read_text().encode("utf-16"))  # Excel's "Unicode text"
    assert detect(folder) == "canonical"
    imported, result = import_and_load(folder, tmp_path / "c.duckdb")
    assert imported is None and result.ok and result.row_counts["people"] == 4
    assert any(w.file == "people.csv" and "UTF-16" in w.text for w in result.warnings)
    assert any(w.file == "notes.csv" and w.text.startswith("ignored:") for w in result.warnings)


def test_windows_1252_export_keeps_its_euro_signs(tmp_path):
    folder = tmp_path / "w"
    shutil.copytree(DATA / "tiny_load", folder)
    (folder / "README.md").unlink()
    path = folder / "accounts.csv"
    path.write_bytes(path.read_text().replace("alice", "Zoë “€”").encode("cp1252"))
    result = import_and_load(folder, tmp_path / "w.duckdb")[1]
    assert result.ok
    assert table(tmp_path / "w.duckdb", 'select "CRM Owner" from raw_accounts order by _line '
                 "limit 1") == [("Zoë “€”",)]
    assert any("Windows-1252" in w.text for w in result.warnings)


def test_history_counts_left_out_rows(tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    path = folder / "Lead.csv"
    path.write_bytes(path.read_bytes().replace(b'"2024-02-20 11:00:00"', b'"soon"'))
    db = tmp_path / "h.duckdb"
    _, refused = import_and_load(folder, db)
    assert not refused.ok and refused.skippable
    _, result = import_and_load(folder, db, skip_bad_rows=True)
    assert result.ok and [(m.file, m.line, m.column) for m in result.left_out] == [
        ("Lead.csv", 3, "CreatedDate")]
    assert store.read_history(db)[-1]["left_out"] == {"people": 1}
    assert pd.Series([r for r in result.row_counts.values()]).sum() > 0


def _amount_report(folder: Path, amounts: list[str]) -> Path:
    folder.mkdir()
    rows = "".join(f'"Acme {i}","001000000000{i:03d}","006000000000{i:03d}","Closed Won",'
                   f'"{a}","1/{20 + i}/2025","1/2/2025","1","1"\n' for i, a in enumerate(amounts))
    (folder / "report1736000000000.csv").write_text(
        '"Account Name","Account ID","Opportunity ID","Stage","Amount","Close Date",'
        '"Created Date","Won","Closed"\n' + rows + '\n"Grand Totals (2 records)"\n')
    shutil.copy(REPORT / "report1735689611111.csv", folder)  # the leads report
    return folder


def test_amounts_written_with_their_currency_code(tmp_path):
    one = _amount_report(tmp_path / "one", ["USD 12,500.00", "USD 7,500.00"])
    _, result, db = loaded(one, tmp_path)
    assert result.currency == "USD"
    assert table(db, "select sum(amount) from opportunities") == [(20000.0,)]
    two = _amount_report(tmp_path / "two", ["USD 12,500.00", "EUR 7,500.00"])
    _, refused = import_and_load(two, tmp_path / "two.duckdb")
    (m,) = refused.errors
    assert m.file == "report1736000000000.csv" and "amounts in EUR, USD" in m.text


def test_an_import_without_people_names_the_export_to_add(tmp_path):
    folder = tmp_path / "deals"
    folder.mkdir()
    shutil.copy(REPORT / "report1735689600000.csv", folder)
    _, refused = import_and_load(folder, tmp_path / "d.duckdb")
    (m,) = refused.errors
    assert m.file is None and "people.csv" not in m.text.split("(or")[0]
    assert "add Lead.csv and Contact.csv from a Salesforce export" in m.text
