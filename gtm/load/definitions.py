"""Target definitions versioned in the dataset: who applied which one, when, what changed.

Why in the dataset: the target accounts every page counts follow the active definition, so
the definition belongs to the data it was applied to, like the tables themselves. Each
dataset version holds the whole history in `target_definitions` (one row per change: a
definition applied, or switched off to go back to the v1 rule); the last row is the one in
force. A new load carries the history over from the version it replaces, so a nightly load
keeps the team's targets. The table is only ever written into a version that is not yet
published (gtm.load.targets.apply, the loader), never into a published file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gtm import icp
from gtm.db import clean, query

TABLE = "target_definitions"
CREATE = """
create table if not exists target_definitions (
    version integer,
    name varchar,
    definition varchar,
    who varchar,
    changed_at varchar,
    change varchar,
    note varchar
)
"""
INSERT = "insert into target_definitions values ($version, $name, $definition, $who, $changed_at, $change, $note)"
HISTORY = """
select version, name, definition, who, changed_at, change, note
from target_definitions
order by version
"""
EXISTS = "select count(*) from duckdb_tables() where table_name = 'target_definitions'"


@dataclass(frozen=True)
class Entry:
    """One change of the target definition."""

    version: int
    name: str | None
    yaml: str | None  # None: switched off (the v1 rule)
    who: str
    changed_at: str
    change: str
    note: str

    @property
    def definition(self) -> icp.Definition | None:
        return None if self.yaml is None else icp.parse(self.yaml)

    @property
    def label(self) -> str:
        """'version 3: ICP 2027 (alice, 2026-12-01)'."""
        what = self.name if self.yaml is not None else "switched off (the v1 rule)"
        return f"version {self.version}: {what} ({self.who}, {self.changed_at[:10]})"


def has_table(con) -> bool:
    cur = con.cursor()
    try:
        return bool(cur.execute(EXISTS).fetchone()[0])
    finally:
        cur.close()


def history(con) -> list[Entry]:
    """Every change, oldest first (empty before any definition was applied)."""
    if not has_table(con):
        return []
    rows = query(con, HISTORY).itertuples(index=False)
    return [Entry(int(r.version), clean(r.name), clean(r.definition), clean(r.who) or "",
                  clean(r.changed_at) or "", clean(r.change) or "", clean(r.note) or "")
            for r in rows]


def active_entry(con) -> Entry | None:
    """The change in force: the last one, when it applied a definition."""
    entries = history(con)
    return entries[-1] if entries and entries[-1].yaml is not None else None


def active(con) -> icp.Definition | None:
    """The definition in force, or None (the v1 rule: is_target, else fit_score)."""
    entry = active_entry(con)
    return None if entry is None else entry.definition


def carry_over(con, previous: Path | None) -> None:
    """Give the version being written (con, read-write) the history of `previous`, the
    version it replaces (none on a first load)."""
    con.execute(CREATE)
    if previous is None or not Path(previous).exists():
        return
    con.execute("attach ? as previous_version (read_only)", [str(previous)])
    try:
        found = con.execute("select count(*) from duckdb_tables() where database_name = "
                            "'previous_version' and table_name = 'target_definitions'")
        if found.fetchone()[0]:
            con.execute("insert into target_definitions select * from "
                        "previous_version.target_definitions")
    finally:
        con.execute("detach previous_version")


def record(con, definition: icp.Definition | None, who: str, note: str = "") -> Entry:
    """Append a change to the history of the version being written (con, read-write)."""
    con.execute(CREATE)
    entries = history(con)
    before = active(con)
    entry = Entry(version=(entries[-1].version + 1) if entries else 1,
                  name=None if definition is None else definition.name,
                  yaml=None if definition is None else icp.to_yaml(definition),
                  who=(who or "unknown").strip()[:200],
                  changed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                  change="\n".join(icp.diff(before, definition)),
                  note=(note or "").strip()[:2000])
    con.execute(INSERT, {"version": entry.version, "name": entry.name, "definition": entry.yaml,
                         "who": entry.who, "changed_at": entry.changed_at,
                         "change": entry.change, "note": entry.note})
    return entry
