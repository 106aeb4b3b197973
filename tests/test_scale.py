"""The scale study (perf/scale.py): its extract multiplies touches and keeps the company.

The tiny extract has 6 touches (tests/data/tiny/touches.csv, 7 lines with the header).
Three copies give 3 x 6 = 18 touches, no two rows equal, and every other table is the
original file. One factor runs end to end through the real loader and report (DuckDB
only; Spark is the parity test's business).
"""

from __future__ import annotations

import csv
from pathlib import Path

from perf import scale

TINY = Path(__file__).parent / "data" / "tiny"


def _rows(path: Path) -> list[tuple]:
    with path.open(newline="") as f:
        return [tuple(r) for r in csv.reader(f)][1:]


def test_touches_are_written_factor_times_a_second_apart(tmp_path):
    original = _rows(TINY / "touches.csv")
    assert scale.write_extract(TINY, tmp_path / "x3", 3) == 3 * len(original)
    written = _rows(tmp_path / "x3" / "touches.csv")
    assert len(written) == len(set(written)) == 3 * len(original)
    first = original[0]  # P1, 2025-07-03T10:00:00: copies at :00, :01 and :02
    stamps = sorted(r[1] for r in written if r[0] == first[0] and r[3] == first[3]
                    and r[1].startswith(first[1][:16]))
    assert stamps == [first[1][:17] + s for s in ("00", "01", "02")]


def test_every_other_table_is_the_original(tmp_path):
    scale.write_extract(TINY, tmp_path / "x2", 2)
    linked = {p.name for p in (tmp_path / "x2").iterdir() if p.is_symlink()}
    assert linked == {p.name for p in TINY.glob("*.csv")} - {"touches.csv"}


def test_one_factor_loads_and_reports(tmp_path):
    row = scale.measure_factor(TINY, tmp_path, 2, spark=False)
    assert row["touches"] == 2 * len(_rows(TINY / "touches.csv"))
    assert row["load_s"] > 0 and row["report_s"] > 0 and row["db_mb"] > 0
    table = scale.render([row])
    assert table.splitlines()[0].startswith("| touches | DuckDB load (s)")
    assert "Spark" not in table  # no Spark figure was measured, so no Spark column
