"""One definition, two engines: every metric id equal on DuckDB and on Spark (issue 19).

Each dataset (the tiny fixtures and the default-size demo) is loaded by the real loader into
DuckDB, written out by `python -m gtm export-parquet`, read back by gtm.spark (which builds
the intermediate tables from staging's own SQL) and computed by gtm.spark.engine; the same
`compute` on DuckDB is the reference. Equal means within 1e-9 relative, None where None, for
two periods and one filtered view each. One local SparkSession serves the module (local[2],
2 shuffle partitions, no UI); each dataset gets its own Spark session on it (its own temp
views). Without Java the module skips, saying so, unless TARGETLINE_REQUIRE_SPARK is set
(.ci/run sets it after installing Java), where a missing Java is a failure.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from gtm import cli
from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.load.loader import load
from gtm.metrics import compute, registry

DATA = Path(__file__).parent / "data"
JAVA = shutil.which("java")

if JAVA is None and not os.environ.get("TARGETLINE_REQUIRE_SPARK"):
    pytest.skip("no Java runtime on this machine (`make java` or `apt-get install "
                "default-jre-headless`); Spark cannot start", allow_module_level=True)


def test_java_is_there_when_ci_requires_it():
    assert JAVA is not None, "TARGETLINE_REQUIRE_SPARK is set but `java` is not on PATH"


GROUPS = Settings(group_size=3, required_roles=("economic_buyer", "champion",
                                                "decision_maker", "user"))
# dataset -> [(filter, settings)]: two periods and one filtered view (with a non-default
# setting where the fixture's README uses one)
VIEWS = {
    "tiny": [
        (Filter(date(2025, 7, 1), date(2025, 9, 30)), Settings(qualified_stage="Discovery")),
        (Filter(date(2025, 1, 1), date(2025, 6, 30)), Settings()),
        (Filter(date(2025, 7, 1), date(2025, 9, 30), regions=("NA",),
                channels=("paid_search", "events")), Settings(qualified_stage="Discovery")),
    ],
    "tiny_groups": [
        (Filter(date(2025, 4, 1), date(2025, 6, 30)), GROUPS),
        (Filter(date(2025, 1, 1), date(2025, 3, 31)), Settings()),
        (Filter(date(2025, 4, 1), date(2025, 6, 30), segments=("SMB",)), GROUPS),
    ],
    "tiny_arr": [
        (Filter(date(2025, 4, 1), date(2025, 6, 30)), Settings()),
        (Filter(date(2024, 7, 1), date(2025, 3, 31)), Settings()),
        (Filter(date(2025, 4, 1), date(2025, 6, 30), regions=("NA",)), Settings()),
    ],
    "demo": [
        (Filter(date(2026, 7, 1), date(2026, 9, 30)), Settings()),
        (Filter(date(2026, 1, 1), date(2026, 10, 31)), Settings(qualified_stage="auto",
                                                                qualified_threshold=0.4)),
        (Filter(date(2026, 7, 1), date(2026, 9, 30), regions=("EMEA", "NA"),
                segments=("Enterprise",), channels=("paid_search", "events", "webinar"),
                motions=("sales_led",)), Settings(lookback_days=60)),
    ],
}


@pytest.fixture(scope="module")
def spark():
    from gtm.spark import session

    spark = session.get_session(master="local[2]", partitions=2, memory="1g")
    yield spark
    spark.stop()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """dataset -> (DuckDB path, Parquet folder written by `python -m gtm export-parquet`)."""
    from gtm import demo

    root = tmp_path_factory.mktemp("spark")
    folders = {name: DATA / name for name in VIEWS if name != "demo"}
    folders["demo"] = root / "demo-extract"
    demo.generate(folders["demo"])  # the default size of `python -m gtm demo`
    out = {}
    for name, folder in folders.items():
        db = root / f"{name}.duckdb"
        result = load(folder, db)
        assert result.ok, [str(e) for e in result.errors]
        parquet = root / f"{name}-parquet"
        assert cli.main(["export-parquet", "--db", str(db), "--out", str(parquet)]) == 0
        out[name] = db, parquet
    return out


def assert_same(duck: dict, spark: dict, where: str) -> None:
    assert list(spark) == list(duck) == list(registry.METRICS)
    wrong = {mid: (duck[mid], spark[mid]) for mid in duck
             if not _equal(duck[mid], spark[mid])}
    assert wrong == {}, f"{where}: metric id: (DuckDB, Spark)"


def _equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


def test_equal_means_equal():
    # the comparison itself: a relative difference of 1e-6 or a None against 0 is a failure
    assert _equal(None, None) and _equal(0, 0) and _equal(1.0, 1.0 + 1e-12)
    assert not _equal(None, 0) and not _equal(0, None) and not _equal(1.0, 1.000001)


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_metric_id_equal_on_duckdb_and_spark(name, spark, extracts):
    from gtm.spark import engine, source

    db, parquet = extracts[name]
    duck = store.connect(db)
    con = source.open_source(spark.newSession(), str(parquet))
    try:
        checked = 0
        for flt, settings in VIEWS[name]:
            expected = compute(duck, flt, settings)
            got = engine.compute(con, flt, settings)
            assert_same(expected, got, f"{name} {flt} {settings}")
            checked += sum(v is not None for v in expected.values())
        assert checked > 0  # the datasets have numbers to compare, not only n/a
    finally:
        con.close()
        duck.close()


def test_report_command_on_spark_prints_what_duckdb_prints(spark, extracts, capsys):
    db, parquet = extracts["tiny"]
    period = ["--start", "2025-07-01", "--end", "2025-09-30", "--qualified-stage", "Discovery",
              "--channel", "paid_search"]
    assert cli.main(["report", "--db", str(db), *period]) == 0
    duck = json.loads(capsys.readouterr().out)
    assert cli.main(["report", "--engine", "spark", "--source", str(parquet), *period]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == duck
    assert "engine spark" in out.err and "qualified stage: Discovery" in out.err
    assert duck["leads"] == 5  # tests/data/tiny/README.md: paid_search leads in Q3


def test_export_writes_one_folder_per_provided_table(extracts):
    import duckdb

    db, parquet = extracts["tiny_arr"]
    manifest = json.loads((parquet / "_targetline.json").read_text())
    con = duckdb.connect()
    rows = {p.name: con.execute("select count(*) from read_parquet($g)",
                                {"g": str(p / "*.parquet")}).fetchall()[0][0]
            for p in parquet.iterdir() if p.is_dir()}
    assert rows == manifest["rows"]
    assert set(rows) == {"accounts", "people", "opportunities", "arr"}  # what tiny_arr has
    assert (rows["accounts"], rows["people"]) == (5, 2)  # tiny_arr/accounts.csv, people.csv


def test_export_without_a_dataset_says_so(tmp_path, capsys):
    assert cli.main(["export-parquet", "--db", str(tmp_path / "none.duckdb"),
                     "--out", str(tmp_path / "out")]) == 1
    assert "load one with" in capsys.readouterr().err


def spark_report(parquet: Path, capsys) -> tuple[int, str]:
    code = cli.main(["report", "--engine", "spark", "--source", str(parquet),
                     "--start", "2025-07-01", "--end", "2025-09-30"])
    return code, capsys.readouterr().err


def test_missing_table_folder_is_named(spark, extracts, tmp_path, capsys):
    broken = tmp_path / "no-people"
    shutil.copytree(extracts["tiny"][1], broken)
    shutil.rmtree(broken / "people")
    code, err = spark_report(broken, capsys)
    assert code == 1 and "Traceback" not in err
    assert "people/" in err and "required table is missing" in err and str(broken) in err


def test_missing_column_is_named_with_its_table(spark, extracts, tmp_path, capsys):
    import duckdb

    broken = tmp_path / "no-is-won"
    shutil.copytree(extracts["tiny"][1], broken)
    part = next((broken / "opportunities").glob("*.parquet"))
    con = duckdb.connect()
    con.read_parquet(str(part)).select("* exclude (is_won)").write_parquet(
        str(part.with_name("part-1.parquet")))
    part.unlink()
    code, err = spark_report(broken, capsys)
    assert code == 1 and "Traceback" not in err
    assert "opportunities/" in err and "required column is_won is missing" in err


def test_source_is_required_with_spark(capsys):
    assert cli.main(["report", "--engine", "spark", "--start", "2025-07-01",
                     "--end", "2025-09-30"]) == 2
    assert "--engine spark needs --source PATH" in capsys.readouterr().err
