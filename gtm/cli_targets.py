"""`python -m gtm targets show|apply FILE|diff A B|off|check FILE`: the target definition.

Why on the command line too: RevOps keeps the definition in version control next to other
configuration, reviews a change as a diff and applies it from a scheduler; the Targets page
and this command read and write the same YAML (gtm/icp.py) and the same history in the
dataset (gtm/load/definitions.py), so a definition round-trips between them.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from gtm import icp
from gtm.load import store, targets


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(title="actions", metavar="ACTION", dest="action")
    show = sub.add_parser("show", help="print the active definition as YAML (stdout)")
    show.add_argument("--history", action="store_true",
                      help="list every change instead: version, who, when, what changed")
    apply = sub.add_parser("apply", help="make a YAML definition the active one (a new "
                           "dataset version; every page's target accounts follow it)")
    apply.add_argument("file", type=Path, metavar="FILE")
    check = sub.add_parser("check", help="check a YAML definition against the dataset "
                           "without applying it")
    check.add_argument("file", type=Path, metavar="FILE")
    off = sub.add_parser("off", help="switch the definition off: the v1 rule again "
                         "(is_target, else fit_score >= the ICP threshold)")
    diff = sub.add_parser("diff", help="what changes from A to B: the rules, tiers and "
                          "persona, and the target accounts added and removed")
    diff.add_argument("a", metavar="A", help="a version number of the history (3), 'active', "
                      "'none' (the v1 rule: is_target, else fit_score) or a YAML file")
    diff.add_argument("b", metavar="B", help="as A")
    for p in (apply, off):
        p.add_argument("--who", default=None, help="who makes the change (default: the "
                       "login name)")
        p.add_argument("--note", default="", help="why (kept in the history)")
    for p in (show, apply, check, off, diff):
        p.add_argument("--db", type=Path, default=None, metavar="PATH",
                       help="database path (default: TARGETLINE_DB or data/targetline.duckdb)")


def run(args) -> int:
    action = getattr(args, "action", None)
    if action is None:
        print("python -m gtm targets: name an action: show, apply FILE, check FILE, off or "
              "diff A B", file=sys.stderr)
        return 2
    try:
        return ACTIONS[action](args)
    except FileNotFoundError as exc:
        print(f"gtm targets: {exc}; load a dataset with `python -m gtm load DIR`",
              file=sys.stderr)
        return 1
    except icp.DefinitionError as exc:
        print("gtm targets: the definition is refused:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"gtm targets: {exc}", file=sys.stderr)
        return 2


def _show(args) -> int:
    definition, history = targets.active(args.db)
    if args.history:
        if not history:
            print("no target definition was ever applied: the v1 rule (is_target, else "
                  "fit_score >= the ICP threshold)")
        for entry in history:
            print(entry.label + (f": {entry.note}" if entry.note else ""))
            for line in entry.change.splitlines():
                print(f"    {line}")
        return 0
    if definition is None:
        print("no target definition is active: the v1 rule (is_target, else fit_score >= the "
              "ICP threshold)", file=sys.stderr)
        return 0
    print(f"# active: {history[-1].label}", file=sys.stderr)
    sys.stdout.write(icp.to_yaml(definition))
    return 0


def _definition_file(path: Path, db) -> icp.Definition:
    if path.stat().st_size > icp.MAX_BYTES:
        raise icp.DefinitionError([f"{path.name} is {path.stat().st_size:,} bytes; a target "
                                   f"definition is at most {icp.MAX_BYTES // 1024} KB"])
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    try:
        return icp.parse(text, targets.fields(db))
    except icp.DefinitionError as exc:
        raise icp.DefinitionError([f"{path.name}: {p}" for p in exc.problems]) from None


def _apply(args) -> int:
    definition = _definition_file(args.file, args.db)
    return _applied(targets.apply(definition, args.who or getpass.getuser(), args.note,
                                  args.db))


def _off(args) -> int:
    return _applied(targets.apply(None, args.who or getpass.getuser(), args.note, args.db))


def _applied(result: targets.Applied) -> int:
    if not result.changed:
        print("nothing to do: that is already the active target definition")
        return 0
    entry = result.entry
    print(f"applied {entry.label}; published {result.version.name}")
    for line in entry.change.splitlines():
        print(f"  {line}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _check(args) -> int:
    definition = _definition_file(args.file, args.db)
    print(f"{args.file.name}: '{definition.name}' is a valid target definition for this "
          f"dataset ({len(definition.rules)} rules, targets {definition.targets_text()})")
    return 0


def _resolve(spec: str, db) -> tuple[str, icp.Definition | None]:
    """A diff side: 'none', 'active', a version of the history, or a YAML file."""
    text = spec.strip()
    if text.lower() in ("none", "off"):
        return "the v1 rule", None
    definition, history = targets.active(db)
    if text.lower() == "active":
        return ("active: " + history[-1].label) if history else "the v1 rule", definition
    number = text.removeprefix("version").strip()
    if number.isdigit():
        entry = next((e for e in history if e.version == int(number)), None)
        if entry is None:
            known = ", ".join(str(e.version) for e in history) or "none yet"
            raise ValueError(f"no version {text} in the history (versions: {known})")
        return entry.label, entry.definition
    path = Path(text)
    if not path.exists():
        raise ValueError(f"'{text}' is not a version number (3), 'active', 'none' or a file")
    return path.name, _definition_file(path, db)


def _diff(args) -> int:
    name_a, a = _resolve(args.a, args.db)
    name_b, b = _resolve(args.b, args.db)
    print(f"from {name_a} to {name_b}:")
    lines = icp.diff(a, b)
    for line in lines or ["the same definition"]:
        print(f"  {line}")
    counts = _accounts(a, b, args.db)
    print(f"target accounts: {counts['before']:,} -> {counts['after']:,} "
          f"(+{counts['added']:,} added, -{counts['removed']:,} removed)")
    return 0


def _accounts(a, b, db) -> dict:
    from gtm.filters import Filter, Settings
    from gtm.metrics import dataset_info, run
    from gtm.metrics.targets import compare

    con = store.connect(db)
    try:
        as_of = dataset_info(con)["data_as_of"]
        if as_of is None:
            raise ValueError("the dataset has no dates; cannot compare target accounts")
        return run(con, compare, Filter(as_of, as_of), Settings(), a, b)
    finally:
        con.close()


ACTIONS = {"show": _show, "apply": _apply, "check": _check, "off": _off, "diff": _diff}
