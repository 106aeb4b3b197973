"""Target definitions (metrics.md v2) on tests/data/tiny_targets and warm starts on
tests/data/tiny_warm: every expected number is worked out in the fixture's README.

A definition is refused with a sentence naming the rule; applied, it writes a new dataset
version (the published one is never changed), every page's target accounts follow it through
the one target flag, and a new load keeps it. Without one nothing changes (the v1 rule).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from gtm import icp
from gtm.filters import Filter, Settings
from gtm.load import definitions, store, targets
from gtm.load.loader import load
from gtm.metrics import compute, registry, run, warm
from gtm.metrics import targets as tm
from gtm.narrative import targets as target_find

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny_targets"
Q3 = Filter(date(2025, 7, 1), date(2025, 9, 30))
DEFAULTS = Settings()
TARGET_IDS = ["target_people", "engaged_targets", "engaged_target_accounts", "mql_noise_share"]


def definition() -> icp.Definition:
    return icp.parse((TINY / "icp.yaml").read_text())


@pytest.fixture(scope="module")
def v1_db(tmp_path_factory):
    """tiny_targets loaded, no definition applied (the v1 rule)."""
    db = tmp_path_factory.mktemp("targets_v1") / "t.duckdb"
    assert load(TINY, db).ok
    return db


@pytest.fixture(scope="module")
def def_db(tmp_path_factory):
    """tiny_targets loaded, then icp.yaml applied."""
    db = tmp_path_factory.mktemp("targets_def") / "t.duckdb"
    assert load(TINY, db).ok
    applied = targets.apply(definition(), "tester", "first try", db)
    assert applied.changed and applied.warnings == ()
    return db


def values(db, ids, flt=Q3, settings=DEFAULTS):
    con = store.connect(db)
    try:
        return compute(con, flt, settings, ids=ids)
    finally:
        con.close()


def call(db, fn, *args, settings=DEFAULTS):
    con = store.connect(db)
    try:
        return run(con, fn, Q3, settings, *args)
    finally:
        con.close()


# --- a definition as data: parsed, written back, refused with the rule named ----------------


def test_the_fixture_definition_reads_as_written():
    d = definition()
    assert d.name == "Tiny ICP" and d.points == 6 and (d.tier_a, d.tier_b) == (80, 50)
    assert [r.text() for r in d.rules] == ["industry in Software, Fintech",
                                           "employees between 200 and 5,000",
                                           "technologies contains snowflake"]
    assert d.persona == icp.Persona(("economic_buyer",), ("VP",))
    assert icp.parse(icp.to_yaml(d)) == d  # YAML round trip


@pytest.mark.parametrize("change, named", [
    ({"field": "employes"}, "rule 2 (employes between 200, 5000): unknown field 'employes'"),
    ({"op": "~"}, "rule 2 (employees ~ 200, 5000): unknown operator '~'"),
    ({"weight": 0}, "rule 2 (employees between 200, 5000): weight 0; a rule's weight must be "
                    "a number greater than 0"),
    ({"op": ">=", "field": "industry", "values": [5]},
     "rule 2 (industry >= 5): >= compares numbers, and industry is text"),
    ({"values": [5000, 200]}, "rule 2 (employees between 5000, 200): 'between' needs two "
                              "numbers, the lower first"),
    ({"wieght": 2}, "rule 2 (employees between 200, 5000): unknown key 'wieght'"),
])
def test_a_bad_rule_is_refused_naming_the_rule(change, named):
    doc = icp.to_dict(definition())
    doc["rules"][1] = {**doc["rules"][1], **change}
    fields = {"industry": "text", "employees": "number", "technologies": "list"}
    with pytest.raises(icp.DefinitionError) as refused:
        icp.from_dict(doc, fields)
    assert any(named in p for p in refused.value.problems), refused.value.problems


def test_overlapping_tiers_and_a_wrong_target_tier_are_refused():
    doc = {**icp.to_dict(definition()), "tiers": {"A": 50, "B": 60}, "target_tier": "D"}
    with pytest.raises(icp.DefinitionError) as refused:
        icp.from_dict(doc)
    assert refused.value.problems == [
        "tiers: A starts at 50 and B at 60; the thresholds overlap: A must start above B (C "
        "is below B)",
        "target_tier: 'D' is not a tier; expected A, B or C"]


def test_malformed_documents_are_refused_with_a_sentence():
    for text, expected in [
        ("name: x\nrules: []\n", "a definition needs at least one rule"),
        ("- just\n- a list\n", "expected a mapping with name, rules and tiers"),
        ("name: x\nrules: [\n", "not valid YAML: line"),
        ("a: &a [1]\nb: *a\n", "anchors and aliases (&name, *name) are not accepted in a "
                               "target definition"),
        ("x" * (icp.MAX_BYTES + 1), "a target definition is at most 64 KB"),
    ]:
        with pytest.raises(icp.DefinitionError) as refused:
            icp.parse(text)
        assert expected in str(refused.value), (text[:40], refused.value.problems)


def test_diff_names_each_change():
    before = definition()
    after = icp.from_dict({**icp.to_dict(before), "tiers": {"A": 75, "B": 50},
                           "rules": [*icp.to_dict(before)["rules"][:2],
                                     {"field": "region", "op": "in", "values": ["NA"]}]})
    assert icp.diff(before, after) == [
        "rule added: region in NA (weight 1)",
        "rule removed: technologies contains snowflake (weight 1)",
        "tiers: A from 80, B from 50 -> A from 75, B from 50"]
    assert icp.diff(None, before)[0].startswith("target definition 'Tiny ICP' with 3 rules")


# --- scoring: the README's fit, tier and target per account ---------------------------------

README_FIT = {  # account: (fit, tier, matched rules, target)
    "T01": (100.0, "A", [1, 2, 3], True), "T02": (500 / 6, "A", [1, 2], True),
    "T03": (400 / 6, "B", [1, 3], True), "T04": (50.0, "B", [1], True),
    "T05": (50.0, "B", [2, 3], True), "T06": (200 / 6, "C", [2], False),
    "T07": (100 / 6, "C", [3], False), "T08": (0.0, "C", [], False),
    "T09": (0.0, "C", [], False), "T10": (500 / 6, "A", [1, 2], True),
}


def test_the_applied_definition_scores_every_account_as_the_readme_says(def_db):
    con = store.connect(def_db)
    try:
        rows = con.execute("select account_id, def_fit, def_tier, coalesce(def_rules, []), "
                           "target_def from int_accounts order by account_id").fetchall()
        kinds = dict(con.execute("select field, kind from int_account_field_list").fetchall())
    finally:
        con.close()
    assert {r[0]: (pytest.approx(r[1]), r[2], list(r[3]), r[4]) for r in rows} == README_FIT
    assert kinds["technologies"] == "list" and kinds["employees"] == "number"


def test_a_draft_scores_the_same_as_the_applied_definition(v1_db):
    frame = call(v1_db, tm.scored, definition()).set_index("account_id")
    assert {a: (pytest.approx(r.fit), r.tier, r.is_target) for a, r in frame.iterrows()} == {
        a: (pytest.approx(f), t, g) for a, (f, t, _, g) in README_FIT.items()}
    assert not frame.loc["T09", "has_data"] and frame.loc["T08", "has_data"]


def test_outcomes_by_tier_are_the_readmes(v1_db):
    df = call(v1_db, tm.tier_outcomes, definition()).set_index("group")
    assert df.loc[:, "accounts"].tolist() == [3, 3, 3, 1]
    assert df.loc[:, "new_customers"].tolist() == [2, 1, 1, 0]
    assert df["qualified_win_rate"].tolist() == pytest.approx([0.5, 2 / 3, 1 / 3, 0.0])
    assert df.loc["tier A", "avg_won_amount"] == 80_000 and df.loc["tier B", "avg_won_amount"] == 30_000
    assert df.loc["tier A", "sales_cycle_days"] == 53.5 and df.loc["tier B", "sales_cycle_days"] == 60.5
    assert df.loc["tier B", "nrr_12m"] == 3.0 and df.loc["tier C", "nrr_12m"] == 0.0
    assert df["nrr_12m"].isna().tolist() == [True, False, False, True]
    assert df["target"].tolist() == [True, True, False, False]


def test_two_versions_side_by_side(v1_db):
    result = call(v1_db, tm.compare, None, definition())
    assert {k: result[k] for k in ("before", "after", "added", "removed", "kept")} == {
        "before": 3, "after": 6, "added": 4, "removed": 1, "kept": 2}
    out = result["outcomes"].set_index("group")
    assert out.loc["added", "new_customers"] == 1  # T03 (O5); T05's first win was in 2024
    assert out.loc["removed", "qualified_win_rate"] == 0.0  # T06's O9 lost


def test_the_draft_preview_counts_are_the_readmes(v1_db):
    counts = call(v1_db, tm.draft_counts, definition())
    assert counts == {"draft_targets": 6, "now_targets": 3, "added": 4, "removed": 1,
                      # rule 1: T01 T02 T03 T04 T10; rule 2: T01 T02 T05 T06 T10;
                      # rule 3: T01 T03 T05 T07
                      "rule_counts": [5, 5, 4]}


def test_the_evidence_for_a_rule(v1_db):
    df = call(v1_db, tm.evidence, "industry", False).set_index("value")
    assert df.loc["Software", "accounts"] == 3  # T01, T03 and T10 ('software')
    assert df.loc["Software", "new_customers"] == 2
    assert df.loc["Software", "qualified_win_rate"] == pytest.approx(2 / 3)  # O1 O5 won, O4 lost
    assert df.loc["(no value)", "accounts"] == 1  # T09
    tools = call(v1_db, tm.evidence, "technologies", False).set_index("value")
    assert tools.loc["Snowflake", "accounts"] == 4  # T01 T03 T05 T07, each tool a value
    sizes = call(v1_db, tm.evidence, "employees", True)
    assert sizes["accounts"].sum() == 10 and sizes["value"].iloc[-1] == "(no value)"


def test_account_list_is_sorted_for_follow_up_and_names_the_rules(v1_db):
    df = call(v1_db, tm.account_list, definition())
    assert df["account_id"].tolist()[:6] == ["T01", "T02", "T10", "T05", "T03", "T04"]
    first = df.iloc[0]
    assert first["rules"] == ("industry in Software, Fintech; employees between 200 and 5,000; "
                              "technologies contains snowflake")
    assert (first["engaged_people"], first["touches"], first["customer"]) == (2, 2, True)
    people = call(v1_db, tm.people_list, definition())
    assert people["person_id"].tolist() == ["P01", "P03", "P09", "P06", "P05"]


# --- targets where MQLs were: the v2 ids, before and after the definition -----------------


def test_without_a_definition_the_v1_rule_decides(v1_db):
    assert values(v1_db, TARGET_IDS + ["target_account_penetration"]) == {
        "target_people": 4, "engaged_targets": 4, "engaged_target_accounts": 3,
        "mql_noise_share": 0.4, "target_account_penetration": 1.0}


def test_with_the_definition_every_target_count_follows_it(def_db):
    got = values(def_db, TARGET_IDS + ["target_account_penetration", "target_leads"])
    assert got == {"target_people": 5, "engaged_targets": 4, "engaged_target_accounts": 4,
                   "mql_noise_share": 0.8, "target_account_penetration": pytest.approx(4 / 6),
                   "target_leads": 1}  # P06: the one lead of Q3 at a target account
    months = call(def_db, tm.by_month)
    assert months["engaged_targets"].tolist() == [2, 1, 1]
    assert months["noise_mqls"].sum() == 4 and months["mqls"].sum() == 5


def test_switching_off_gives_back_every_v1_number(v1_db, def_db, tmp_path):
    db = tmp_path / "off.duckdb"
    assert load(TINY, db).ok
    targets.apply(definition(), "tester", "", db)
    off = targets.apply(None, "tester", "back to the list", db)
    assert off.changed and off.entry.yaml is None
    ids = list(registry.METRICS)
    assert values(db, ids) == values(v1_db, ids)


# --- versioned in the dataset: a new version, never in place; who, when, what -------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_applying_writes_a_new_version_and_keeps_the_history(tmp_path):
    db = tmp_path / "v.duckdb"
    assert load(TINY, db).ok
    first = store.current_version(db)
    before = _sha(first)
    applied = targets.apply(definition(), "alice", "first cut", db)
    assert applied.version != first and store.current_version(db) == applied.version
    assert _sha(first) == before  # the published file was not touched
    again = targets.apply(definition(), "bob", "", db)
    assert not again.changed and store.current_version(db) == applied.version
    wider = icp.from_dict({**icp.to_dict(definition()), "target_tier": "C"})
    targets.apply(wider, "bob", "everyone", db)
    _, history = targets.active(db)
    assert [(e.version, e.who, e.note) for e in history] == [
        (1, "alice", "first cut"), (2, "bob", "everyone")]
    assert history[1].change == "target tier: B -> C"
    assert history[0].changed_at[:4].isdigit() and history[1].label.startswith("version 2")
    assert store.read_history(db)[-1]["source"] == ("target definition 'Tiny ICP' (version 2) "
                                                    "applied by bob")


def test_a_new_load_keeps_the_active_definition(tmp_path):
    db = tmp_path / "keep.duckdb"
    assert load(TINY, db).ok
    targets.apply(definition(), "alice", "", db)
    reloaded = load(TINY, db)
    assert reloaded.ok and values(db, ["target_people"]) == {"target_people": 5}
    assert [e.who for e in targets.active(db)[1]] == ["alice"]


def test_a_load_without_a_rules_field_warns_and_that_rule_matches_nothing(tmp_path):
    db = tmp_path / "lost.duckdb"
    assert load(TINY, db).ok
    targets.apply(definition(), "alice", "", db)
    folder = tmp_path / "extract"
    folder.mkdir()
    for f in TINY.glob("*.csv"):
        text = f.read_text()
        if f.name == "accounts.csv":  # the export lost its technologies column
            text = "\n".join(",".join(line.split(",")[:8]) for line in text.splitlines()) + "\n"
        (folder / f.name).write_text(text)
    result = load(folder, db)
    assert result.ok
    assert any("rule 3 (technologies contains snowflake): the accounts have no field "
               "technologies, so no account matches this rule" in w.text for w in result.warnings)
    con = store.connect(db)
    try:
        fit = con.execute("select def_fit from int_accounts where account_id = 'T01'").fetchone()
    finally:
        con.close()
    assert fit[0] == pytest.approx(500 / 6)  # rules 1 and 2 of 6 points


def test_apply_refuses_a_rule_on_a_field_the_dataset_lacks(v1_db):
    bad = icp.from_dict({**icp.to_dict(definition()),
                         "rules": [{"field": "funding", "op": "is not empty"}]})
    with pytest.raises(icp.DefinitionError, match=r"rule 1 \(funding is not empty\): unknown "
                                                  r"field 'funding'"):
        targets.apply(bad, "tester", "", v1_db)


def test_definitions_history_is_empty_before_any(v1_db):
    con = store.connect(v1_db)
    try:
        assert definitions.history(con) == [] and definitions.active(con) is None
    finally:
        con.close()


# --- warm starts (tests/data/tiny_warm/README.md) ------------------------------------------


@pytest.fixture(scope="module")
def warm_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("warm") / "w.duckdb"
    result = load(DATA / "tiny_warm", db)
    assert result.ok, [str(e) for e in result.errors]
    return db


WARM_IDS = ["warm_start_rate", "warm_win_rate", "cold_win_rate"]


@pytest.mark.parametrize("settings, expected", [
    (Settings(), (0.4, 1.0, 0.25)),
    (Settings(sales_channels=()), (0.6, 1.0, 0.0)),
    (Settings(warm_touches=4), (0.0, None, 2 / 5)),
    (Settings(warm_days=60), (0.2, None, 2 / 5)),
], ids=["defaults", "no sales-owned channel", "4 touches", "60 days"])
def test_warm_starts_follow_the_readme(warm_db, settings, expected):
    got = values(warm_db, WARM_IDS, settings=settings)
    assert [got[k] for k in WARM_IDS] == [pytest.approx(v) if v is not None else None
                                          for v in expected]


def test_warm_against_cold_by_segment(warm_db):
    df = call(warm_db, warm.breakdown, "segment").set_index("segment")
    assert df.index[0] == "all" and df.loc["all", "opportunities"] == 5
    assert (df.loc["all", "warm_avg_won"], df.loc["all", "cold_avg_won"]) == (50_000, 30_000)
    assert (df.loc["all", "warm_cycle_days"], df.loc["all", "cold_cycle_days"]) == (43, 36)
    assert df.loc["Enterprise", ["opportunities", "warm_starts"]].tolist() == [1, 1]
    assert df.loc["Enterprise", "cold_win_rate"] == 0.0  # D5
    assert df.loc["SMB", "cold_win_rate"] == 0.5 and df.loc["SMB", "warm_starts"] == 0
    assert df.loc["unknown", "opportunities"] == 1  # D6, no account


@pytest.mark.parametrize("settings", [DEFAULTS, Settings(sales_channels=())],
                         ids=["defaults", "no sales-owned channel"])
def test_the_headline_is_the_breakdowns_whole_view_row(warm_db, settings):
    # The Overview's sentence reads warm.headline, Buying groups' the breakdown's 'all'
    # row: 5 new deals, 2 warm (0.4), warm deals win 1 of 1, cold 1 of 4 (README).
    head = call(warm_db, warm.headline, settings=settings)
    total = call(warm_db, warm.breakdown, "channel", settings=settings).iloc[0]
    assert head["opportunities"] == total["opportunities"] == 5
    for column in WARM_IDS:
        assert head[column] == pytest.approx(total[column])
    assert target_find.warm_finding(head) == target_find.warm_finding(total)
    if settings == DEFAULTS:
        assert target_find.warm_finding(head) == (
            "40 % of 5 new opportunities started warm; warm starts win 100 %, cold 25 % (4.0x).")


def test_the_audit_shows_the_touches_behind_a_warm_start(warm_db):
    deals = call(warm_db, warm.audit).set_index("opportunity_id")
    assert deals.loc["D1", ["is_warm", "window_people", "window_touches"]].tolist() == [True, 2, 3]
    assert deals.loc["D3", ["is_warm", "window_touches"]].tolist() == [False, 1]
    touches = call(warm_db, warm.window_touches, "D1")
    assert touches[["person_id", "channel"]].values.tolist() == [
        ["WA1", "email"], ["WA2", "events"], ["WA2", "content"]]
    assert str(touches["touch_day"].iloc[0])[:10] == "2025-04-16"  # day 90 is in; day 91 is not
