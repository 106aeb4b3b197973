"""`python -m gtm report` on tests/data/tiny (numbers: tests/data/tiny/README.md)."""

import argparse
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gtm import report
from gtm.metrics import registry

TINY = Path(__file__).parent / "data" / "tiny"
Q3 = ["--start", "2025-07-01", "--end", "2025-09-30"]


def parse(argv):
    parser = argparse.ArgumentParser(prog="gtm report")
    report.add_arguments(parser)
    return parser.parse_args(argv)


def run_json(argv, capsys):
    assert report.run(parse(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_every_registry_id_in_order(capsys):
    values = run_json([str(TINY), *Q3, "--qualified-stage", "Discovery"], capsys)
    assert list(values) == list(registry.METRICS)
    # hand values: 10 leads, 8 MQLs, 5 qualified / 260000, CAC 130000 / 2, payback 13
    assert (values["leads"], values["mqls"], values["qualified_opportunities"]) == (10, 8, 5)
    assert values["qualified_pipeline"] == 260000 and values["cac"] == 65000
    assert values["cac_payback_months"] == pytest.approx(13)
    assert values["stale_pipeline_amount"] == 60000


def test_json_null_where_undefined(capsys):
    # January 2024: no leads, no customers -> cpl, cac are null; counts are 0
    values = run_json([str(TINY), "--start", "2024-01-01", "--end", "2024-01-31"], capsys)
    assert values["cpl"] is None and values["cac"] is None and values["leads"] == 0
    assert list(values) == list(registry.METRICS)


def test_report_matches_compute_on_loaded_db(tiny_db, tiny_con, capsys):
    from datetime import date

    from gtm.filters import Filter, Settings
    from gtm.metrics import compute

    values = run_json(["--db", str(tiny_db), *Q3, "--channel", "paid_search"], capsys)
    expected = compute(tiny_con, Filter(date(2025, 7, 1), date(2025, 9, 30),
                                        channels=("paid_search",)), Settings())
    assert values == expected  # JSON round-trips floats exactly
    assert values["leads"] == 5 and values["marketing_spend"] == 30000  # paid_search only


def test_settings_flags_reach_the_metrics(capsys):
    # gross margin 0.5 -> payback 65000 / (75000 / 12 x 0.5) = 20.8; 150 stale days -> O6 only
    values = run_json([str(TINY), *Q3, "--qualified-stage", "Discovery", "--gross-margin",
                       "0.5", "--stale-days", "150"], capsys)
    assert values["cac_payback_months"] == pytest.approx(20.8)
    assert values["stale_pipeline_count"] == 1


def test_csv(capsys):
    assert report.run(parse([str(TINY), *Q3, "--format", "csv",
                             "--qualified-stage", "Discovery"])) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == list(registry.METRICS)
    by_id = {r["id"]: r for r in rows}
    assert by_id["cac"]["label"] == "CAC (blended)"
    assert float(by_id["cac"]["value"]) == 65000 and by_id["cac"]["formatted"] == "$65K"
    assert by_id["qualified_win_rate"]["formatted"] == "80 %"


def test_meta_goes_to_stderr(capsys):
    assert report.run(parse([str(TINY), *Q3, "--qualified-stage", "Discovery"])) == 0
    err = capsys.readouterr().err
    assert "qualified stage: Discovery" in err and "period ending 2025-09-30" in err


def test_bad_date_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        parse([str(TINY), "--start", "2025-13-01", "--end", "2025-09-30"])
    assert exc.value.code == 2
    assert "expected a date as YYYY-MM-DD" in capsys.readouterr().err


def test_bad_date_given_to_run_directly_exits_2(capsys):
    args = parse([str(TINY), *Q3])
    args.start = "30/09/2025"
    assert report.run(args) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_end_before_start_exits_2(capsys):
    assert report.run(parse([str(TINY), "--start", "2025-09-30", "--end", "2025-07-01"])) == 2
    assert "before its start" in capsys.readouterr().err


def test_unknown_qualified_stage_exits_2(capsys):
    assert report.run(parse([str(TINY), *Q3, "--qualified-stage", "SQO"])) == 2
    assert "unknown qualified stage 'SQO'" in capsys.readouterr().err


def test_missing_database_exits_1(tmp_path, capsys):
    assert report.run(parse(["--db", str(tmp_path / "none.duckdb"), *Q3])) == 1
    assert "no dataset loaded" in capsys.readouterr().err


def test_command_line(tmp_path):
    """The real entry point: python -m gtm report DIR ... (gtm/cli.py wires it)."""
    out = subprocess.run([sys.executable, "-m", "gtm", "report", str(TINY), *Q3,
                          "--qualified-stage", "Discovery"], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, timeout=120)
    assert out.returncode == 0, out.stderr
    values = json.loads(out.stdout)
    assert list(values) == list(registry.METRICS) and values["new_customers"] == 2


def test_report_by_channel_and_month_reuse_the_ids(tiny_db, capsys):
    # issue 15: any breakdown as JSON. Q3 leads by channel (README): paid_search P3 P4 P5 P8
    # P9 = 5, events P1 P13 = 2, content P6 P7 P11 = 3 -> 10 in all
    rows = run_json(["--db", str(tiny_db), *Q3, "--by", "channel"], capsys)
    leads = {r["channel"]: r["leads"] for r in rows}
    assert (leads["paid_search"], leads["events"], leads["content"]) == (5, 2, 3)
    assert sum(leads.values()) == 10
    assert all(set(r) == {"channel", *registry.METRICS} for r in rows)
    months = run_json(["--db", str(tiny_db), *Q3, "--by", "month"], capsys)
    assert [m["month"] for m in months] == ["2025-07", "2025-08", "2025-09"]
    assert sum(m["leads"] for m in months) == 10


def test_report_by_demand_type_as_csv(tiny_db, capsys):
    assert report.run(parse(["--db", str(tiny_db), *Q3, "--by", "demand_type",
                             "--format", "csv"])) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert set(rows[0]) == {"demand_type", "id", "label", "value", "formatted"}
    leads = sum(int(r["value"]) for r in rows if r["id"] == "leads")
    assert leads == 10  # every lead of Q3 falls in one demand type (or unassigned)
