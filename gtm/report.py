"""`python -m gtm report`: every headline metric for one view, without the app.

RevOps can script, diff and archive the exact numbers the dashboard shows: the
report calls the same `gtm.metrics.compute`. Output is metric id -> value only
(JSON, registry order, null where undefined) or CSV with labels and formatted
values; the as-of date and the qualified stage go to stderr so stdout stays data.
`--engine spark --source PATH` computes the same ids from the same queries on Apache Spark
(gtm/spark/), reading a canonical extract stored as Parquet or in a Spark catalog.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from gtm.filters import MOTIONS, Filter, Settings
from gtm.metrics import registry
from gtm.options import import_options

DEFAULTS = Settings()


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser, formats: bool = True) -> None:
    """The report's options (gtm/cli.py adds them to its `report` sub-command; `qbr` takes
    the same view options, without --format)."""
    a = parser.add_argument
    a("dir", nargs="?", type=Path, help="a canonical extract folder to load and report on "
      "(a temporary database; the loaded dataset is not touched)")
    a("--db", type=Path, help="database to read (default: TARGETLINE_DB or "
      "data/targetline.duckdb)")
    a("--start", required=True, type=_iso_date, help="period start, YYYY-MM-DD")
    a("--end", required=True, type=_iso_date, help="period end, inclusive (the period end every "
      "metric is computed at)")
    if formats:
        a("--format", choices=("json", "csv"), default="json")
        a("--by", choices=("channel", "month", "segment", "region", "demand_type"),
          default=None, help="every metric id for each value of this dimension (the view "
          "narrowed to it; demand_type: the demand split's ids)")
    a("--region", dest="regions", action="append", default=[], metavar="R")
    a("--segment", dest="segments", action="append", default=[], metavar="S")
    a("--channel", dest="channels", action="append", default=[], metavar="C")
    a("--motion", dest="motions", action="append", default=[], choices=MOTIONS)
    a("--qualified-stage", default=DEFAULTS.qualified_stage, metavar="auto|NAME")
    a("--threshold", type=float, default=DEFAULTS.qualified_threshold,
      help="auto qualified stage: minimum win rate (default 0.25)")
    a("--gross-margin", type=float, default=DEFAULTS.gross_margin)
    a("--lookback-days", type=int, default=DEFAULTS.lookback_days)
    a("--group-size", type=int, default=DEFAULTS.group_size)
    a("--activation-days", type=int, default=DEFAULTS.activation_days)
    a("--stale-days", type=int, default=DEFAULTS.stale_days)
    a("--icp-threshold", type=float, default=DEFAULTS.icp_threshold,
      help="v1 rule: fit_score that makes a target account when no target definition is "
      "active (python -m gtm targets)")
    a("--warm-days", type=int, default=DEFAULTS.warm_days,
      help="warm starts: days before a deal is created that count (default 90)")
    a("--warm-people", type=int, default=DEFAULTS.warm_people,
      help="warm starts: people of the account who touched (default 2)")
    a("--warm-touches", type=int, default=DEFAULTS.warm_touches,
      help="warm starts: touches in total (default 3)")
    a("--sales-channel", dest="sales_channels", action="append", default=None, metavar="C",
      help="warm starts: a sales-owned channel whose touches do not count (default outbound; "
      "repeat for several)")
    a("--engine", choices=ENGINES, default="duckdb",
      help="duckdb (the loaded dataset or DIR) or spark (reads --source)")
    a("--spark-master", default=None, metavar="URL",
      help="--engine spark: the cluster to run on (default: SPARK_REMOTE for Spark Connect, "
      "else local[<cores>])")
    import_options(parser)
    _widen_source(parser)


ENGINES = ("duckdb", "spark")
SPARK_SOURCE = ("with --engine spark: the canonical extract, a folder with one Parquet "
                "folder per table (python -m gtm export-parquet writes one), any Spark path, "
                "or catalog:DATABASE; otherwise what DIR holds: ")


def _widen_source(parser: argparse.ArgumentParser) -> None:
    """--source names the importer's kind of DIR (salesforce, hubspot, canonical), or with
    --engine spark the extract itself: one option, checked in run() by engine."""
    action = next(a for a in parser._actions if "--source" in a.option_strings)
    kinds = tuple(action.choices or ())
    action.choices, action.metavar = None, "KIND|PATH"
    action.help = SPARK_SOURCE + ", ".join(kinds)
    parser.set_defaults(source_kinds=kinds)


def _view(args) -> tuple[Filter, Settings]:
    """Filter and Settings from parsed arguments (ValueError on a bad value)."""
    start, end = (d if isinstance(d, date) else _iso_date(d) for d in (args.start, args.end))
    flt = Filter(start, end, tuple(args.regions or ()), tuple(args.segments or ()),
                 tuple(args.channels or ()), tuple(args.motions or ()))
    settings = Settings(
        qualified_stage=args.qualified_stage, qualified_threshold=args.threshold,
        gross_margin=args.gross_margin, lookback_days=args.lookback_days,
        group_size=args.group_size, activation_days=args.activation_days,
        stale_days=args.stale_days, icp_threshold=args.icp_threshold,
        warm_days=getattr(args, "warm_days", DEFAULTS.warm_days),
        warm_people=getattr(args, "warm_people", DEFAULTS.warm_people),
        warm_touches=getattr(args, "warm_touches", DEFAULTS.warm_touches),
        sales_channels=tuple(getattr(args, "sales_channels", None) or DEFAULTS.sales_channels))
    return flt, settings


view = _view  # the view of parsed options, for `python -m gtm qbr` too


def run(args) -> int:
    """Print the report; 0 on success, 2 on a bad argument, 1 when there is no data."""
    try:
        flt, settings = _view(args)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        print(f"gtm report: {exc}", file=sys.stderr)
        return 2
    engine = getattr(args, "engine", "duckdb")
    problem = _engine_problem(args, engine)
    if problem:
        print(f"gtm report: {problem}", file=sys.stderr)
        return 2
    if engine == "spark":
        return _report_spark(args, flt, settings)
    if args.dir is None:
        return _report_db(args.db, flt, settings, args.format, getattr(args, "by", None))
    with tempfile.TemporaryDirectory(prefix="targetline-report-") as tmp:
        db = Path(tmp) / "report.duckdb"
        if not _load(Path(args.dir), db, args):
            return 1
        return _report_db(db, flt, settings, args.format, getattr(args, "by", None))


def _engine_problem(args, engine: str) -> str | None:
    """What is wrong with --engine / --source / DIR together, or None."""
    source = getattr(args, "source", None)
    if engine == "spark":
        if args.dir is not None:
            return ("--engine spark reads --source PATH (canonical Parquet); export a loaded "
                    "dataset with `python -m gtm export-parquet` or use --engine duckdb DIR")
        return None if source else "--engine spark needs --source PATH"
    kinds = getattr(args, "source_kinds", ())
    if source is not None and source not in kinds:
        return (f"--source {source!r}: expected one of {', '.join(kinds)} (a path is read "
                "with --engine spark)")
    return None


def _load(folder: Path, db: Path, args=None) -> bool:
    """Load folder (canonical files or exports to import) into db; print the messages
    (file, line, column) if refused."""
    from gtm.importers import import_and_load

    options = {k: getattr(args, k, None) for k in ("source", "mql_field", "date_format")}
    _, result = import_and_load(folder, db, mapping_file=getattr(args, "mapping", None),
                                **options)
    if not result.ok:
        for error in result.errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"gtm report: {folder} was refused ({len(result.errors)} error(s))",
              file=sys.stderr)
    return result.ok


def _report_db(db, flt: Filter, settings: Settings, fmt: str, by: str | None = None) -> int:
    from gtm.load import store
    from gtm.metrics import compute

    try:
        con = store.connect(db)
    except FileNotFoundError as exc:
        print(f"gtm report: {exc}; load one with `python -m gtm load DIR`", file=sys.stderr)
        return 1
    try:
        return _report_con(con, flt, settings, fmt, compute, by)
    finally:
        con.close()


def _report_con(con, flt: Filter, settings: Settings, fmt: str, compute,
                by: str | None = None, engine: str = "") -> int:
    """Compute every id (or every id per slice of `by`) on an open connection, DuckDB's or
    gtm.spark's, and print it."""
    from gtm.metrics import breakdown, dataset_info, resolve_qualified_stage

    began = time.perf_counter()
    try:
        qualified = resolve_qualified_stage(con, settings)
    except ValueError as exc:  # an unknown named stage
        print(f"gtm report: {exc}", file=sys.stderr)
        return 2
    if by:
        rows = breakdown.by(con, flt, settings, qualified, by)
    else:
        values = compute(con, flt, settings, qualified)
    _meta(con, flt, qualified, time.perf_counter() - began, dataset_info, engine)
    if by:
        (_write_json_by if fmt == "json" else _write_csv_by)(by, rows)
        return 0
    (_write_json if fmt == "json" else _write_csv)(values)
    return 0


def _report_spark(args, flt: Filter, settings: Settings) -> int:
    """The report on Spark: read and check --source, build the intermediate tables there,
    compute with gtm.spark.engine (the same queries); 1 when the extract is refused."""
    from gtm.spark import engine, session, source

    spark = session.get_session(master=args.spark_master)
    began = time.perf_counter()
    try:
        con = source.open_source(spark, str(args.source), _spark_progress)
    except source.SourceError as exc:
        for message in exc.messages:
            print(f"error: {message}", file=sys.stderr)
        print(f"gtm report: {args.source} was refused ({len(exc.messages)} error(s))",
              file=sys.stderr)
        return 1
    print(f"[spark] extract read and intermediate tables built in "
          f"{time.perf_counter() - began:.1f} s", file=sys.stderr)
    try:
        master = spark.conf.get("spark.master", "remote")
        return _report_con(con, flt, settings, args.format, engine.compute,
                           getattr(args, "by", None), f"; engine spark ({master})")
    finally:
        con.close()


def _spark_progress(message: str) -> None:
    print(f"[spark] {message}", file=sys.stderr, flush=True)


def _meta(con, flt, qualified, seconds, dataset_info, engine: str = "") -> None:
    info = dataset_info(con)
    print(f"period {flt.start} .. {flt.end} (period ending {flt.end}); data as of "
          f"{info['data_as_of'] or 'unknown'}; qualified stage: {qualified.stage or 'none'} "
          f"({qualified.how}); computed in {seconds:.2f} s{engine}", file=sys.stderr)


def _write_json(values: dict) -> None:
    json.dump(values, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _write_json_by(by: str, rows: list[tuple[str, dict]]) -> None:
    json.dump([{by: value, **values} for value, values in rows], sys.stdout, indent=2)
    sys.stdout.write("\n")


def _write_csv_by(by: str, rows: list[tuple[str, dict]]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([by, "id", "label", "value", "formatted"])
    for value, values in rows:
        for mid, number in values.items():
            metric = registry.METRICS[mid]
            out.writerow([value, mid, metric.label, "" if number is None else number,
                          metric.format(number)])


def _write_csv(values: dict) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["id", "label", "value", "formatted"])
    for mid, value in values.items():
        metric = registry.METRICS[mid]
        out.writerow([mid, metric.label, "" if value is None else value, metric.format(value)])
