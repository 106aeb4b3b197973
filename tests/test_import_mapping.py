"""Any CSV through a mapping file (tests/data/mapping: a Pipedrive-style export with
semicolons, German labels, dd.mm.yyyy dates and a won/lost/open status column)."""

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from gtm import cli
from gtm.filters import Filter, Settings
from gtm.importers import builtin, convert, import_and_load, mapping
from gtm.load import store
from gtm.metrics import compute

MAPPED = Path(__file__).parent / "data" / "mapping"
Q1 = Filter(date(2024, 1, 1), date(2024, 3, 31))
Q2 = Filter(date(2024, 4, 1), date(2024, 6, 30))


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("map") / "canonical"
    result = convert(MAPPED, out)  # mapping.yaml in the folder is used
    assert result.ok, [str(m) for m in result.messages]
    return result, {t: pd.read_csv(out / f"{t}.csv", dtype=str, keep_default_na=False)
                    for t in result.row_counts}


def test_files_columns_and_values_are_mapped(tables):
    result, t = tables
    assert result.source == "custom"
    assert result.recognised == {"deals.csv": "deals.csv -> opportunities",
                                 "organizations.csv": "organizations.csv -> accounts",
                                 "persons.csv": "persons.csv -> people"}
    assert t["accounts"]["is_target"].tolist() == ["true", "false"]  # Ja / Nein
    people = t["people"].set_index("person_id")
    assert people.loc["201", "created_date"] == "2024-02-05"  # 05.02.2024
    assert people.loc["201", "channel"] == "events"  # Messe
    assert people.loc["203", "buying_role"] == "economic_buyer"  # Budget
    deals = t["opportunities"].set_index("opportunity_id")
    assert deals.loc["301", ["is_closed", "is_won", "close_date"]].tolist() == [
        "true", "true", "2024-04-25"]  # won time
    assert deals.loc["302", ["is_closed", "is_won", "close_date"]].tolist() == [
        "true", "false", "2024-05-20"]  # lost time: the first non-empty candidate
    assert t["stages"]["stage"].tolist() == ["Qualifiziert", "Demo", "Angebot", "Verhandlung",
                                            "Gewonnen", "Verloren"]


def test_headline_metrics(tmp_path):
    _, loaded = import_and_load(MAPPED, tmp_path / "m.duckdb")
    assert loaded.ok, [str(m) for m in loaded.errors]
    con = store.connect(tmp_path / "m.duckdb")
    q1, q2 = compute(con, Q1, Settings()), compute(con, Q2, Settings())
    con.close()
    assert q1["leads"] == 4  # 02-05, 02-19, 03-01, 03-28
    assert q1["mqls"] == 2  # 201 02-12, 203 03-15
    assert q1["target_leads"] == 2  # Hanse (ABM list: Ja): 201, 202
    assert q1["mql_to_customer_rate"] == 0.5  # 201's Hanse won (deal created 02-13); 203 lost
    assert q2["new_customers"] == 1  # Hanse, won 2024-04-25


def test_save_and_reload_round_trip(tmp_path):
    original = mapping.load(MAPPED / "mapping.yaml")
    mapping.save(original, tmp_path / "again.yaml")
    again = mapping.load(tmp_path / "again.yaml")
    assert again == original
    folder = tmp_path / "x"
    shutil.copytree(MAPPED, folder)
    (folder / "mapping.yaml").unlink()
    assert convert(folder, tmp_path / "c", mapping_file=tmp_path / "again.yaml").ok


def test_builtin_mappings_save_and_reload(tmp_path):
    sf = builtin("salesforce")
    mapping.save(sf, tmp_path / "sf.yaml")
    assert mapping.load(tmp_path / "sf.yaml") == sf


def _with_dates(tmp_path, old: str, new: str, extra: str = "") -> Path:
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    persons = folder / "persons.csv"
    persons.write_text(persons.read_text().replace(old, new))
    if extra:
        (folder / "mapping.yaml").write_text(
            (folder / "mapping.yaml").read_text().replace("files:", extra + "\nfiles:", 1))
    return folder


def test_ambiguous_dates_ask_for_date_format_then_read(tmp_path):
    folder = _with_dates(tmp_path, "", "")
    persons = folder / "persons.csv"
    persons.write_text(persons.read_text().replace("05.02.2024", "05/02/2024")
                       .replace("19.02.2024", "10/02/2024").replace("01.03.2024", "01/03/2024")
                       .replace("28.03.2024", "08/03/2024"))
    result = convert(folder, tmp_path / "c")
    (m,) = result.errors
    assert (m.file, m.column) == ("persons.csv", "Person - Added")
    assert "every value fits both month/day/year and day/month/year" in m.text
    (folder / "mapping.yaml").write_text((folder / "mapping.yaml").read_text().replace(
        "    table: people\n", '    table: people\n    date_format: "%d/%m/%Y"\n'))
    persons.write_text(persons.read_text().replace("12.02.2024", "12/02/2024")
                       .replace("15.03.2024", "15/03/2024"))
    result = convert(folder, tmp_path / "d")
    assert result.ok, [str(m) for m in result.messages]
    people = pd.read_csv(tmp_path / "d" / "people.csv", dtype=str)
    assert people["created_date"].tolist() == ["2024-02-05", "2024-02-10", "2024-03-01",
                                               "2024-03-08"]


def test_unknown_stage_and_bad_mapping_are_named(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    yaml_text = (folder / "mapping.yaml").read_text()
    (folder / "mapping.yaml").write_text(yaml_text.replace("      is_won: Deal - Status\n", ""))
    deals = folder / "deals.csv"
    deals.write_text(deals.read_text().replace(";Demo;open;", ";Workshop;open;"))
    errors = convert(folder, tmp_path / "c").errors
    assert [(m.file, m.line, m.column) for m in errors] == [("deals.csv", 4, "Deal - Stage")]
    assert "stage 'Workshop' is not a known stage (known: Qualifiziert, Demo" in errors[0].text
    (folder / "mapping.yaml").write_text(yaml_text.replace("table: accounts", "table: firms"))
    (m,) = convert(folder, tmp_path / "d").errors
    assert m.file == "mapping.yaml" and "table 'firms' is not a table of the data contract" in m.text


def test_missing_column_named_in_mapping(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    yaml_text = (folder / "mapping.yaml").read_text()
    (folder / "mapping.yaml").write_text(yaml_text.replace("person_id: Person - ID",
                                                           "person_id: Person Key"))
    (m,) = convert(folder, tmp_path / "c").errors
    assert (m.file, m.line, m.column) == ("persons.csv", 1, "person_id")
    assert "expected 'Person Key'" in m.text and "the header has: Person - ID" in m.text


def test_loader_messages_point_at_the_export_file(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    deals = folder / "deals.csv"
    deals.write_text(deals.read_text().replace(";9500;", ";9.500,00 EUR;"))
    _, loaded = import_and_load(folder, tmp_path / "x.duckdb")
    (m,) = loaded.errors
    assert (m.file, m.line, m.column) == ("deals.csv", 3, "Deal - Value")
    assert "'9.500,00 EUR' is not a plain number" in m.text


def test_cli_load_with_mapping_file(capsys, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    shutil.move(folder / "mapping.yaml", tmp_path / "pipedrive.yaml")
    db = tmp_path / "cli.duckdb"
    code = cli.main(["load", str(folder), "--mapping", str(tmp_path / "pipedrive.yaml"),
                     "--db", str(db), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "source: custom" in out and "opportunities" in out


# --- what mappings can say for real files (tests/data/mapping_computed) ---------------

COMPUTED = Path(__file__).parent / "data" / "mapping_computed"


def _computed_copy(tmp_path, old: str = "", new: str = "") -> Path:
    folder = tmp_path / "mc"
    shutil.copytree(COMPUTED, folder)
    text = (folder / "mapping.yaml").read_text()
    assert old in text
    (folder / "mapping.yaml").write_text(text.replace(old, new, 1))
    return folder


def test_computed_field_lookups_and_one_date_format_per_column(tmp_path):
    db = tmp_path / "mc.duckdb"
    imported, loaded = import_and_load(COMPUTED, db)
    assert loaded.ok, [str(m) for m in loaded.errors]
    assert imported.files["subscriptions.csv"].ignored_columns == []  # the formula reads it
    with store.connect(db) as con:
        rows = con.execute("select opportunity_id, amount, created_date, channel "
                           "from opportunities order by 1").fetchall()
        people = con.execute("select created_date from people order by 1").fetchall()
        q1 = compute(con, Filter(date(2025, 1, 1), date(2025, 3, 31)), Settings())
    assert rows == [("S1", 12000.0, date(2025, 1, 3), "webinar"),  # 1,000 x 12, from P1
                    ("S2", 3006.0, date(2025, 1, 17), "partner"),  # 250.5 x 12, from P2
                    ("S3", 4800.0, date(2025, 2, 2), "unknown")]  # P3 has no origin: unknown (v2)
    assert people == [(date(2025, 1, 3),), (date(2025, 1, 17),), (date(2025, 2, 2),)]
    assert q1["leads"] == 3 and q1["new_customers"] == 1


def test_misspelled_optional_column_names_the_closest_header(tmp_path):
    folder = _computed_copy(tmp_path, "channel: origin", "channel: orgin")
    (m,) = convert(folder, tmp_path / "c").errors
    assert (m.file, m.line, m.column) == ("customers.csv", 1, "channel")
    assert "expected 'orgin'; did you mean 'origin'?" in m.text


@pytest.mark.parametrize(("formula", "why"), [
    ("declared_monthly_revenu * 12", "'declared_monthly_revenu' is not a column of the file"),
    ("system(declared_monthly_revenue)", "'system' is not an allowed function"),
    ("declared_monthly_revenue * 12; drop table x", "cannot read ';"),
])
def test_computed_field_accepts_arithmetic_over_columns_only(tmp_path, formula, why):
    folder = _computed_copy(tmp_path, '"declared_monthly_revenue * 12"', f'"{formula}"')
    (m,) = convert(folder, tmp_path / "c").errors
    assert (m.file, m.line, m.column) == ("subscriptions.csv", 1, "amount")
    assert why in m.text and "a computed field is arithmetic" in m.text


def test_lookup_without_the_key_column_says_what_to_map(tmp_path):
    folder = _computed_copy(tmp_path, "      source_person_id: contact_ref\n", "")
    errors = convert(folder, tmp_path / "c").errors
    assert {(m.file, m.column) for m in errors} == {("subscriptions.csv", "created_date"),
                                                   ("subscriptions.csv", "channel")}
    assert all("the file has no source_person_id column" in m.text for m in errors)


BILLION_LAUGHS = """a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
files: {deals.csv: {table: opportunities, columns: {opportunity_id: *i}}}
"""


@pytest.mark.parametrize(("text", "expected"), [
    (BILLION_LAUGHS, "anchors and aliases (&name, *name) are not accepted"),
    ("files: {deals.csv: [1, 2]}\n", "files: deals.csv: expected the file's settings"),
    ("files: {deals.csv: {table: opportunities, columns: [a, b]}}\n",
     "files: deals.csv: columns: expected 'field: value' pairs"),
    ("files: {deals.csv: {table: opportunities, colums: {a: b}}}\n",
     "files: deals.csv: unknown setting colums"),
    ("files: {deals.csv: {table: opportunities, values: {stage: [a]}}}\n",
     "files: deals.csv: values: stage: expected a name or a list of names"),
    ("files: []\n", "expected a 'files:' section"),
    ("files: {a.csv: {table: people}}\nstages: {a: 1}\n", "stages: expected a list of names"),
    ("- just\n- a list\n", "expected a 'files:' section"),
    ("files: {a.csv: {table: people}\n", "is not valid YAML"),
])
def test_hostile_or_malformed_mapping_is_refused_with_a_sentence(tmp_path, text, expected):
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    (folder / "mapping.yaml").write_text(text)
    assert len(text.encode()) < 2048 or expected != BILLION_LAUGHS
    result = convert(folder, tmp_path / "c")
    (m,) = result.errors
    assert m.file == "mapping.yaml" and expected in m.text, m.text


def test_a_mapping_file_too_large_is_refused(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(MAPPED, folder)
    (folder / "mapping.yaml").write_text("# padding\n" * 40_000)
    (m,) = convert(folder, tmp_path / "c").errors
    assert "a mapping file is at most 256 KB" in m.text
