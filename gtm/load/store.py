"""Where the loaded dataset lives, and how it is switched without ever losing one.

The database path the app and CLI read (default `data/targetline.duckdb`) is a
symlink to one immutable version file under `<db>.versions/`. A load writes a new
version file, checks it, then swaps the symlink with one atomic `os.replace`.
A refused or killed load never touches the link, and a running dashboard keeps
reading the version it opened (the file stays until no one holds it).

Loads into one database run one at a time (`load_lock`, a lock file): a second load
waits for the first, so a slow load started first can never replace a later one. The
lock file names the load holding it; a name still there when the next load takes the
lock is a load that was killed or crashed, and the next load records it. The load
history is rewritten whole for each entry (write a new file, fsync, rename), so a full
disk leaves the old history as it was, and it is read line by line: a damaged line is
reported, never fatal.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
KEEP_VERSIONS = 3


def default_db_path() -> Path:
    """TARGETLINE_DB if set, else data/targetline.duckdb in the repository."""
    env = os.environ.get("TARGETLINE_DB")
    return Path(env) if env else REPO_ROOT / "data" / "targetline.duckdb"


def versions_dir(db_path: Path) -> Path:
    return Path(str(db_path) + ".versions")


def history_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".history.jsonl")


def new_version_path(db_path: Path) -> Path:
    """A fresh, unique file name for the next version (never reused)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    folder = versions_dir(db_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"v{stamp}-{os.getpid()}.duckdb"


def current_version(db_path: Path) -> Path | None:
    """The version file the database path points at, or None before any load (and when
    that file is missing: see `missing_version`)."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    return db_path.resolve()


def missing_version(db_path: Path) -> Path | None:
    """The version file the database path points at when that file is gone (deleted or
    moved): the dataset is lost, not absent, and nothing must be published in its place
    without the user deciding (see `earlier_versions`)."""
    db_path = Path(db_path)
    if db_path.is_symlink() and not db_path.exists():
        return Path(os.path.normpath(db_path.parent / os.readlink(db_path)))
    return None


def ever_loaded(db_path: Path) -> bool:
    """True when this database had a dataset once (a link, a version file, an accepted
    load in the history), even if it is gone now: the demo is published only where this
    is False."""
    db_path = Path(db_path)
    return (db_path.is_symlink() or db_path.exists() or bool(earlier_versions(db_path))
            or any(e.get("result") == "ok" for e in read_history(db_path)))


def earlier_versions(db_path: Path) -> list[Path]:
    """Version files still on disk, newest first (the loader keeps KEEP_VERSIONS)."""
    folder = versions_dir(Path(db_path))
    return sorted(folder.glob("v*.duckdb"), reverse=True) if folder.is_dir() else []


def restore(db_path: Path, version_file: Path) -> None:
    """Serve an earlier version again (the user chose it on the Data page)."""
    version_file = Path(version_file)
    if version_file.parent.resolve() != versions_dir(Path(db_path)).resolve() or \
            not version_file.is_file():
        raise FileNotFoundError(f"{version_file.name} is not a version of {db_path}")
    with load_lock(db_path, "restore " + version_file.name):
        publish(Path(db_path), version_file)


def publish(db_path: Path, version_file: Path) -> None:
    """Atomically point db_path at version_file, then prune old versions."""
    db_path = Path(db_path)
    tmp = db_path.with_name(db_path.name + f".link-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(version_file, db_path.parent))
    os.replace(tmp, db_path)
    _prune(db_path, keep=version_file)


def _prune(db_path: Path, keep: Path) -> None:
    files = sorted(versions_dir(db_path).glob("v*.duckdb"), reverse=True)
    for old in files[KEEP_VERSIONS:]:
        if old.resolve() != keep.resolve():
            old.unlink(missing_ok=True)
            Path(str(old) + ".wal").unlink(missing_ok=True)


def connect(db_path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current version; raises if nothing is loaded."""
    version = current_version(Path(db_path or default_db_path()))
    if version is None:
        raise FileNotFoundError(f"no dataset loaded at {db_path or default_db_path()}")
    return duckdb.connect(str(version), read_only=True)


# --- the load history --------------------------------------------------------------

def append_history(db_path: Path, entry: dict) -> None:
    """Add one entry: the whole file is written anew beside the old one, fsynced and
    renamed over it, so a full disk or a kill leaves the previous history intact. A damaged
    line already there is kept as it is (the reader reports it). Raises OSError."""
    path = history_path(db_path)
    line = (json.dumps(entry, default=str) + "\n").encode("utf-8")
    with _flocked(Path(str(path) + ".lock")):
        old = path.read_bytes() if path.exists() else b""
        if old and not old.endswith(b"\n"):
            old += b"\n"  # a line cut short by an older append stays a line of its own
        write_atomically(path, old + line)


def write_atomically(path: Path, data: bytes) -> None:
    """Write data to path: a new file, fsync, rename over path, fsync the folder."""
    tmp = path.with_name(f"{path.name}.new-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # not every file system can fsync a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


@dataclass
class History:
    entries: list[dict] = field(default_factory=list)  # oldest first
    damaged: list[int] = field(default_factory=list)  # line numbers that are not an entry

    def notice(self) -> str | None:
        """One sentence about the damaged lines, or None."""
        if not self.damaged:
            return None
        lines = ", ".join(map(str, self.damaged[:5])) + (" ..." if len(self.damaged) > 5
                                                         else "")
        return (f"{len(self.damaged)} line(s) of the load history are damaged and were "
                f"skipped (line {lines}); a disk that filled up or a crash can cut a line "
                "short. The other entries are shown.")


def history(db_path: Path) -> History:
    """Every readable entry of the load history, and the lines that are not one."""
    path = history_path(db_path)
    found = History()
    if not path.exists():
        return found
    text = path.read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if isinstance(entry, dict):
            found.entries.append(entry)
        else:
            found.damaged.append(number)
    return found


def read_history(db_path: Path) -> list[dict]:
    """The readable entries of the load history, oldest first (damaged lines skipped)."""
    return history(db_path).entries


# --- one load at a time ---------------------------------------------------------------

LOCK_WAIT_S = float(os.environ.get("TARGETLINE_LOAD_WAIT", "900"))


class LoadBusy(RuntimeError):
    """Another load into the same database kept running longer than the wait."""


def lock_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".load.lock")


@dataclass
class LoadLock:
    """The lock of a running load; `stale` is what a killed or crashed one left behind."""

    handle: object
    stale: dict | None

    def note(self, **values) -> None:
        """Add to the running load's marker (e.g. the version file it will publish)."""
        marker = {**_read_marker(self.handle), **values}
        _write_marker(self.handle, marker)


@contextlib.contextmanager
def load_lock(db_path: Path, source: str, wait_s: float | None = None,
              on_wait: Callable[[str], None] | None = None) -> Iterator[LoadLock]:
    """Hold the database's load lock for the block; wait while another load holds it
    (on_wait gets a sentence saying which), LoadBusy after wait_s seconds."""
    path = lock_path(Path(db_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    # flock locks an open file description: threads of one server that open the file
    # each exclude one another as processes do (Linux and BSD semantics)
    with open(path, "a+", encoding="utf-8") as handle:
        _acquire(handle, LOCK_WAIT_S if wait_s is None else wait_s, on_wait)
        try:
            stale = _read_marker(handle) or None
            _write_marker(handle, {"pid": os.getpid(), "source": source,
                                   "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")})
            yield LoadLock(handle, stale)
        finally:
            with contextlib.suppress(OSError):
                _write_marker(handle, {})
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle, wait_s: float, on_wait) -> None:
    deadline, told = time.monotonic() + wait_s, False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder_text(_read_marker(handle))
            if not told and on_wait:
                on_wait(f"waiting for {holder} to finish")
                told = True
            if time.monotonic() >= deadline:
                raise LoadBusy(f"{holder} is still running after {wait_s:g} s of waiting; "
                               "nothing was changed: load again once it has finished") \
                    from None
            time.sleep(0.2)


def _holder_text(marker: dict) -> str:
    if not marker:
        return "another load of this database"
    return (f"the load of {marker.get('source', '?')} started at "
            f"{marker.get('started', '?')} UTC "
            f"(process {marker.get('pid', '?')})")


def _read_marker(handle) -> dict:
    handle.seek(0)
    try:
        marker = json.loads(handle.read() or "{}")
    except ValueError:
        return {"source": "an unknown load (its lock note is damaged)"}
    return marker if isinstance(marker, dict) else {}


def _write_marker(handle, marker: dict) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps(marker) if marker else "")
    handle.flush()
    os.fsync(handle.fileno())


@contextlib.contextmanager
def _flocked(path: Path) -> Iterator[None]:
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- later-started loads win -----------------------------------------------------------
# Loads wait for the lock, but waiters are not woken in the order they came: a load
# started later may run first. Each load takes a ticket when it starts; the ticket of the
# published dataset is kept, and a load whose ticket is older than the published one is
# not published (its data is older than what is served).

def _tickets_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".tickets.json")


def _tickets(db_path: Path) -> dict:
    try:
        found = json.loads(_tickets_path(db_path).read_text())
    except (OSError, ValueError):
        return {"next": 1, "published": 0}
    return found if isinstance(found, dict) else {"next": 1, "published": 0}


def take_ticket(db_path: Path) -> dict:
    """This load's place in start order: {"ticket": n, "started": when}."""
    path = _tickets_path(Path(db_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    with _flocked(Path(str(path) + ".lock")):
        state = _tickets(db_path)
        ticket = int(state.get("next", 1))
        state["next"] = ticket + 1
        write_atomically(path, json.dumps(state).encode())
    return {"ticket": ticket, "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")}


def superseded(db_path: Path, ticket: dict | None) -> str | None:
    """Why this load must not be published: a load started after it was published first.
    Called under the load lock, just before publishing."""
    state = _tickets(db_path)
    if ticket is None or int(state.get("published", 0)) <= ticket["ticket"]:
        return None
    return (f"a load started after this one (at {state.get('published_started', '?')} UTC) "
            "was published while this one waited or ran; this one is not published, so "
            "the newer data stays served")


def record_published(db_path: Path, ticket: dict | None) -> None:
    if ticket is None:
        return
    path = _tickets_path(Path(db_path))
    with _flocked(Path(str(path) + ".lock")):
        state = _tickets(db_path)
        state.update(published=ticket["ticket"], published_started=ticket["started"])
        write_atomically(path, json.dumps(state).encode())


# --- what a failed write means for the user ------------------------------------------------

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def write_problem(exc: BaseException, folder: Path) -> str | None:
    """A sentence for a write that failed because of the disk or the folder (full,
    read-only, no permission), whether the OS or DuckDB said it; None otherwise."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code in _FULL or "No space left" in text or "File too large" in text \
            or "Disk quota" in text:
        return (f"the disk holding {folder} is full ({_reason(exc)}): free some space and "
                "load again; the dataset served before is unchanged")
    if code in _READ_ONLY or "Read-only file system" in text or "Permission denied" in text:
        return (f"cannot write to {folder} ({_reason(exc)}): the folder is read-only for this "
                "user; give it write access, or load into another database with --db PATH "
                "(or TARGETLINE_DB)")
    return None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc).split(":")[-1].strip() or type(exc).__name__
