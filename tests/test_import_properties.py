"""Property: whatever an export folder holds, importing it is a clean refusal or a load.

Hypothesis builds folders of Salesforce and HubSpot files from random subsets of the real
headers (the API names, report labels and HubSpot labels the built-in mappings know, plus
headers nobody knows), header-only files, columns empty on every row and odd values
(dates in every shape, two-digit years, ids in scientific notation, Salesforce's empty
lookup, currencies, text with quotes and line breaks), in UTF-8, Latin-1 or UTF-16. The
import must never raise, never fall back to its "could not be converted" catch-all (that
would be a bug we did not handle), and every error must name one of the user's files.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtm.importers import builtin, convert, import_and_load
from gtm.load import store

NAMES = {"salesforce": ["Lead.csv", "Contact.csv", "Account.csv", "Opportunity.csv",
                        "CampaignMember.csv", "Campaign.csv", "OpportunityHistory.csv",
                        "OpportunityContactRole.csv", "CurrencyType.csv",
                        "DatedConversionRate.csv", "report1712345678901.csv", "Case.csv"],
         "hubspot": ["hubspot-crm-exports-all-contacts-2025-01-01.csv",
                     "hubspot-crm-exports-all-deals-2025-01-01.csv",
                     "hubspot-crm-exports-all-companies-2025-01-01.csv",
                     "hubspot-crm-exports-all-calls-2025-01-01.csv", "notes.csv"]}
STRANGERS = ["Notes", "Owner Name", "Custom_Field__c", "", "Id", "Record ID"]


def _headers(source: str) -> list[str]:
    found = {h for fm in builtin(source).files for cands in fm.columns.values()
             for h in cands if "*" not in h}
    return sorted(found) + STRANGERS


HEADERS = {source: _headers(source) for source in NAMES}
VALUES = st.one_of(
    st.just(""), st.just("000000000000000AAA"), st.just("000000000000000"),
    st.sampled_from(["2024-03-05", "3/5/2024", "22/03/2024", "05.03.2024", "3/5/24",
                     "2024-03-05T10:00:00Z", "2024-03-05 10:00:00", "2024-02-30",
                     "9999-12-31", "soon", "1/2/2024 9:30 PM"]),
    st.sampled_from(["1.11015E+11", "0015g00000XyZ1a", "0068c00000Op1AAAAA", "123;456",
                     "7001"]),
    st.sampled_from(["USD 12,500.00", "$1,000", "9.500,00 EUR", "-5", "1e309", "0", "12.5",
                     "EUR", "MXN", "000", "true", "1", "No"]),
    st.sampled_from(["Closed Won", "Closed Lost", "Prospecting", "closedwon", "Verbal",
                     "Economic Buyer", "Web", "Trade Show"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(['a "quoted" value', "two\nlines", "=HYPERLINK(1)", "Café Lumière"]),
)


@st.composite
def export_file(draw, source: str):
    name = draw(st.sampled_from(NAMES[source]))
    header = draw(st.lists(st.sampled_from(HEADERS[source]), min_size=1, max_size=9,
                           unique=True))
    empty = draw(st.sets(st.sampled_from(header)))  # columns nobody fills
    rows = draw(st.lists(st.lists(VALUES, min_size=len(header), max_size=len(header)),
                         max_size=4))
    rows = [["" if h in empty else v for h, v in zip(header, row, strict=True)]
            for row in rows]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return name, header, rows, encoding


@st.composite
def export_folder(draw):
    source = draw(st.sampled_from(sorted(NAMES)))
    files = draw(st.lists(export_file(source), min_size=1, max_size=4,
                          unique_by=lambda f: f[0]))
    return files


def _write(folder: Path, files) -> set[str]:
    for name, header, rows, encoding in files:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        (folder / name).write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    return {name for name, *_ in files}


def _check(result, names: set[str]) -> None:
    for m in result.messages if hasattr(result, "messages") else result.errors:
        assert "could not be converted" not in m.text, m  # the catch-all: an unhandled case
        assert m.file is None or m.file in names or m.file == "mapping.yaml", m
    if not result.ok:
        assert result.errors


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export_folder())
def test_convert_is_a_clean_refusal_or_a_conversion(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        names = _write(folder, files)
        result = convert(folder, Path(tmp) / "out", skip_bad_rows=len(names) % 2 == 0)
        _check(result, names)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(export_folder())
def test_import_and_load_refuses_cleanly_or_loads(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        names = _write(folder, files)
        db = Path(tmp) / "db" / "t.duckdb"
        imported, loaded = import_and_load(folder, db)
        if imported is not None:
            _check(imported, names)
        for m in loaded.errors:
            assert "the load failed" not in m.text, m  # the loader's catch-all
        assert loaded.ok == (store.current_version(db) is not None)
