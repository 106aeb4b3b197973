"""The Targets page, the targets beside MQLs, warm starts and the plan check, through app.py.

The draft definition round-trips: built with the page's widgets, its YAML applied with
`python -m gtm targets apply`, and the page reopened shows it as the active definition; a
bad draft is refused naming its rule; a link carrying the draft reopens it. The field example
on the growth page reads infeasible by 35.3x. Numbers come from gtm (tests/test_targets.py
checks them by hand); here the pages must show them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gtm import cli, icp
from gtm.load import store
from gtm.load.loader import load

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TINY = ROOT / "tests" / "data" / "tiny_targets"


def open_page(db: Path, monkeypatch, page: str, **params) -> AppTest:
    monkeypatch.setenv("TARGETLINE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=240)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page).run()  # the link opens the page itself
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def text(at: AppTest) -> str:
    """What the page says, as read on screen (Markdown escapes removed)."""
    return "\n".join(e.value for e in (*at.markdown, *at.caption, *at.error, *at.info,
                                       *at.success, *at.warning)).replace("\\", "")


@pytest.fixture
def tiny_db(tmp_path):
    db = tmp_path / "t.duckdb"
    assert load(TINY, db).ok
    return db


def test_the_page_opens_on_the_v1_rule_with_a_starter_draft(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, "pages/targets.py")
    assert "No target definition is active" in text(at)
    draft = icp.parse(widget(at, "text_area", "icp").value)
    assert [r.text() for r in draft.rules] == ["is_target in true", "fit_score >= 70",
                                               "is_target is empty"]  # the v1 rule as rules
    tiles = [(m.label, m.value) for m in at.metric]
    assert ("Target people", "4") in tiles and ("MQL noise share", "40 %") in tiles
    draft_tile = next(m for m in at.metric if m.label == "Draft targets")
    assert (draft_tile.value, draft_tile.delta) == ("3", "")  # T01 T02 T06; no period delta
    assert "The draft makes 3 target accounts, the same ones every page counts now." in text(at)


def test_ui_to_yaml_to_cli_to_ui(tiny_db, monkeypatch, tmp_path):
    at = open_page(tiny_db, monkeypatch, "pages/targets.py")
    # build the fixture's definition with the page's widgets
    widget(at, "selectbox", "field").set_value("industry").run()
    widget(at, "selectbox", "rule_op").set_value("in").run()
    widget(at, "multiselect", "rule_values").set_value(["Software"]).run()
    widget(at, "text_input", "rule_more").set_value("Fintech").run()
    widget(at, "number_input", "rule_weight").set_value(3.0).run()
    button(at, "Add rule").click().run()
    for _ in range(3):  # the starter's three rules
        widget(at, "selectbox", "rule_remove").set_value(1).run()
        button(at, "Remove").click().run()
    widget(at, "selectbox", "field").set_value("employees").run()
    widget(at, "selectbox", "rule_op").set_value("between").run()
    widget(at, "number_input", "rule_low").set_value(200.0).run()
    widget(at, "number_input", "rule_high").set_value(5000.0).run()
    widget(at, "number_input", "rule_weight").set_value(2.0).run()
    button(at, "Add rule").click().run()
    widget(at, "selectbox", "field").set_value("technologies").run()
    widget(at, "selectbox", "rule_op").set_value("contains").run()
    widget(at, "text_input", "rule_more").set_value("snowflake").run()
    widget(at, "number_input", "rule_weight").set_value(1.0).run()
    button(at, "Add rule").click().run()
    key = next(w.key for w in at.text_input if w.key.startswith("name_"))[len("name_"):]
    widget(at, "text_input", f"name_{key}").set_value("Tiny ICP")
    widget(at, "multiselect", f"roles_{key}").set_value(["economic_buyer"])
    widget(at, "text_input", f"titles_{key}").set_value("VP")
    button(at, "Update the draft").click().run()
    assert not at.exception, [e.value for e in at.exception]
    built = widget(at, "text_area", "icp").value
    assert icp.parse(built) == icp.parse((TINY / "icp.yaml").read_text())
    assert {m.label: m.value for m in at.metric}["Draft targets"] == "6"  # the README's six
    # ... downloaded as YAML and applied from the command line ...
    file = tmp_path / "from-the-page.yaml"
    file.write_text(built)
    assert cli.main(["targets", "apply", str(file), "--db", str(tiny_db), "--who", "ops"]) == 0
    # ... and the page reopens with it active, as its draft
    again = open_page(tiny_db, monkeypatch, "pages/targets.py")
    assert "Target definition version 1: Tiny ICP (ops" in text(again)
    assert icp.parse(widget(again, "text_area", "icp").value) == icp.parse(built)
    tiles = [(m.label, m.value) for m in again.metric][:4]  # the active definition's row
    assert tiles == [("Target people", "5"), ("Engaged targets", "4"),
                     ("Engaged target accounts", "4"), ("MQL noise share", "80 %")]


def test_a_bad_draft_is_refused_naming_the_rule(tiny_db, monkeypatch):
    bad = ("name: Bad\nrules:\n  - {field: industry, op: in, values: [Software]}\n"
           "  - {field: employes, op: '>=', value: 10}\n  - {field: region, op: in, values: "
           "[NA], weight: 0}\ntiers: {A: 40, B: 60}\n")
    at = open_page(tiny_db, monkeypatch, "pages/targets.py", icp=bad)
    refused = "\n".join(e.value for e in at.error).replace("\\", "")
    assert "The draft is refused" in refused
    assert "rule 2 (employes >= 10): unknown field 'employes'" in refused
    assert "rule 3 (region in NA): weight 0" in refused
    assert "tiers: A starts at 40 and B at 60; the thresholds overlap" in refused


def test_a_link_carrying_the_draft_reopens_it(tiny_db, monkeypatch):
    yaml_text = (TINY / "icp.yaml").read_text()
    at = open_page(tiny_db, monkeypatch, "pages/targets.py", icp=yaml_text, field="employees")
    assert icp.parse(widget(at, "text_area", "icp").value) == icp.parse(yaml_text)
    assert widget(at, "selectbox", "field").value == "employees"
    at = open_page(tiny_db, monkeypatch, "pages/targets.py", icp=yaml_text,
                   ttab="Two versions", vb="the draft")  # the tab that is open is in the link
    assert widget(at, "selectbox", "vb").value == "the draft"
    page = text(at)
    assert ("From the v1 rule (is_target, else fit_score) to the draft: 6 target accounts "
            "instead of 3 (+4 added, -1 removed).") in page


def test_applying_from_the_page_and_switching_off(tiny_db, monkeypatch):
    at = open_page(tiny_db, monkeypatch, "pages/targets.py", icp=(TINY / "icp.yaml").read_text())
    widget(at, "text_input", "icp_note").set_value("from the page")
    button(at, "Apply the draft").click().run()
    assert not at.exception, [e.value for e in at.exception]
    con = store.connect(tiny_db)
    try:
        from gtm.load import definitions
        entry = definitions.active_entry(con)
    finally:
        con.close()
    assert (entry.name, entry.who, entry.note) == ("Tiny ICP", "app user (no sign-in)",
                                                   "from the page")
    at = open_page(tiny_db, monkeypatch, "pages/targets.py")
    assert "Target definition version 1: Tiny ICP" in text(at)
    button(at, "Switch off (back to the v1 rule)").click().run()
    at = open_page(tiny_db, monkeypatch, "pages/targets.py")
    assert "No target definition is active" in text(at)


def test_targets_beside_mqls_warm_starts_and_the_overview_row(app_db, monkeypatch):
    mql = open_page(app_db, monkeypatch, "pages/mql-vs-pipeline.py")
    assert any(s.value == "Targets where MQLs were" for s in mql.subheader)
    assert {"Engaged targets", "MQL noise share"} <= {m.label for m in mql.metric}
    groups = open_page(app_db, monkeypatch, "pages/buying-groups.py")
    assert {"Warm-start rate", "Warm win rate", "Cold win rate"} <= {m.label for m in groups.metric}
    assert "new opportunities started warm" in text(groups)
    audit = next(d.value for d in groups.dataframe if "window_touches" in d.value.columns)
    assert 0 < len(audit) <= 300 and audit["is_warm"].is_monotonic_decreasing  # warm first
    picker = widget(groups, "selectbox", "wopp")
    assert picker.options == list(audit["opportunity_id"])
    overview = open_page(app_db, monkeypatch, "pages/overview.py")
    labels = [m.label for m in overview.metric]
    assert {"Engaged targets", "Engaged target accounts", "MQL noise share",
            "Warm-start rate"} <= set(labels)
    links = [p.label for p in overview.get("page_link")]
    assert any(label.startswith("**Targets** ·") for label in links)
    assert any(label.startswith("**Warm starts** ·") for label in links)


def test_the_growth_page_checks_the_field_example(app_db, monkeypatch):
    at = open_page(app_db, monkeypatch, "pages/growth.py", ptop="265000", psql="26000",
                   psal="2600", pmarket="7500")
    assert ("Infeasible: 265,000 visitors is 35.3x the market of 7,500 people at the top of "
            "the funnel (and 3.5x at SQL).") in [e.value.replace("\\", "") for e in at.error]
    assert "The target-based plan for the same" in text(at)
    example = open_page(app_db, monkeypatch, "pages/growth.py")
    button(example, "Try the field example").click().run()
    assert any("35.3x" in e.value for e in example.error)


def test_the_growth_market_can_come_from_the_target_people(app_db, monkeypatch):
    accounts = open_page(app_db, monkeypatch, "pages/growth.py")
    people = open_page(app_db, monkeypatch, "pages/growth.py", mbasis="Target people")
    assert widget(people, "radio", "mbasis").value == "Target people"
    from gtm.metrics import run
    from gtm.metrics.growth_inputs import historical
    from tests.test_pages_growth import Q3
    con = store.connect(app_db)
    try:
        hist = run(con, historical, Q3, __import__("gtm.filters").filters.Settings())
    finally:
        con.close()
    assert widget(accounts, "slider", "market").value == pytest.approx(
        hist["addressable_people"], rel=0.05)
    assert widget(people, "slider", "market").value == pytest.approx(hist["target_people"],
                                                                     rel=0.05)
