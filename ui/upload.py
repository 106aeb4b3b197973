"""Turns browser uploads into a folder the loader can read, refusing anything unsafe.

Uploads come from a browser, so names are not trusted: a zip member such as
`../../app.py` or `/etc/passwd` must never be written outside the staging folder,
and a zip bomb must not fill the disk or the memory. Only plain file names with a data
extension are staged; everything else is refused with a sentence naming it. Files are
copied to disk a chunk at a time (Streamlit's UploadedFile is file-like: its bytes are
never copied whole), and a zip is measured from its directory (member count, sizes,
compression ratio: gtm/load/bounds.py) before one member is unpacked, then unpacked a
chunk at a time.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from gtm.load import bounds

DATA_EXTENSIONS = (".csv", ".xlsx", ".parquet")
MAPPING_EXTENSIONS = (".yaml", ".yml")  # a column mapping (gtm/importers/mapping.py)
ACCEPTED = ("csv", "xlsx", "parquet", "zip", "yaml", "yml")
MAX_UNZIPPED = bounds.MAX_UNZIPPED  # bytes: a CRM extract bigger than this is not an upload
_JUNK = ("__MACOSX/", ".DS_Store")  # written by macOS "Compress", never data
MB = 1024 * 1024  # Streamlit's server.maxUploadSize counts megabytes of 1024 * 1024 bytes


def over_limit(name: str, size: int, limit_mb: float | None) -> str | None:
    """'x.csv is 250 MB; the upload limit is 200 MB: load it with python -m gtm load DIR
    instead', or None when size fits (or there is no limit)."""
    if limit_mb is None or size <= limit_mb * MB:
        return None
    shown = f"{size / MB:.0f}" if size >= 10 * MB else f"{size / MB:.1f}"
    return (f"{name} is {shown} MB; the upload limit is {limit_mb:g} MB: load it with "
            "python -m gtm load DIR instead")


def _plain(name: str) -> str | None:
    """The name when it is a plain file name (no folder, no climbing), else None."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or ":" in name:
        return None
    return name


def _check_name(name: str, where: str) -> str | None:
    """A refusal sentence for a bad file name, or None when acceptable."""
    if _plain(name) is None:
        return (f"{where}{name!r} is not a plain file name (folders and '..' are refused); "
                "zip the files themselves, not a folder")
    if not name.lower().endswith(DATA_EXTENSIONS + MAPPING_EXTENSIONS):
        return f"{where}{name!r} is not a CSV, XLSX or Parquet file"
    return None


def _is_junk(name: str) -> bool:
    return name.startswith(_JUNK[0]) or PurePosixPath(name).name == _JUNK[1] or name.endswith("/")


def _zip_members(data: BinaryIO, zip_name: str, target: Path) -> list[str]:
    """Extract a zip's data files into target; refusal sentences, empty when fine."""
    problems = []
    with zipfile.ZipFile(data) as archive:
        if problem := bounds.archive_problem(archive, zip_name):
            return [problem]
        members = [m for m in archive.infolist() if not _is_junk(m.filename)]
        for member in members:
            problem = _check_name(member.filename, f"{zip_name}: member ")
            if problem is None and (member.external_attr >> 16) & 0o170000 == 0o120000:
                problem = f"{zip_name}: member {member.filename!r} is a symbolic link"
            if problem:
                problems.append(problem)
        if not problems:
            for member in members:
                if not _taken(target, member.filename, problems):
                    bounds.copy_member(archive, member, target / member.filename)
    return problems


def _taken(target: Path, name: str, problems: list[str]) -> bool:
    if (target / name).exists():
        problems.append(f"{name!r} was uploaded twice")
        return True
    return False


def _size(data: BinaryIO) -> int:
    size = getattr(data, "size", None)  # Streamlit's UploadedFile knows it
    if isinstance(size, int):
        return size
    here = data.seek(0, io.SEEK_END)
    data.seek(0)
    return here


def stage(files: list[tuple[str, bytes | BinaryIO]], target: Path,
          limit_mb: float | None = None) -> list[str]:
    """Write uploads (name, bytes or a binary file object such as Streamlit's UploadedFile)
    into target, a chunk at a time; return refusals (empty = staged, else nothing is)."""
    problems: list[str] = []
    for name, data in files:
        stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        stream.seek(0)
        if too_big := over_limit(name, _size(stream), limit_mb):
            problems.append(too_big)
            continue
        if name.lower().endswith(".zip") and _plain(name):
            try:
                problems += _zip_members(stream, name, target)
            except (zipfile.BadZipFile, EOFError, ValueError) as exc:  # damaged, bad CRC
                detail = "" if "not a zip file" in str(exc) else f" ({exc})"
                problems.append(f"{name!r} is not a readable zip file{detail}")
            continue
        problem = _check_name(name, "")
        if problem:
            problems.append(problem)
        elif not _taken(target, name, problems):
            with open(target / name, "wb") as out:
                shutil.copyfileobj(stream, out, bounds.CHUNK)
    if not problems and not any(p.suffix.lower() in DATA_EXTENSIONS for p in target.iterdir()):
        problems.append("no CSV, XLSX or Parquet file was uploaded")
    if problems:  # a refused upload stages nothing
        for path in target.iterdir():
            path.unlink()
    return problems
