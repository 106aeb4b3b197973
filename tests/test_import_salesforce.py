"""Salesforce exports -> canonical tables -> headline metrics (tests/data/salesforce_*).

salesforce_api: Data Loader files (API names, 18-character ids, +0000 timestamps);
the opportunities file is named extract.csv, so it is recognised by its header.
salesforce_report: a "funnel" export, two report CSVs (labels, US dates, 15-character
ids, the report footer): leads and won opportunities only.
"""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gtm import cli
from gtm.filters import Filter, Settings
from gtm.importers import convert, detect, import_and_load
from gtm.importers.salesforce import id18
from gtm.load import store
from gtm.metrics import compute

DATA = Path(__file__).parent / "data"
API, REPORT = DATA / "salesforce_api", DATA / "salesforce_report"
Q1, Q2 = Filter(date(2024, 1, 1), date(2024, 3, 31)), Filter(date(2024, 4, 1), date(2024, 6, 30))


def ids(kind: str, n: int) -> str:
    return {"A": "001", "C": "003", "L": "00Q", "O": "006"}[kind] + f"8c000000{n:04d}AAA"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    out = tmp_path_factory.mktemp("sf") / "canonical"
    result = convert(API, out)
    assert result.ok, [str(m) for m in result.messages]
    return result, {t: pd.read_csv(out / f"{t}.csv", dtype=str, keep_default_na=False)
                    for t in result.row_counts}


@pytest.fixture(scope="module")
def api_con(tmp_path_factory):
    db = tmp_path_factory.mktemp("sfdb") / "sf.duckdb"
    _, loaded = import_and_load(API, db)
    assert loaded.ok, [str(m) for m in loaded.errors]
    con = store.connect(db)
    yield con
    con.close()


def test_detects_salesforce_and_recognises_every_object(api):
    result, _ = api
    assert detect(API) == "salesforce" and detect(REPORT) == "salesforce"
    assert result.recognised["extract.csv"] == "Opportunity -> opportunities"
    assert result.recognised["OpportunityContactRole.csv"] == \
        "OpportunityContactRole -> opportunity_contacts"
    assert result.row_counts == {"accounts": 3, "people": 5, "opportunity_contacts": 5,
                                 "stages": 10, "opportunities": 4, "opportunity_stages": 11,
                                 "campaigns": 3, "spend": 2, "touches": 3}


def test_converted_leads_are_their_contact_counted_once(api):
    people = api[1]["people"].set_index("person_id")
    # 3 contacts + 4 leads, of which L1 -> C1 and L4 -> C3 were converted: 5 people
    assert sorted(people.index) == sorted([ids("C", 1), ids("C", 2), ids("C", 3),
                                           ids("L", 2), ids("L", 3)])
    # C1 keeps its lead's creation (2024-01-15, not the contact's 2024-02-10) and MQL date
    assert people.loc[ids("C", 1), "created_date"] == "2024-01-15T16:30:00"
    assert people.loc[ids("C", 3), "mql_date"] == "2024-03-20"  # only on lead L4
    assert people.loc[ids("C", 3), "created_date"] == "2024-03-15T08:00:00"
    # L2 was created 2024-02-20 23:30 -08:00 = 2024-02-21 07:30 UTC
    assert people.loc[ids("L", 2), "created_date"] == "2024-02-21T07:30:00"
    assert people.loc[ids("L", 3), "channel"] == "display"  # LeadSource Advertisement
    assert people.loc[ids("C", 2), "channel"] == "unknown"  # empty LeadSource


def test_contact_roles_become_buying_roles(api):
    roles = api[1]["opportunity_contacts"]
    assert list(roles["role"]) == ["economic_buyer", "technical_evaluator", "decision_maker",
                                   "champion", "technical_evaluator"]
    people = api[1]["people"].set_index("person_id")
    # C1 is Economic Buyer on O1 and Executive Sponsor on O3: a tie, the first listed wins
    assert people.loc[ids("C", 1), "buying_role"] == "economic_buyer"
    assert people.loc[ids("C", 2), "buying_role"] == "technical_evaluator"  # twice Technical Buyer


def test_opportunities_types_history_spend_and_touches(api):
    t = api[1]
    opps = t["opportunities"].set_index("opportunity_id")
    assert opps.loc[ids("O", 3), "type"] == "expansion"  # Existing Customer - Upgrade
    assert opps.loc[ids("O", 1), "type"] == "new_business"  # New Customer
    # O1's history has Qualification twice (an amount change): entered once
    o1 = t["opportunity_stages"][t["opportunity_stages"]["opportunity_id"] == ids("O", 1)]
    assert list(o1["stage"]) == ["Prospecting", "Qualification", "Proposal/Price Quote",
                                 "Closed Won"]
    # no spend file: Campaign ActualCost in the start month (the webinar has no cost)
    assert t["spend"][["month", "channel", "amount"]].values.tolist() == [
        ["2024-01-01", "events", "30000.0"], ["2024-02-01", "display", "12000.0"]]
    # 4 members, L3 never responded; L1's touch goes to its contact C1
    assert t["touches"][["person_id", "touch_date"]].values.tolist() == [
        [ids("C", 1), "2024-01-11"], [ids("L", 2), "2024-02-21"], [ids("C", 2), "2024-03-06"]]


def test_headline_metrics_on_the_api_export(api_con):
    s = Settings(qualified_stage="Qualification")
    q1 = compute(api_con, Q1, s)
    assert q1["leads"] == 5  # C1 01-15, L2 02-21, C2 03-05, L3 03-10, C3 03-15
    assert q1["mqls"] == 3  # C1 01-20, L2 03-01, C3 03-20
    assert q1["marketing_spend"] == 42000  # 30000 trade show + 12000 ads
    assert q1["cpl"] == 8400  # 42000 / 5
    assert q1["mql_to_customer_rate"] == pytest.approx(1 / 3)  # only C1's account A1 won
    q2 = compute(api_con, Q2, s)
    assert q2["qualified_opportunities"] == 2  # O2 (04-02), O4 (06-20); O3 is expansion
    assert q2["qualified_pipeline"] == 55000  # 40000 + 15000
    assert q2["qualified_win_rate"] == 0.5  # O1 won, O2 lost, both closed in Q2
    assert q2["new_customers"] == 1  # A1 via O1 on 2024-05-30


def test_report_export_labels_us_dates_footer_and_15_char_ids(tmp_path):
    result = convert(REPORT, tmp_path / "c")
    assert result.ok, [str(m) for m in result.messages]
    people = pd.read_csv(tmp_path / "c" / "people.csv", dtype=str)
    opps = pd.read_csv(tmp_path / "c" / "opportunities.csv", dtype=str)
    assert len(people) == 5 and len(opps) == 3  # the report footer lines are not rows
    assert people["created_date"].tolist()[:2] == ["2024-01-08", "2024-01-15"]  # 1/8, 1/15
    assert people["mql_date"].tolist()[3] == "2024-03-04"  # 3/4/2024, US like the column
    assert opps["account_id"].tolist()[0] == id18("0015g00000XyZ1a") == "0015g00000XyZ1aAAF"
    assert set(opps["is_won"]) == {"1"}


def test_known_id18_example():
    assert id18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # Salesforce's documented example
    assert id18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"


def test_funnel_export_loads_and_lights_up_what_it_can(tmp_path):
    _, loaded = import_and_load(REPORT, tmp_path / "f.duckdb")
    assert loaded.ok, [str(m) for m in loaded.errors]
    con = store.connect(tmp_path / "f.duckdb")
    q1 = compute(con, Q1, Settings())
    con.close()
    assert q1["leads"] == 4  # 1/8, 1/15, 2/3, 2/20 (4/2 is in Q2)
    assert q1["mqls"] == 3  # 1/22, 1/29, 3/4
    assert q1["new_customers"] == 1  # Stone Capital, won 3/28
    assert q1["marketing_spend"] is None or q1["marketing_spend"] == 0  # no spend: empty


def _broken(tmp_path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "sf"
    shutil.copytree(API, folder)
    path = folder / name
    path.write_text(path.read_text().replace(old, new))
    return folder


def test_mixed_date_formats_are_refused_naming_line_and_column(tmp_path):
    folder = _broken(tmp_path, "extract.csv", '"2024-06-10"', '"6/10/2024"')
    result = convert(folder, tmp_path / "c")
    assert not result.ok
    (m,) = result.errors
    assert (m.file, m.line, m.column) == ("extract.csv", 3, "CloseDate")
    assert "'6/10/2024' is written a/b/yyyy but '2024-05-30' (line 2)" in m.text


def test_unknown_stage_without_flags_says_what_to_add(tmp_path):
    folder = tmp_path / "r"
    shutil.copytree(REPORT, folder)
    opps = folder / "report1712345699999.csv"
    text = opps.read_text().replace(',"Won","Closed"', "").replace(',"1","1"', "")
    opps.write_text(text.replace('"Closed Won","36000.00"', '"Verbal Commit","36000.00"'))
    result = convert(folder, tmp_path / "c")
    (m,) = result.errors
    assert (m.file, m.line, m.column) == ("report1712345699999.csv", 3, "StageName")
    assert "stage 'Verbal Commit' is not a known stage" in m.text
    assert "add the stage list export" in m.text


def test_deal_without_account_loads_with_a_warning_and_counts_in_pipeline(tmp_path):
    folder = _broken(tmp_path, "extract.csv", f'"{ids("O", 4)}","{ids("A", 3)}"',
                     f'"{ids("O", 4)}",""')
    db = tmp_path / "w.duckdb"
    _, loaded = import_and_load(folder, db)
    assert loaded.ok, [str(m) for m in loaded.errors]
    (m,) = [w for w in loaded.warnings if w.column == "AccountId"]
    assert (m.file, m.line) == ("extract.csv", 5)
    assert "has no AccountId" in m.text and "not as a customer" in m.text
    with store.connect(db) as con:
        q2 = compute(con, Q2, Settings(qualified_stage="Qualification"))
    assert q2["qualified_opportunities"] == 2 and q2["qualified_pipeline"] == 55000  # O4 too
    assert q2["new_customers"] == 1  # A1 only: a deal without an account is no customer


def test_two_mql_columns_that_disagree_ask_for_mql_field(tmp_path):
    folder = _broken(tmp_path, "Lead.csv", '"MQL_Date__c"', '"MQL_Date__c","Legacy_MQL_Date__c"')
    lead = folder / "Lead.csv"
    lines = lead.read_text().splitlines()
    lines[1:] = [line.replace(',"2024-01-20",', ',"2024-01-20","2024-01-25",')
                 .replace(',"2024-03-01",', ',"2024-03-01","2024-03-01",')
                 .replace(',"2024-03-20",', ',"2024-03-20","",')
                 .replace(',"","false"', ',"","","false"') for line in lines[1:]]
    lead.write_text("\n".join(lines) + "\n")
    result = convert(folder, tmp_path / "c")
    (m,) = result.errors
    assert (m.file, m.line) == ("Lead.csv", 2)
    assert "2 candidate columns for mql_date (MQL_Date__c, Legacy_MQL_Date__c) disagree" in m.text
    assert "--mql-field" in m.text
    assert convert(folder, tmp_path / "d", mql_field="Legacy_MQL_Date__c").ok


def test_cli_load_with_source_and_unknown_mql_field(capsys, tmp_path):
    db = tmp_path / "cli.duckdb"
    assert cli.main(["load", str(API), "--source", "salesforce", "--db", str(db),
                     "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "source: salesforce" in out and "extract.csv" in out and " 5 rows" in out
    before = store.current_version(db)
    assert cli.main(["load", str(API), "--mql-field", "MQL__c", "--db", str(db),
                     "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "the MQL field 'MQL__c' named with --mql-field is in none of the people files" in err
    assert store.current_version(db) == before
