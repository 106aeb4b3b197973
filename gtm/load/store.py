"""Where the loaded dataset lives, and how it is switched without ever losing one.

The database path the app and CLI read (default `data/targetline.duckdb`) is a
symlink to one immutable version file under `<db>.versions/`. A load writes a new
version file, checks it, then swaps the symlink with one atomic `os.replace`.
A refused or killed load never touches the link, and a running dashboard keeps
reading the version it opened (the file stays until no one holds it).
"""

from __future__ import annotations

import json
import os
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
    """The version file the database path points at, or None before any load."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    return db_path.resolve()


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


def append_history(db_path: Path, entry: dict) -> None:
    with open(history_path(db_path), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, default=str) + "\n")


def read_history(db_path: Path) -> list[dict]:
    path = history_path(db_path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
