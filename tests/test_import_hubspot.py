"""HubSpot exports -> canonical tables -> headline metrics (tests/data/hubspot).

Companies and contacts use export labels; deals use internal names (hs_object_id,
dealstage, hs_v2_date_entered_*), as an export "with internal names" writes them.
"""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gtm.filters import Filter, Settings
from gtm.importers import convert, detect, import_and_load
from gtm.load import store
from gtm.metrics import compute

HUBSPOT = Path(__file__).parent / "data" / "hubspot"
CONTACTS = "hubspot-crm-exports-all-contacts-2024-07-01.csv"
DEALS = "hubspot-crm-exports-all-deals-2024-07-01.csv"
Q1, Q2 = Filter(date(2024, 1, 1), date(2024, 3, 31)), Filter(date(2024, 4, 1), date(2024, 6, 30))


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("hs") / "canonical"
    result = convert(HUBSPOT, out)
    assert result.ok, [str(m) for m in result.messages]
    return result, {t: pd.read_csv(out / f"{t}.csv", dtype=str, keep_default_na=False)
                    for t in result.row_counts}


def test_detects_hubspot_and_each_export(tables):
    result, t = tables
    assert detect(HUBSPOT) == "hubspot"
    assert result.recognised[DEALS] == "deals -> opportunities"
    assert {k: len(v) for k, v in t.items()} == {
        "accounts": 3, "people": 5, "opportunities": 4, "opportunity_stages": 12, "stages": 7,
        "opportunity_contacts": 5}


def test_contacts_become_people(tables):
    people = tables[1]["people"].set_index("person_id")
    assert people.loc["101"].to_dict() == {
        "account_id": "9001", "created_date": "2024-01-08T09:30:00", "channel": "paid_search",
        "title": "VP Finance", "buying_role": "economic_buyer",  # BUDGET_HOLDER
        "mql_date": "2024-01-19T14:02:00"}
    assert people.loc["102", "buying_role"] == "decision_maker"  # first of DECISION_MAKER;END_USER
    assert people.loc["103", "channel"] == "social"  # SOCIAL_MEDIA
    assert people.loc["104", "account_id"] == ""  # no associated company


def test_deals_stages_and_history(tables):
    t = tables[1]
    deals = t["opportunities"].set_index("opportunity_id")
    assert deals.loc["5001", "stage"] == "Closed Won"  # closedwon -> its label
    assert deals.loc["5003", "type"] == "expansion"  # existingbusiness
    assert deals.loc["5002", "lost_reason"] == "Went with competitor"
    hist = t["opportunity_stages"]
    assert hist[hist["opportunity_id"] == "5001"]["stage"].tolist() == [
        "Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Closed Won"]
    assert t["stages"]["stage"].tolist()[5:] == ["Closed Won", "Closed Lost"]
    # associated contacts of a deal with their buying role
    assert t["opportunity_contacts"].values.tolist()[:2] == [
        ["5001", "101", "economic_buyer"], ["5001", "102", "decision_maker"]]
    assert t["accounts"].set_index("account_id").loc["9002", "region"] == "EMEA"  # Netherlands


def test_headline_metrics(tmp_path):
    _, loaded = import_and_load(HUBSPOT, tmp_path / "h.duckdb")
    assert loaded.ok, [str(m) for m in loaded.errors]
    con = store.connect(tmp_path / "h.duckdb")
    s = Settings(qualified_stage="Qualified To Buy")
    q1, q2 = compute(con, Q1, s), compute(con, Q2, s)
    con.close()
    assert q1["leads"] == 4  # 101, 102, 103, 104 (105 on 04-02)
    assert q1["mqls"] == 2  # 101 01-19, 103 03-04
    assert q1["target_leads"] == 2  # Northwind (target): 101, 102
    assert q1["qualified_opportunities"] == 2  # 5001 02-05, 5002 03-20
    assert q1["qualified_pipeline"] == 78000  # 60000 + 18000
    assert q1["qualified_win_rate"] == 1.0  # only 5001 closed in Q1, won
    assert q1["new_customers"] == 1  # Northwind
    assert q1["mql_to_customer_rate"] == 0.5  # 101's Northwind won; 103's Contoso lost
    assert q1["stage0_days_median"] == 12.5  # 11 days (5001) and 14 days (5002)
    assert q2["qualified_opportunities"] == 1  # 5004 05-06 (5003 is existing business)
    assert q2["qualified_win_rate"] == 0.0  # 5002 lost on 05-15


def _copy(tmp_path) -> Path:
    folder = tmp_path / "hs"
    shutil.copytree(HUBSPOT, folder)
    return folder


def test_deal_without_company_is_a_warning_naming_the_line(tmp_path):
    folder = _copy(tmp_path)
    deals = folder / DEALS
    deals.write_text(deals.read_text().replace("EMAIL_MARKETING,9003,105", "EMAIL_MARKETING,,105"))
    _, loaded = import_and_load(folder, tmp_path / "w.duckdb")
    assert loaded.ok, [str(m) for m in loaded.errors]
    (m,) = [w for w in loaded.warnings if "associated company" in w.text]
    assert (m.file, m.line, m.column) == (DEALS, 5, "associatedcompanyid")
    assert "deal '5004' has no associated company" in m.text
    assert "associate it with a company in HubSpot" in m.text


def test_a_bad_date_refuses_the_import_and_keeps_the_dataset(tmp_path):
    db = tmp_path / "keep.duckdb"
    assert import_and_load(HUBSPOT, db)[1].ok
    before = store.current_version(db)
    folder = _copy(tmp_path)
    deals = folder / DEALS
    deals.write_text(deals.read_text().replace("2024-05-06T11:00:00Z", "soon", 1))
    _, loaded = import_and_load(folder, db)
    assert not loaded.ok and store.current_version(db) == before
    assert loaded.errors[0].file == DEALS and "'soon' is not a date" in loaded.errors[0].text


def test_two_mql_columns_agreeing_are_fine_disagreeing_are_refused(tmp_path):
    folder = _copy(tmp_path)
    contacts = folder / CONTACTS
    lines = contacts.read_text().splitlines()
    mql = [line.split(",")[8] for line in lines]  # 'Became a ... Date' column
    mql[0] = "hs_v2_date_entered_marketingqualifiedlead"
    contacts.write_text("\n".join(f"{line},{v}" for line, v in zip(lines, mql, strict=True)))
    assert convert(folder, tmp_path / "a").ok  # the same dates twice: used
    lines = contacts.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ",2024-03-05 10:00"
    contacts.write_text("\n".join(lines) + "\n")
    result = convert(folder, tmp_path / "b")
    (m,) = result.errors
    assert (m.file, m.line, m.column) == (CONTACTS, 4, "Became a Marketing Qualified Lead Date")
    assert "disagree" in m.text and "--mql-field" in m.text
    assert convert(folder, tmp_path / "c",
                   mql_field="hs_v2_date_entered_marketingqualifiedlead").ok


def test_unknown_stage_without_closed_flags(tmp_path):
    folder = _copy(tmp_path)
    deals = folder / DEALS
    text = deals.read_text().replace("qualifiedtobuy,90000", "13579246,90000")
    lines = [",".join(c for i, c in enumerate(line.split(",")) if i not in (8, 9))
             for line in text.splitlines()]  # drop hs_is_closed and hs_is_closed_won
    deals.write_text("\n".join(lines) + "\n")
    (m,) = convert(folder, tmp_path / "c").errors
    assert (m.file, m.line, m.column) == (DEALS, 5, "dealstage")
    assert "stage '13579246' is not a known stage" in m.text


def test_history_names_the_users_export_whether_loaded_or_refused(tmp_path):
    db = tmp_path / "hist.duckdb"
    assert import_and_load(HUBSPOT, db)[1].ok
    folder = _copy(tmp_path)
    deals = folder / DEALS
    deals.write_text(deals.read_text().replace("2024-05-06T11:00:00Z", "soon", 1))
    assert not import_and_load(folder, db)[1].ok
    loaded, refused = store.read_history(db)
    assert loaded["source"] == f"{HUBSPOT} (hubspot export)" and loaded["result"] == "ok"
    assert refused["source"] == str(folder) and refused["result"] == "refused"
    assert "'soon' is not a date" in refused["first_errors"][0]
