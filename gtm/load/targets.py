"""Apply a target definition: a new dataset version whose target accounts follow it.

Why a new version: the app reads a published version read-only and caches on its file name
(gtm/load/store.py), so a definition is never written into a published file. Applying one
copies the published version file (immutable, checkpointed: a plain file copy is a valid
database), records the change in its `target_definitions` history, rewrites the five
intermediate tables the definition changes (gtm.load.staging.TARGET_TABLES) and publishes the
copy with the same atomic switch a load uses. Every page then counts the new target accounts;
a session still showing the old version keeps reading it until it reloads.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from gtm import icp
from gtm.load import definitions, staging, store


@dataclass(frozen=True)
class Applied:
    changed: bool  # False: the definition was already the active one
    entry: definitions.Entry | None  # the change recorded
    version: Path  # the published version file
    warnings: tuple[str, ...] = ()


def fields(db_path: Path | None = None) -> dict[str, str]:
    """The account fields of the published dataset (name -> number | text | list)."""
    con = store.connect(db_path)
    try:
        return dict(con.execute("select field, kind from int_account_field_list "
                                "order by position").fetchall())
    finally:
        con.close()


def active(db_path: Path | None = None) -> tuple[icp.Definition | None, list[definitions.Entry]]:
    """The definition in force in the published dataset and its whole history."""
    con = store.connect(db_path)
    try:
        return definitions.active(con), definitions.history(con)
    finally:
        con.close()


def apply(definition: icp.Definition | None, who: str, note: str = "",
          db_path: Path | None = None, report=lambda message, fraction: None) -> Applied:
    """Make `definition` the active one (None: switch back to the v1 rule) in a new version.

    A definition whose rules name a field the dataset lacks is refused (DefinitionError
    naming the rule). Nothing is written when it is already the active one."""
    db_path = Path(db_path or store.default_db_path())
    if staging.needs_upgrade(db_path):
        staging.upgrade(db_path, report)
    with open(db_path.with_name(db_path.name + ".targets.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = store.current_version(db_path)
        if current is None:
            raise FileNotFoundError(f"no dataset loaded at {db_path}")
        if definition is not None:
            definition = icp.check_fields(definition, fields(db_path))
        before, _ = active(db_path)
        if before == definition:
            return Applied(False, None, current)
        return _write(db_path, current, definition, who, note, report)


def _write(db_path: Path, current: Path, definition, who: str, note: str, report) -> Applied:
    began = time.perf_counter()
    target = store.new_version_path(db_path)
    partial = target.with_name(target.name + ".partial")
    try:
        report("copying the published dataset", 0.05)
        shutil.copyfile(current, partial)
        con = duckdb.connect(str(partial))
        try:
            con.execute("set enable_progress_bar = false")
            entry = definitions.record(con, definition, who, note)
            warnings = staging.build(con, report, tables=staging.TARGET_TABLES)
            report("saving the database file", 0.95)
            con.execute("checkpoint")
        finally:
            con.close()
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
        Path(str(partial) + ".wal").unlink(missing_ok=True)
    store.publish(db_path, target)
    _history(db_path, entry, target, time.perf_counter() - began)
    return Applied(True, entry, target, tuple(warnings))


def _history(db_path: Path, entry: definitions.Entry, version: Path, seconds: float) -> None:
    """The switch of dataset version is in the load history too (what changed it)."""
    what = (f"target definition '{entry.name}' (version {entry.version}) applied" if entry.yaml
            else f"target definition switched off (version {entry.version}): the v1 rule")
    store.append_history(db_path, {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "seconds": round(seconds, 2),
        "source": f"{what} by {entry.who}", "files": [], "row_counts": {}, "result": "ok",
        "errors": 0, "warnings": 0, "left_out": {}, "currency": None, "first_errors": [],
        "version": version.name, "kind": "targets"})
