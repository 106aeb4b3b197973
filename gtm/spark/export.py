"""`python -m gtm export-parquet --db PATH --out DIR`: a loaded dataset's canonical tables as
Parquet, one folder per table, so DuckDB and Spark read the same input.

The folders (`DIR/people/part-0.parquet`, ...) are what `python -m gtm report --engine spark
--source DIR` reads, and what a lake holds: only the canonical tables of the data contract,
typed and normalised by the loader (the intermediate tables are rebuilt by each engine from
staging's SQL). Each table is written into a temporary folder and renamed into place, so a
reader never sees half a table; `DIR/_targetline.json` records the dataset's meta (as-of
date, source, currency) and rows per table. No Spark is needed to export.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from gtm.contract import TABLES
from gtm.load import definitions, store

MANIFEST = "_targetline.json"


def export_parquet(db: Path | None, out: Path, progress=lambda message: None) -> dict[str, int]:
    """Write every canonical table the dataset at db was given into out/<table>/ (a table
    the extract lacked is left out, as it was: Spark reads it as empty, as the loader did);
    rows per table."""
    con = store.connect(db)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    try:
        provided = {t for t, in con.execute("select \"table\" from dataset_tables "
                                             "where provided").fetchall()}
        for name in (t for t in TABLES if t not in provided):
            shutil.rmtree(out / name, ignore_errors=True)  # from an earlier export
        for name in (t for t in TABLES if t in provided):
            progress(f"writing {name}")
            rows[name] = _write_table(con, name, out)
        meta = dict(con.execute("select key, value from dataset_meta").fetchall())
        if definitions.active(con) is not None:  # Spark scores targets by the v1 rule only
            progress("warning: this dataset has an active target definition; the Spark "
                     "engine counts targets by the v1 rule (is_target, else fit_score), so "
                     "target metrics differ from DuckDB's")
    finally:
        con.close()
    (out / MANIFEST).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    return rows


def _write_table(con, name: str, out: Path) -> int:
    """One table into out/<name>/part-0.parquet through a temporary folder (names come from
    the contract, the path from the caller; no SQL text is built from either)."""
    partial = out / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    relation = con.table(name)
    relation.write_parquet(str(partial / "part-0.parquet"), compression="zstd")
    count = con.table(name).count("*").fetchall()[0][0]
    final = out / name
    if final.exists():
        shutil.rmtree(final)
    partial.rename(final)
    return count


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, metavar="PATH",
                        help="dataset to export (default: TARGETLINE_DB or "
                        "data/targetline.duckdb)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="folder for one Parquet folder per canonical table")


def run(args) -> int:
    """CLI handler: 0 when written, 1 when there is no dataset."""
    began = time.perf_counter()
    try:
        rows = export_parquet(args.db, args.out,
                              lambda message: print(message, file=sys.stderr, flush=True))
    except FileNotFoundError as exc:
        print(f"gtm export-parquet: {exc}; load one with `python -m gtm load DIR`",
              file=sys.stderr)
        return 1
    print(f"wrote {len(rows)} tables to {args.out} in {time.perf_counter() - began:.1f} s")
    for name, n in rows.items():
        print(f"  {name + '/':<22} {n:>12,} rows")
    return 0
