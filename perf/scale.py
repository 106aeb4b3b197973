"""Where one machine ends: DuckDB and Spark local mode at growing numbers of touches.

`python -m perf.scale --extract DIR --factors 1 5 10 [--spark]`

Event-level engagement (web visits, product events) grows the touches table, not the
number of accounts, so this study keeps the company of a benchmark extract (for example
the 50,000-account one of `python -m gtm bench --accounts 50000`, 9.9M touches) and
writes its touches table `factor` times over. Copy `i` of a touch is `i` seconds later,
so no two rows are equal. Every other table is a symbolic link to the original.

For each factor it measures, each as a whole process run once (a run takes minutes):
the load of the CSV extract (wall time, peak RSS), the year's `report` (wall time,
peak RSS), and with `--spark` the same steps as `python -m gtm bench --spark`
(export-parquet, then `report --engine spark` on local mode, with its peak memory over
Python and the JVM, and how many metric ids differ from DuckDB's). The figures are
printed as a Markdown table and, with `--out`, written as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

from perf.bench import LOAD_SCRIPT, REPORT_SCRIPT, dataset_as_of, default_year, machine
from perf.spark_bench import measure_spark, run_tree

TOUCH_COLUMNS = {"person_id": "varchar", "touch_date": "timestamp", "channel": "varchar",
                 "campaign_id": "varchar", "touch_type": "varchar"}


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def write_extract(base: Path, out: Path, factor: int) -> int:
    """An extract in `out`: `base`'s tables linked, its touches written `factor` times;
    returns the number of touches."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for table in base.glob("*.csv"):
        if table.name != "touches.csv":
            (out / table.name).symlink_to(table.resolve())
    con = duckdb.connect()
    try:
        source = con.read_csv(str(base / "touches.csv"), header=True,
                              columns=TOUCH_COLUMNS, timestamp_format="%Y-%m-%dT%H:%M:%S")
        copies = con.sql("select range as n from range($factor)", params={"factor": factor})
        touches = source.cross(copies).select(
            "person_id, touch_date + to_seconds(n) as touch_date, channel, campaign_id, "
            "touch_type")
        touches.write_csv(str(out / "touches.csv"), timestamp_format="%Y-%m-%dT%H:%M:%S")
        counted = con.cursor().execute("select count(*) from read_csv($path)",
                                       {"path": str(out / "touches.csv")})
        return counted.fetchall()[0][0]
    finally:
        con.close()


def measure_factor(base: Path, workdir: Path, factor: int, spark: bool) -> dict:
    """One factor's row: sizes, DuckDB load and report, and Spark's figures."""
    extract, db = workdir / f"x{factor}" / "extract", workdir / f"x{factor}" / "scale.duckdb"
    log(f"x{factor}: writing the extract")
    row = {"factor": factor, "touches": write_extract(base, extract, factor)}
    row["touches_csv_mb"] = (extract / "touches.csv").stat().st_size / 2**20
    for stale in db.parent.glob("scale.duckdb*"):  # an earlier run's versions and locks
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    log(f"x{factor}: load ({row['touches']:,} touches)")
    load_s, out, _, _ = run_tree(["-c", LOAD_SCRIPT, str(extract), str(db)])
    loaded = json.loads(out.strip().splitlines()[-1])
    if not loaded["ok"]:
        raise RuntimeError("the extract did not load: " + "; ".join(loaded["errors"]))
    row |= {"load_s": load_s, "load_rss_mb": loaded["peak_rss_mb"],
            "db_mb": db.stat().st_size / 2**20}
    year = default_year(dataset_as_of(db))
    log(f"x{factor}: report {year} on DuckDB")
    report_s, out, _, report_mb = run_tree(["-c", REPORT_SCRIPT, "--db", str(db), "--start",
                                            f"{year}-01-01", "--end", f"{year}-12-31"])
    row |= {"year": year, "report_s": report_s, "report_rss_mb": report_mb}
    if spark:
        row |= _spark_row(db, year, json.loads(out))
    shutil.rmtree(extract)  # the written touches are the largest file; the db stays
    return row


def _spark_row(db: Path, year: int, duck_values: dict) -> dict:
    """Spark's figures for one factor, or the reason it failed (a failed run is a finding
    too: where this machine ends for Spark)."""
    try:
        figures = measure_spark(db, year, db.parent, duck_values, log)
    except RuntimeError as err:
        log(f"Spark failed: {err}")
        return {"spark_error": str(err)}
    row = {f["id"]: f["value"] for f in figures}
    return row | {"spark_differ_note": next(f["note"] for f in figures
                                            if f["id"] == "spark_differ")}


COLUMNS = [("touches", "touches", "{:,}"), ("load_s", "DuckDB load (s)", "{:.1f}"),
           ("load_rss_mb", "load peak RSS (MB)", "{:,.0f}"),
           ("db_mb", "database (MB)", "{:,.0f}"),
           ("report_s", "DuckDB report (s)", "{:.2f}"),
           ("report_rss_mb", "report peak RSS (MB)", "{:,.0f}"),
           ("export_parquet_s", "export-parquet (s)", "{:.1f}"),
           ("spark_report_s", "Spark report (s)", "{:.0f}"),
           ("spark_open_s", "Spark open (s)", "{:.0f}"),
           ("spark_compute_s", "Spark metrics (s)", "{:.0f}"),
           ("spark_rss_mb", "Spark peak RSS (MB)", "{:,.0f}"),
           ("spark_differ", "ids differing", "{}")]


def render(rows: list[dict]) -> str:
    """The rows as a Markdown table, a column per figure that any row has."""
    cols = [c for c in COLUMNS if any(c[0] in r for r in rows)]
    lines = ["| " + " | ".join(c[1] for c in cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [c[2].format(r[c[0]]) if r.get(c[0]) is not None else "n/a" for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.scale", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--extract", type=Path, required=True,
                        help="a benchmark extract folder (its touches are multiplied)")
    parser.add_argument("--factors", type=int, nargs="+", default=[1, 5, 10])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/targetline-scale"))
    parser.add_argument("--spark", action="store_true", help="also time Spark local mode")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    began, rows = machine(), []
    for factor in args.factors:
        rows.append(measure_factor(args.extract, args.workdir, factor, args.spark))
        if args.out:
            args.out.write_text(json.dumps({"machine": began, "rows": rows}, indent=1))
        log(json.dumps(rows[-1]))
    print(f"machine: {began['cores']} cores, {began['memory_gb']} GB, load average "
          f"{began['load_avg_1m']} at start, {os.getloadavg()[0]:.1f} at the end")
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
