"""`python -m gtm qbr`: the QBR pack of one view as a PowerPoint deck or a PDF, without the app.

Takes the report's options (period, filters, settings, an extract folder or --db), the pages'
own link values (growth sliders, Net ARR grain, velocity flow) and --out review.pptx or
review.pdf; the footer links point at --base-url (the local app by default) with the query
string the sidebar's "Share this view" builds for the same state. Exit codes as `report`:
0 written, 2 a bad argument, 1 no data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from gtm import links, report
from gtm.plan import growth
from gtm.qbr import render_file
from gtm.qbr.build import View, build

FORMATS = (".pptx", ".pdf")
# Page parameters of the link, in the order the pages draw their widgets.
PAGE_OPTIONS = (
    *((f"--{key}", key, f"growth slider {name.replace('_', ' ')} (as the link carries it"
       + (", in percent points)" if name in ("win_rate", "qualification_rate") else ")"))
      for name, key in growth.SLIDER_KEYS.items()),
    ("--solve", growth.SOLVE_KEY, "growth: the quantity solved for, one of "
     + ", ".join(growth.SOLVE_FOR)),
    ("--grain", "grain", "Net ARR bridge grain: Month or Quarter"),
    ("--flow", "flow", "velocity pipeline movement: 'All deals' or 'Qualified only'"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The report's view options, then the pack's own (gtm/cli.py adds them)."""
    report.add_arguments(parser, formats=False)
    a = parser.add_argument
    a("--out", required=True, type=Path, metavar="FILE",
      help="where to write the pack: FILE.pptx (PowerPoint) or FILE.pdf")
    a("--period", default=None, metavar="LABEL",
      help="the sidebar's period label (2026Q3, 2026-09, 'Last 12 months', Custom); default: "
      "the one that shows --start..--end")
    a("--base-url", default=links.DEFAULT_BASE_URL, metavar="URL",
      help=f"where the live app runs, for the links that reopen each slide's view "
      f"(default {links.DEFAULT_BASE_URL})")
    a("--title", default=None, help="company or dataset name on the title slide "
      "(default: the extract's folder name)")
    for flag, key, text in PAGE_OPTIONS:
        a(flag, dest=f"page_{key}", default=None, metavar="VALUE", help=text)


def page_params(args) -> tuple[tuple[str, str], ...]:
    """The link's page parameters from the options given (key, value as the URL carries it)."""
    return tuple((key, str(getattr(args, f"page_{key}"))) for _, key, _ in PAGE_OPTIONS
                 if getattr(args, f"page_{key}", None) is not None)


def run(args) -> int:
    """Write the pack; 0 on success, 2 on a bad argument, 1 when there is no data."""
    try:
        flt, settings = report.view(args)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        print(f"gtm qbr: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        print(f"gtm qbr: --out must end in .pptx or .pdf, got {out.name!r}", file=sys.stderr)
        return 2
    view = View(flt, settings, args.period, page_params(args), args.base_url, args.title)
    if args.dir is None:
        return _write(args.db, view, out)
    with tempfile.TemporaryDirectory(prefix="targetline-qbr-") as tmp:
        db = Path(tmp) / "qbr.duckdb"
        if not report._load(Path(args.dir), db, args):  # the report's loader and messages
            return 1
        return _write(db, view, out)


def _write(db, view: View, out: Path) -> int:
    from gtm.load import store

    try:
        con = store.connect(db)
    except FileNotFoundError as exc:
        print(f"gtm qbr: {exc}; load one with `python -m gtm load DIR`", file=sys.stderr)
        return 1
    began = time.perf_counter()
    try:
        deck = build(con, view)
    except ValueError as exc:  # an unknown named qualified stage
        print(f"gtm qbr: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    render_file(deck, out)
    print(f"wrote {out} ({len(deck.slides)} slides, period ending {view.flt.end}; "
          f"{deck.footer.as_of.lower()}) in {time.perf_counter() - began:.1f} s")
    return 0
