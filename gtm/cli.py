"""`python -m gtm`: load an extract, see the load history, make a demo, print a report.

Why a command line: RevOps loads nightly extracts from a scheduler and wants an exit
code and messages it can log; the dashboard is not the only way in. Every command
takes --db PATH (default: the database the app reads, TARGETLINE_DB or
data/targetline.duckdb). `report`, `bench` and `demo` live in their own modules and
are imported only when asked for, so `load` starts fast and the CLI works while
they are being built.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from gtm.load import store
from gtm.options import import_options

DESCRIPTION = "Targetline: go-to-market metrics on qualified pipeline, CAC and Net ARR."
DELEGATED = {
    "report": ("gtm.report", "print every headline metric for a period (JSON or CSV), "
               "from the loaded dataset or from an extract folder"),
    "qbr": ("gtm.qbr.command", "write the QBR pack of a view (the period, filters, settings "
            "and page values of a shared link) as a PowerPoint deck or a PDF"),
    "bench": ("perf.bench", "measure load, metric and page times on a generated company"),
    "export-parquet": ("gtm.spark.export", "write a loaded dataset's canonical tables as "
                       "Parquet, one folder per table (the input of --engine spark)"),
    "loadtest": ("perf.loadtest", "many browser sessions at once while a new extract is "
                 "switched in: errors, p95 rerun time, dataset version per session"),
    "targets": ("gtm.cli_targets", "the target definition: show it, apply a YAML file, "
                "check one, switch it off, diff two versions"),
    "plan": ("gtm.cli_plan", "check a plan written in the old vocabulary (visitors, SQLs, "
             "SALs) step by step against the market"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    return args.handler(args)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gtm", description=DESCRIPTION)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_load(sub)
    _add_history(sub)
    _add_demo(sub)
    wanted = next((a for a in argv or [] if not a.startswith("-")), None)
    for name, (module, text) in DELEGATED.items():
        _add_delegated(sub, name, module, text, build=wanted == name)
    return parser


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="database path (default: TARGETLINE_DB or data/targetline.duckdb, "
                        "the one the app reads)")


# --- load ---------------------------------------------------------------------------

def _add_load(sub) -> None:
    p = sub.add_parser(
        "load", help="load a canonical extract folder (CSV, XLSX or Parquet, one file per table)",
        description="Check a folder of extract files against the data contract and, when "
        "nothing is wrong, make it the dataset the app shows. A refused load changes "
        "nothing, prints every problem (file, line, column, what was expected) on standard "
        "error and exits 1. Progress goes to standard error, the summary to standard output.")
    p.add_argument("dir", type=Path, metavar="DIR", help="folder with people.csv, "
                   "opportunities.csv and any optional tables (accounts, touches, ...)")
    p.add_argument("--currency", default=None, metavar="CODE",
                   help="the dataset currency every amount is converted to (default: the "
                   "export's corporate currency, else the one currency the amounts use, else "
                   "USD)")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="leave out the rows that break a row-level rule (listed with file, "
                   "line, column and reason, and counted in the load history) instead of "
                   "refusing the load; problems with a whole file or column still refuse it")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    import_options(p)
    _db_option(p)
    p.set_defaults(handler=run_load)


def run_load(args) -> int:
    from gtm.importers import import_and_load

    db = Path(args.db or store.default_db_path())
    imported, result = import_and_load(
        args.dir, db, source=args.source, mapping_file=args.mapping, mql_field=args.mql_field,
        date_format=args.date_format, currency=args.currency,
        progress=None if args.quiet else _progress_printer(),
        skip_bad_rows=getattr(args, "skip_bad_rows", False))
    stream = sys.stderr if not result.ok else sys.stdout
    print_report(imported, result, stream)
    for warning in result.warnings:
        print(f"warning: {warning}", file=stream)
    for row in result.left_out:
        print(f"left out: {row}", file=stream)
    if not result.ok:
        for error in result.errors:
            print(f"error: {error}", file=sys.stderr)
        hint = (" (every problem is about single rows: --skip-bad-rows leaves them out)"
                if result.skippable else "")
        print(f"refused: {len(result.errors)} error(s); the loaded dataset is unchanged{hint}",
              file=sys.stderr)
        return 1
    left = f", {len(result.left_out)} bad row(s) left out" if result.left_out else ""
    print(f"loaded {args.dir} into {db} ({result.version.name}); amounts in "
          f"{result.currency}{left}")
    for table, rows in result.row_counts.items():
        print(f"  {table:<22} {rows:>12,} rows")
    return 0


def print_report(imported, result, stream) -> None:
    """The import report: per file what it was recognised as, rows read / used / left
    out, warnings and ignored columns; ignored files grouped by their reason."""
    from gtm.importers import report_rows

    if imported is not None:
        print(f"source: {imported.source or 'not recognised'}", file=stream)
    rows = report_rows(imported, result)
    used = [r for r in rows if r["recognised as"] != "ignored"]
    if used:
        print(f"  {'file':<40} {'recognised as':<44} {'read':>7} {'used':>7} {'left out':>8} "
              f"{'warn':>5}", file=stream)
    for r in used:
        print(f"  {r['file']:<40} {r['recognised as']:<44} {_n(r['rows read']):>7} "
              f"{_n(r['rows used']):>7} {r['left out']:>8} {r['warnings']:>5}", file=stream)
        if r["ignored columns"]:
            names = r["ignored columns"].split(", ")
            more = f" and {len(names) - 8} more" if len(names) > 8 else ""
            print(f"    columns not read ({len(names)}): {', '.join(names[:8])}{more}",
                  file=stream)
    reasons: dict[str, list[str]] = {}
    for r in rows:
        if r["recognised as"] == "ignored":
            reasons.setdefault(r["note"], []).append(r["file"])
    for reason, names in reasons.items():
        print(f"  ignored, {reason}: {', '.join(names)}", file=stream)


def _n(value) -> str:
    return "-" if value is None else f"{value:,}"


def _progress_printer():
    last = {"message": None}

    def show(message: str, fraction: float) -> None:
        if message != last["message"]:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)
            last["message"] = message

    return show


# --- history ------------------------------------------------------------------------

def _add_history(sub) -> None:
    p = sub.add_parser("history", help="list past loads, newest first",
                       description="Every load attempt, accepted or refused: when, which "
                       "files, rows, result and the first error. Newest first.")
    p.add_argument("--limit", type=int, default=20, help="how many loads to show (default 20)")
    p.add_argument("--files", action="store_true", help="also list each file with its "
                   "size, rows and sha256 checksum")
    _db_option(p)
    p.set_defaults(handler=run_history)


def run_history(args) -> int:
    db = Path(args.db or store.default_db_path())
    found = store.history(db)
    if found.notice():  # a damaged line is said, never fatal
        print(f"warning: {found.notice()}", file=sys.stderr)
    entries = list(reversed(found.entries))[: args.limit]
    if not entries:
        print(f"no loads recorded for {db}")
        return 0
    print(f"{'when (UTC)':<26} {'result':<8} {'files':>5} {'rows':>12}  detail")
    for entry in entries:
        try:
            print(_history_line(entry))
            if args.files:
                for f in entry.get("files", []):
                    print(f"    {f['name']:<28} {f['bytes']:>12,} B "
                          f"{f.get('rows') or 0:>10,} rows  sha256 {f.get('sha256') or '-'}")
        except (AttributeError, KeyError, TypeError, ValueError):
            print(f"{str(entry.get('when', '?')):<26} (an entry of unexpected shape)")
    return 0


def _history_line(entry: dict) -> str:
    rows = sum((entry.get("row_counts") or {}).values())
    if entry.get("result") == "ok":
        detail = f"{entry.get('version')}; {entry.get('warnings', 0)} warning(s)"
    else:
        first = (entry.get("first_errors") or ["?"])[0]
        detail = f"{entry.get('errors', 0)} error(s), first: {first}"
    return (f"{entry.get('when', '?'):<26} {entry.get('result', '?'):<8} "
            f"{len(entry.get('files', [])):>5} {rows:>12,}  {detail}")


# --- demo, report, bench (other modules) -------------------------------------------

def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="generate a demo company's extract and load it",
                       description="Write a realistic demo extract (CSV files) and load it, "
                       "so the dashboard has something to show.")
    p.add_argument("--accounts", type=int, default=None, metavar="N",
                   help="company size in accounts (default: the demo's default)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="folder for the CSV files (default data/demo)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random seed: the same seed gives the same company")
    _db_option(p)
    p.set_defaults(handler=run_demo)


def run_demo(args) -> int:
    from gtm import demo

    return demo.run(args)


def _add_delegated(sub, name: str, module: str, text: str, build: bool) -> None:
    """A sub-command whose options and handler live in `module` (imported only if used)."""
    p = sub.add_parser(name, help=text, description=text)
    mod = _import(module) if build else None
    if mod is not None:
        mod.add_arguments(p)
    if not any("--db" in a.option_strings for a in p._actions):
        _db_option(p)
    p.set_defaults(handler=lambda args: _run_delegated(name, mod, args))


def _import(module: str):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


def _run_delegated(name: str, mod, args) -> int:
    if mod is None:
        print(f"python -m gtm {name}: not available yet", file=sys.stderr)
        return 2
    return mod.run(args)
