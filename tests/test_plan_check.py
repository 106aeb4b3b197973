"""A plan in the old vocabulary checked against the market (metrics.md v2), and the two
commands of issue 16: `python -m gtm plan` and `python -m gtm targets`.

The field example: 265,000 visitors -> 26,000 SQLs -> 2,600 SALs against 7,500 people is
infeasible, 35.3x the market at the top (265,000 / 7,500 = 35.33) and 3.5x at SQL
(26,000 / 7,500 = 3.47); SAL is 2,600 / 7,500 = 34.7 % of it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gtm import cli, icp
from gtm.load.loader import load
from gtm.plan import check

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny_targets"
FIELD = "Infeasible: 265,000 visitors is 35.3x the market of 7,500 people at the top of the funnel (and 3.5x at SQL)."


def field_example(**market):
    steps = [check.parse_step("SQL=26000"), check.parse_step("SAL=2600")]
    return check.check(265_000, steps, market.get("market", 7_500))


def test_the_field_example_reads_infeasible_by_35_3x():
    result = field_example()
    assert result.feasible is False and result.sentence() == FIELD
    assert [round(r.factor, 2) for r in result.rows] == [35.33, 3.47, 0.35]
    assert [check.factor_text(r) for r in result.rows] == [
        "35.3x the market", "3.5x the market", "34.7 % of the market"]
    assert result.rows[1].rate == pytest.approx(26_000 / 265_000)
    assert result.worst.name == "visitors"


def test_rates_work_like_volumes():
    result = check.check(265_000, [check.parse_step("SQL=10%"), check.parse_step("SAL = 10 %")],
                         7_500)
    assert [r.volume for r in result.rows] == [265_000, 26_500, 2_650]
    assert [r.given for r in result.rows] == ["top", "rate", "rate"]


def test_a_rate_of_zero_leaves_nothing_after_it():
    result = check.check(1_000, [check.parse_step("SQL=0%"), check.parse_step("SAL=50%")], 5_000)
    assert [r.volume for r in result.rows] == [1_000, 0, 0]
    assert result.feasible and result.sentence().startswith("Feasible: every step fits")
    assert check.notes(result) == ["SQL converts 0 % of visitors: every step after it is 0."]


def test_a_market_of_zero_makes_any_volume_infeasible_without_a_factor():
    result = field_example(market=0)
    assert result.feasible is False and all(r.factor is None for r in result.rows)
    assert result.sentence() == ("Infeasible: the market is empty (0 people), so no step with "
                                 "any volume can be reached.")
    assert check.factor_text(result.rows[0]) == "over an empty market"


def test_missing_steps_and_an_unknown_market():
    top_only = check.check(5_000, [], 7_500)
    assert len(top_only.rows) == 1 and top_only.feasible
    unknown = check.check(5_000, [check.parse_step("SQL=500")], None)
    assert unknown.feasible is None and unknown.rows[1].over is None
    assert unknown.sentence() == "The market is unknown, so the plan is not checked against it."


@pytest.mark.parametrize("steps, message", [
    (["SQL=300000"], "SQL: 300,000 is more than the 265,000 visitors before it"),
    (["SQL=120%"], "SQL: a conversion rate from visitors is at most 100 %"),
    (["SQL=-5"], "SQL: '-5' must be a number of at least 0"),
    (["SQL=lots"], "SQL: 'lots' is neither a volume (26000) nor a rate (10%)"),
    (["SQL"], "'SQL' is not a step; write NAME=VOLUME or NAME=RATE%"),
])
def test_a_bad_step_is_refused_naming_the_step(steps, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check.check(265_000, [check.parse_step(s) for s in steps], 7_500)
    assert check.check(265_000, [check.Step("SQL", 26_000)], 7_500)  # a Step the page builds
    with pytest.raises(ValueError, match="give either its volume or its rate"):
        check.check(10, [check.Step("SQL")], 5)


# --- python -m gtm plan ---------------------------------------------------------------------


def gtm(*args, db: Path | None = None) -> subprocess.CompletedProcess:
    env_db = [] if db is None else ["--db", str(db)]
    return subprocess.run([sys.executable, "-m", "gtm", *args, *env_db], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_plan_command_prints_each_step_against_the_market():
    done = gtm("plan", "--top", "265000", "--step", "SQL=26000", "--step", "SAL=2600",
               "--market", "7500")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "market: 7,500 people (entered)"
    assert lines[2].split() == ["visitors", "265,000", "35.3x", "the", "market"]
    assert lines[3].split() == ["SQL", "26,000", "9.8", "%", "3.5x", "the", "market"]
    assert lines[-1] == FIELD


def test_plan_command_json_and_rates():
    done = gtm("plan", "--top", "265000", "--step", "SQL=10%", "--market", "7500",
               "--format", "json")
    out = json.loads(done.stdout)
    assert out["feasible"] is False and out["market_from"] == "entered"
    assert [s["volume"] for s in out["steps"]] == [265_000, 26_500]
    assert out["steps"][0]["factor"] == pytest.approx(35.3333)


def test_plan_command_refuses_a_bad_step_with_exit_2():
    done = gtm("plan", "--top", "100", "--step", "SQL=200", "--market", "50")
    assert done.returncode == 2
    assert "SQL: 200 is more than the 100 visitors before it" in done.stderr


def test_plan_command_reads_the_market_from_the_dataset(tmp_path):
    db = tmp_path / "t.duckdb"
    assert load(TINY, db).ok
    done = gtm("plan", "--top", "100", "--group-size", "10", db=db)
    assert done.stdout.splitlines()[0] == ("market: 30 people (the dataset: 3 target accounts "
                                           "x 10)")  # the v1 rule: T01 T02 T06
    assert "3.3x the market" in done.stdout


# --- python -m gtm targets ---------------------------------------------------------------------


def test_targets_command_round_trip(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    assert load(TINY, db).ok
    assert cli.main(["targets", "show", "--db", str(db)]) == 0
    assert "no target definition is active" in capsys.readouterr().err
    assert cli.main(["targets", "check", str(TINY / "icp.yaml"), "--db", str(db)]) == 0
    assert "'Tiny ICP' is a valid target definition" in capsys.readouterr().out
    assert cli.main(["targets", "apply", str(TINY / "icp.yaml"), "--db", str(db),
                     "--who", "ops", "--note", "from git"]) == 0
    assert "applied version 1: Tiny ICP (ops," in capsys.readouterr().out
    assert cli.main(["targets", "show", "--db", str(db)]) == 0
    shown = capsys.readouterr().out
    assert icp.parse(shown) == icp.parse((TINY / "icp.yaml").read_text())  # YAML out = in
    assert cli.main(["targets", "diff", "none", "active", "--db", str(db)]) == 0
    diff = capsys.readouterr().out
    assert "target accounts: 3 -> 6 (+4 added, -1 removed)" in diff
    assert cli.main(["targets", "off", "--db", str(db), "--who", "ops"]) == 0
    assert cli.main(["targets", "show", "--history", "--db", str(db)]) == 0
    history = capsys.readouterr().out
    assert "version 1: Tiny ICP (ops" in history and "version 2: switched off" in history
    assert cli.main(["targets", "diff", "1", "2", "--db", str(db)]) == 0
    assert "target accounts: 6 -> 3" in capsys.readouterr().out


def test_targets_command_refuses_a_bad_definition_naming_the_rule(tmp_path, capsys):
    db = tmp_path / "t.duckdb"
    assert load(TINY, db).ok
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad\nrules:\n  - {field: industry, op: in, values: [Software]}\n"
                   "  - {field: headcount, op: '>=', value: 10, weight: 2}\n"
                   "  - {field: employees, op: 'like', values: [1]}\n"
                   "  - {field: region, op: in, values: [NA], weight: 0}\n"
                   "tiers: {A: 40, B: 60}\n")
    assert cli.main(["targets", "apply", str(bad), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: rule 2 (headcount >= 10): unknown field 'headcount'" in err
    assert "bad.yaml: rule 3 (employees like 1): unknown operator 'like'" in err
    assert "bad.yaml: rule 4 (region in NA): weight 0" in err
    assert "bad.yaml: tiers: A starts at 40 and B at 60; the thresholds overlap" in err
    assert cli.main(["targets", "diff", "7", "active", "--db", str(db)]) == 2
    assert "no version 7 in the history" in capsys.readouterr().err
