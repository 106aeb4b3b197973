"""`python -m gtm`: load, history, help, and the delegated commands."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

import gtm
from gtm import cli
from gtm.load import store

REPO = Path(__file__).resolve().parent.parent


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0
    for command in ("load", "history", "demo", "report", "bench"):
        assert command in out


@pytest.mark.parametrize("command,words", [
    ("load", "A refused load changes nothing"),
    ("history", "accepted or refused"),
    ("demo", "demo extract"),
])
def test_each_command_explains_itself_and_takes_db(capsys, command, words):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert words in out and "--db PATH" in out


def test_load_prints_rows_and_progress(capsys, tiny_load_dir, tmp_path):
    db = tmp_path / "c.duckdb"
    code, out, err = run(capsys, "load", str(tiny_load_dir), "--db", str(db))
    assert code == 0
    assert "people" in out and " 4 rows" in out
    assert "[100%] loaded" in err and "reading people.csv" in err
    assert "warning: touches.parquet" in out  # P9 is not a person: listed, not hidden
    assert store.current_version(db) is not None


def test_refused_load_exits_1_with_messages_on_stderr(capsys, tiny_load_dir, tmp_path):
    db = tmp_path / "c.duckdb"
    assert run(capsys, "load", str(tiny_load_dir), "--db", str(db), "--quiet")[0] == 0
    before = store.current_version(db)
    people = tiny_load_dir / "people.csv"
    people.write_text(people.read_text().replace("VP Eng,champion,,", "VP Eng,champion,2025-02-30,"))
    code, out, err = run(capsys, "load", str(tiny_load_dir), "--db", str(db), "--quiet")
    assert code == 1 and out == ""
    assert ("error: people.csv, line 3, column mql_date: '2025-02-30' is not a date; "
            "expected ISO 8601 like 2025-03-31") in err
    assert "the loaded dataset is unchanged" in err
    assert store.current_version(db) == before


def test_history_is_newest_first(capsys, tiny_load_dir, tmp_path):
    db = tmp_path / "h.duckdb"
    run(capsys, "load", str(tiny_load_dir), "--db", str(db), "--quiet")
    (tiny_load_dir / "people.csv").unlink()
    run(capsys, "load", str(tiny_load_dir), "--db", str(db), "--quiet")
    code, out, _ = run(capsys, "history", "--db", str(db), "--files")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("when (UTC)")
    assert " refused " in lines[1] and "people.csv: required file is missing" in lines[1]
    ok_line = next(i for i, line in enumerate(lines) if " ok " in line)
    assert ok_line > 1 and "sha256" in out


def test_history_without_loads(capsys, tmp_path):
    code, out, _ = run(capsys, "history", "--db", str(tmp_path / "none.duckdb"))
    assert code == 0 and "no loads recorded" in out


def test_python_dash_m_gtm_refuses_with_exit_code(tiny_load_dir, tmp_path):
    (tiny_load_dir / "people.csv").unlink()
    proc = subprocess.run([sys.executable, "-m", "gtm", "load", str(tiny_load_dir), "--db",
                           str(tmp_path / "s.duckdb")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "error: people.csv: required file is missing" in proc.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_demo_delegates_to_gtm_demo(capsys, monkeypatch, tmp_path):
    seen = {}
    fake = types.ModuleType("gtm.demo")
    fake.run = lambda args: seen.update(vars(args)) or 0
    monkeypatch.setitem(sys.modules, "gtm.demo", fake)
    monkeypatch.setattr(gtm, "demo", fake, raising=False)  # once imported, the attribute wins
    code, _, _ = run(capsys, "demo", "--accounts", "12", "--seed", "3", "--out",
                     str(tmp_path), "--db", str(tmp_path / "d.duckdb"))
    assert code == 0
    assert (seen["accounts"], seen["seed"], seen["out"]) == (12, 3, tmp_path)


def test_missing_delegated_module_says_not_available_yet(capsys, monkeypatch):
    monkeypatch.setitem(cli.DELEGATED, "report", ("gtm.no_such_module", "report"))
    code, _, err = run(capsys, "report")
    assert code == 2 and "not available yet" in err


def test_report_gets_its_options_from_gtm_report(capsys, monkeypatch):
    seen = {}
    fake = types.ModuleType("gtm.fake_report")
    fake.add_arguments = lambda p: p.add_argument("--start")
    fake.run = lambda args: seen.update(vars(args)) or 0
    monkeypatch.setitem(sys.modules, "gtm.fake_report", fake)
    monkeypatch.setitem(cli.DELEGATED, "report", ("gtm.fake_report", "report"))
    assert run(capsys, "report", "--start", "2025-01-01", "--db", "x.duckdb")[0] == 0
    assert seen["start"] == "2025-01-01" and seen["db"] == Path("x.duckdb")
