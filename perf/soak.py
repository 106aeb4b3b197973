"""`python -m perf.soak`: many loads against one database, good and hostile in turn.

A dashboard lives for years on one database: thousands of nightly loads, some of them
broken. This soak loads N extracts into one database, alternating a good extract (the
demo company, one day later each time) with a hostile one (each of perf/hostile.py's
variants in turn: the xlsx bomb, a 50 MB cell, year 1, 1e309, +99:99, a ragged row, an
unclosed quote ...), then checks what a user would rely on afterwards:

- every good load was published and every hostile one refused, with its reason;
- the load history has one readable entry per load, in order, and no damaged line;
- the published dataset is the last good extract, and `python -m gtm report` on it gives
  exactly the numbers of a fresh load of that extract into an empty database;
- no partial version, temporary file or stale lock note is left, and at most
  store.KEEP_VERSIONS version files are kept.

It prints the figures (loads, seconds per load, history size, peak memory) and exits 1
when a check fails. Everything happens in a temporary folder unless --work is given.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from gtm.load import store
from perf import hostile
from perf.loadtest import as_of, next_day_extract

REPO = Path(__file__).resolve().parents[1]


def _report(db: Path | None, start: str, end: str, folder: Path | None = None) -> dict:
    cmd = [sys.executable, "-m", "gtm", "report", "--start", start, "--end", end,
           "--format", "json", "--source", "canonical"]
    cmd += [str(folder)] if folder else ["--db", str(db)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"gtm report failed: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def soak(loads: int, accounts: int, work: Path, log=print) -> dict:
    from gtm import demo
    from gtm.load.loader import load

    base, db = work / "extract", work / "soak.duckdb"
    demo.generate(base, accounts=accounts)
    first = load(base, db)
    if not first.ok:
        raise RuntimeError(f"the demo extract was refused: {first.errors[0]}")
    day, variants = as_of(db), list(hostile.VARIANTS)
    figures = {"good": [], "hostile": [], "wrong": []}
    last_good = base
    for i in range(1, loads + 1):
        target = work / "current"
        shutil.rmtree(target, ignore_errors=True)
        good = i % 2 == 1
        if good:
            next_day_extract(base, target, day + timedelta(days=i))
            what = f"good, as of {day + timedelta(days=i)}"
        else:
            variant = variants[(i // 2 - 1) % len(variants)]
            hostile.hostile_copy(last_good, target, variant)
            what = variant
        started = time.perf_counter()
        result = load(target, db, label=f"soak {i}: {what}")
        seconds = time.perf_counter() - started
        figures["good" if good else "hostile"].append(seconds)
        if result.ok != good:
            figures["wrong"].append(f"load {i} ({what}): ok={result.ok} "
                                    f"{[str(e) for e in result.errors[:2]]}")
        if good and result.ok:
            last_good = work / f"good-{i % 3}"  # keep the last good extract for the check
            shutil.rmtree(last_good, ignore_errors=True)
            shutil.copytree(target, last_good)
        log(f"load {i:>4}/{loads}: {'ok     ' if result.ok else 'refused'} {seconds:6.2f} s  "
            f"{what}" + ("" if result.ok else f"  ({result.errors[0].text[:70]})"))
    return _check(db, work, last_good, loads, figures, log)


def _check(db: Path, work: Path, last_good: Path, loads: int, figures: dict, log) -> dict:
    found = store.history(db)
    results = [e.get("result") for e in found.entries]
    expected = ["ok"] + ["ok" if i % 2 else "refused" for i in range(1, loads + 1)]
    history_cli = subprocess.run([sys.executable, "-m", "gtm", "history", "--db", str(db),
                                  "--limit", str(loads + 10)], cwd=REPO, capture_output=True,
                                 text=True, timeout=300)
    end = as_of(db).isoformat()
    start = (as_of(db) - timedelta(days=89)).isoformat()
    log("checking the report against a fresh load of the last good extract")
    served, fresh = _report(db, start, end), _report(None, start, end, folder=last_good)
    leftovers = [p.name for p in db.parent.rglob("*") if p.is_file() and (
        ".partial" in p.name or ".new-" in p.name or ".link-" in p.name)]
    checks = {
        "every good load published, every hostile one refused": not figures["wrong"],
        "one readable history entry per load, in order": results == expected,
        "no damaged history line": not found.damaged,
        "gtm history reads it (exit 0)": history_cli.returncode == 0,
        "the report equals a fresh load of the last good extract": served == fresh,
        "the report has numbers": sum(v is not None for v in served.values()) > 10,
        "no partial, temporary or link file left": not leftovers,
        "no stale lock note": not store.lock_path(db).read_text().strip(),
        f"at most {store.KEEP_VERSIONS} version files kept":
            len(store.earlier_versions(db)) <= store.KEEP_VERSIONS,
    }
    return {"checks": checks, "figures": figures, "history_entries": len(found.entries),
            "history_bytes": store.history_path(db).stat().st_size, "leftovers": leftovers,
            "report_values": sum(v is not None for v in served.values())}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--loads", type=int, default=200, help="loads after the first "
                        "(odd: good, even: hostile; default 200)")
    parser.add_argument("--accounts", type=int, default=150, help="demo company size")
    parser.add_argument("--work", type=Path, default=None,
                        help="folder to work in (default: a temporary one)")


def print_figures(out: dict, seconds: float) -> None:
    figures = out["figures"]
    for kind in ("good", "hostile"):
        times = figures[kind]
        if times:
            p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
            print(f"{kind + ' loads':<18} {len(times):>4}  median {statistics.median(times):.2f} s"
                  f"  p95 {p95:.2f} s  max {max(times):.2f} s")
    print(f"history            {out['history_entries']} entries, {out['history_bytes']:,} bytes")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory        {peak:.0f} MB (this process)")
    print(f"wall time          {seconds / 60:.1f} min")
    for name, ok in out["checks"].items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    for wrong in figures["wrong"][:10]:
        print(f"  {wrong}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.soak", description=__doc__.split(
        "\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="targetline-soak-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        out = soak(args.loads, args.accounts, work,
                   log=lambda m: print(f"[soak] {m}", file=sys.stderr, flush=True))
    print_figures(out, time.perf_counter() - started)
    return 0 if all(out["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
