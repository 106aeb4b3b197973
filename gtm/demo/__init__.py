"""A fictional B2B SaaS company, generated: `python -m gtm demo`.

Why it exists: a dashboard about go-to-market truths needs data in which those
truths are present, so that every page has something real to say on first run and
the tests can check each story with plain SQL. The company runs 36 fixed months
(Nov 2023 - Oct 2026, as of 2026-10-31, independent of today) and tells these
stories under the definitions of metrics.md:

- Q3 2025: a paid-search push triples paid-search spend and doubles MQLs, while
  qualified pipeline and won deals fall (the sales team drowns in junk leads);
- events and outbound have the highest cost per lead but the lowest CAC, cheap
  paid leads the reverse;
- deals with more of the buying group engaged win clearly more often;
- a target-account list (~8 % of accounts) that marketing reaches only in
  part, a little more each year, mostly through outbound and events;
- ARR with new, expansion, contraction, churn and reactivation;
- a product-led signup stream of which only some activate;
- deals disqualified fast and others left stale for months.

The size scales with `accounts` (people ~20x, touches ~200x, opportunities ~4x,
signups 2x); the same (accounts, seed) gives the same bytes. The modules
demo_world, demo_deals, demo_arr, demo_activity and demo_tables hold the steps.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from gtm.demo.activity import make_campaigns, make_signups, make_spend, touch_chunks
from gtm.demo.arr import simulate
from gtm.demo.deals import PROCESS, Opps, account_index, first_wins, process_opps
from gtm.demo.tables import (
    accounts_table,
    arr_table,
    assemble_opps,
    buying_groups,
    campaigns_table,
    contacts_table,
    ids,
    opportunities_table,
    people_table,
    signups_table,
    spend_table,
    stage_history_table,
    stages_table,
    touches_table,
)
from gtm.demo.world import DEMO_END, make_accounts, make_people, rng
from gtm.load import store

DEFAULT_ACCOUNTS = 1000
DEFAULT_SEED = 7
EXPANSION_SIZE = 0.35  # a customer's later deal is this share of a new-business deal
EXPANSION_KEEP = 0.5  # share of a customer's later sales-process deals that exist
Progress = Callable[[str, float], None]

__all__ = ["DEFAULT_ACCOUNTS", "DEMO_END", "default_out_dir", "ensure_loaded", "generate",
           "run"]


def default_out_dir() -> Path:
    return store.REPO_ROOT / "data" / "demo"


def generate(out_dir: Path, accounts: int = DEFAULT_ACCOUNTS, seed: int = DEFAULT_SEED,
             progress: Progress | None = None) -> dict[str, int]:
    """Write one CSV per contract table into out_dir; return rows written per table."""
    if accounts < 50:
        raise ValueError(f"the demo needs at least 50 accounts, got {accounts}")
    report = progress or (lambda message, fraction: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report("accounts and people", 0.0)
    acc = make_accounts(accounts, seed)
    people = make_people(acc, seed)
    report("opportunities", 0.15)
    idx = account_index(people, acc.n)
    process = _later_deals(process_opps(people, acc, idx, seed), acc.n, seed)
    people.dq[process.source] = -1  # a person who sourced a deal was not disqualified
    report("ARR", 0.25)
    customers = simulate(acc, process, seed)
    opps, typ = assemble_opps(process, customers, acc.n)
    groups = buying_groups(opps, idx, rng(seed, accounts, 7))
    ids_ = _id_columns(acc.n, people.n, opps.n, make_campaigns().n)
    counts: dict[str, int] = {}
    writer = _Writer(out_dir, counts)
    writer.write("accounts", accounts_table(acc))
    writer.write("people", people_table(people, ids_["person"], ids_["account"]))
    writer.write("stages", stages_table())
    writer.write("opportunities", opportunities_table(
        opps, typ, groups, ids_["person"], ids_["account"], rng(seed, accounts, 8)))
    writer.write("opportunity_stages", stage_history_table(opps, ids_["opp"]))
    writer.write("opportunity_contacts",
                 contacts_table(groups, people, ids_["opp"], ids_["person"]))
    writer.write("arr", arr_table(customers, ids_["account"]))
    writer.write("currency_rates", pa.table({  # one currency: its own rate (contract v2)
        "currency": ["USD"], "rate": [1.0], "start_date": pa.nulls(1, pa.date32()),
        "end_date": pa.nulls(1, pa.date32())}))
    report("campaigns, spend and signups", 0.35)
    _write_marketing(writer, people, acc, opps, seed, ids_)
    report("touches", 0.4)
    _write_touches(out_dir, counts, people, acc, groups, seed, ids_, report)
    writer.publish()
    report("done", 1.0)
    return counts


def _later_deals(process: Opps, n_accounts: int, seed: int) -> Opps:
    """Deals a customer opens after its first win are expansions: fewer, smaller."""
    later = process.created > first_wins(process, n_accounts)[process.account]
    keep = ~later | (rng(seed, n_accounts, 9).random(process.n) < EXPANSION_KEEP)
    process = process.take(np.flatnonzero(keep))
    later = later[keep]
    process.amount[later] = np.maximum(
        1000.0, np.round(process.amount[later] * EXPANSION_SIZE, -2))
    assert (process.kind == PROCESS).all()
    return process


def _id_columns(n_accounts: int, n_people: int, n_opps: int, n_campaigns: int) -> dict:
    return {
        "account": ids("ACC-", n_accounts, 6),
        "person": ids("P-", n_people, 7),
        "opp": ids("OPP-", n_opps, 7),
        "campaign": ids("CMP-", n_campaigns, 3),
    }


def _write_marketing(writer, people, acc, opps: Opps, seed: int, ids_: dict) -> None:
    camps = make_campaigns()
    writer.write("campaigns", campaigns_table(camps, ids_["campaign"]))
    first = first_wins(opps, acc.n)
    first_amount = float(opps.amount[(opps.won & opps.closed) & (
        opps.days[:, 5] == first[opps.account])].sum())
    spend = make_spend(people, camps, first_amount, acc.n, seed)
    writer.write("spend", spend_table(spend, ids_["campaign"]))
    signups = make_signups(people, acc, seed)
    writer.write("signups", signups_table(signups, people, ids_["person"], ids_["account"]))


def _write_touches(out_dir, counts, people, acc, groups, seed, ids_, report) -> None:
    """Touches are written a chunk at a time (10 million rows at the enterprise size)."""
    camps = make_campaigns()
    path = _tmp(out_dir / "touches.csv")
    total = 0
    expected = max(1, 200 * acc.n)
    with pacsv.CSVWriter(path, touches_table_schema()) as csv:
        for block in touch_chunks(people, acc, camps, groups, seed):
            table = touches_table(block, ids_["person"], ids_["campaign"])
            csv.write_table(table)
            total += table.num_rows
            report("touches", 0.4 + 0.6 * min(1.0, total / expected))
    counts["touches"] = total


def touches_table_schema() -> pa.Schema:
    return pa.schema([("person_id", pa.string()), ("touch_date", pa.string()),
                      ("channel", pa.string()), ("campaign_id", pa.string()),
                      ("touch_type", pa.string())])


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


class _Writer:
    """Writes each table to <name>.csv.tmp; publish() renames them all at the end,
    so an interrupted run never leaves a half-written demo that looks complete."""

    def __init__(self, out_dir: Path, counts: dict[str, int]):
        self.out_dir = out_dir
        self.counts = counts

    def write(self, name: str, table: pa.Table) -> None:
        pacsv.write_csv(table, _tmp(self.out_dir / f"{name}.csv"))
        self.counts[name] = table.num_rows

    def publish(self) -> None:
        for name in self.counts:
            final = self.out_dir / f"{name}.csv"
            os.replace(_tmp(final), final)


def ensure_loaded(db_path: Path | None = None, progress: Progress | None = None,
                  out_dir: Path | None = None) -> bool:
    """First run: when this database never had a dataset, generate the demo (into out_dir,
    default data/demo) and load it; True when it did, False when a dataset is or was there
    (a version file that went missing is an error the Data page shows, not a first run)."""
    db = Path(db_path) if db_path else store.default_db_path()
    if store.ever_loaded(db):  # a dataset, or one whose file went missing: never the demo
        return False
    db.parent.mkdir(parents=True, exist_ok=True)
    with open(db.with_name(db.name + ".demo.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two first sessions must not both load
        if store.ever_loaded(db):
            return False
        _generate_and_load(Path(out_dir or default_out_dir()), db, DEFAULT_ACCOUNTS,
                           DEFAULT_SEED, progress)
    return True


def _generate_and_load(out_dir: Path, db: Path, accounts: int, seed: int,
                       progress: Progress | None):
    from gtm.load import loader  # imported late: the loader is only needed to load

    half = (lambda msg, f: progress(msg, f / 2)) if progress else None
    generate(out_dir, accounts, seed, progress=half)
    later = (lambda msg, f: progress(msg, 0.5 + f / 2)) if progress else None
    result = loader.load(out_dir, db, progress=later)
    if not result.ok:
        raise RuntimeError("the demo did not load: " + "; ".join(map(str, result.errors)))
    return result


def add_arguments(parser) -> None:
    """Options of `python -m gtm demo` (for the CLI's subparser)."""
    parser.add_argument("--accounts", type=int, default=DEFAULT_ACCOUNTS,
                        help="company size: ~20 people, ~200 touches, ~4 deals per account")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for the CSV files (default data/demo)")
    parser.add_argument("--db", type=Path, default=None,
                        help="database to load into (default data/targetline.duckdb)")


def run(args) -> int:
    """CLI handler: generate the demo into --out, then load it into --db."""
    accounts = getattr(args, "accounts", None) or DEFAULT_ACCOUNTS
    seed = getattr(args, "seed", None)
    seed = DEFAULT_SEED if seed is None else seed
    out = Path(getattr(args, "out", None) or default_out_dir())
    db = Path(getattr(args, "db", None) or store.default_db_path())
    counts = generate(out, accounts, seed, progress=_print_progress())
    print(f"demo company ({accounts} accounts, seed {seed}) written to {out}:")
    for name, rows in counts.items():
        print(f"  {name + '.csv':<26} {rows:>12,} rows")
    from gtm.load import loader

    result = loader.load(out, db)
    for line in result.warnings:
        print(f"warning: {line}")
    if not result.ok:
        for line in result.errors:
            print(f"error: {line}")
        return 1
    print(f"loaded into {db} (as of {DEMO_END.isoformat()})")
    return 0


def _print_progress() -> Progress:
    last = {"step": None}

    def show(message: str, fraction: float) -> None:
        if message != last["step"]:
            print(f"[{fraction:4.0%}] {message}", flush=True)
            last["step"] = message

    return show
