"""`python -m gtm plan --top N --step SQL=26000 --step SAL=2600 --market 7500`: a plan
written in the old vocabulary, checked step by step against the market (metrics.md v2).

Why a command: the plan someone brought to the pipeline review is usually a spreadsheet row
(visitors, SQLs, SALs); RevOps can check it, and archive the answer, without the app. The
arithmetic is gtm.plan.check's, the same the growth page shows. Without --market the market
comes from the loaded dataset: its target accounts x the buying-group size.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gtm import fmt
from gtm.plan import check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    a = parser.add_argument
    a("--top", required=True, metavar="N", help="the top-of-funnel volume (265000)")
    a("--top-name", default="visitors", metavar="NAME",
      help="what the top counts: visitors (default), leads or MQLs")
    a("--step", dest="steps", action="append", default=[], metavar="NAME=VALUE",
      help="a later step, in funnel order, as a volume (SQL=26000) or a rate from the step "
      "before (SQL=10%%); repeat for each step")
    a("--market", default=None, metavar="PEOPLE",
      help="the people who would ever buy (default: the loaded dataset's target accounts x "
      "--group-size)")
    a("--group-size", type=int, default=7, metavar="N",
      help="buying-group size for the market from the dataset (default 7)")
    a("--market-from", choices=("accounts", "people"), default="accounts",
      help="without --market: target accounts x --group-size (default), or the dataset's "
      "target people (the active definition's persona)")
    a("--format", choices=("text", "json"), default="text")
    a("--db", type=Path, default=None, metavar="PATH",
      help="database to read the market from (default: TARGETLINE_DB or "
      "data/targetline.duckdb)")


def run(args) -> int:
    try:
        top, _ = check.parse_value(args.top, args.top_name)
        if top is None:
            raise ValueError(f"{args.top_name}: the top of the funnel is a volume, not a rate")
        steps = [check.parse_step(s) for s in args.steps]
        market, source = _market(args)
        result = check.check(top, steps, market, args.top_name)
    except ValueError as exc:
        print(f"gtm plan: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump({**check.as_dict(result), "market_from": source}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print(result, source)
    return 0


def _market(args) -> tuple[float | None, str]:
    if args.market is not None:
        volume, rate = check.parse_value(args.market, "--market")
        if volume is None:
            raise ValueError("--market is a number of people, not a rate")
        return volume, "entered"
    if args.group_size < 1:
        raise ValueError("--group-size must be at least 1")
    found = _dataset_market(args.db)
    if found is None:
        return None, "unknown: no dataset is loaded and no --market was given"
    if args.market_from == "people":
        return float(found["target_people"]), (f"the dataset: {found['target_people']:,} "
                                                "target people")
    accounts = found["target_accounts"]
    return float(accounts * args.group_size), (f"the dataset: {accounts:,} target accounts x "
                                               f"{args.group_size}")


def _dataset_market(db) -> dict | None:
    """Target accounts and target people of the loaded dataset at its as-of date."""
    from gtm.filters import Filter, Settings
    from gtm.load import store
    from gtm.metrics import dataset_info
    from gtm.metrics import run as run_metric
    from gtm.metrics.targets import market

    try:
        con = store.connect(db)
    except FileNotFoundError:
        return None
    try:
        as_of = dataset_info(con)["data_as_of"]
        return None if as_of is None else run_metric(con, market, Filter(as_of, as_of),
                                                     Settings())
    finally:
        con.close()


def _print(result: check.Check, source: str) -> None:
    market = "unknown" if result.market is None else f"{fmt.count(result.market)} people"
    print(f"market: {market} ({source})")
    rows = [["step", "volume", "rate from the step before", "against the market"]]
    for r in result.rows:
        rate = "" if r.rate is None else fmt.percent(r.rate)
        rows.append([r.name, fmt.count(r.volume), rate, check.factor_text(r)])
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(c.rjust(w) if i == 1 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    print(check.verdict(result))
    for note in check.notes(result):
        print(note)
