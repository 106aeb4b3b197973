"""Load a canonical CRM extract into a new DuckDB version file, or refuse it.

Why this module exists: it is the only way data enters Targetline, so it carries the
promise "nothing is ever lost". A load reads every file into a raw layer, checks it
against the contract (gtm/load/validate.py), and only when nothing is wrong builds the
typed tables the metrics read, writes dataset_tables / dataset_meta, checkpoints,
closes, and switches the database link to the new file (gtm.load.store.publish). A
refused, failed or killed load leaves the previous dataset exactly as it was: the
new file is written under a `.partial` name and is deleted, never published.
Every attempt, accepted or refused, is appended to the load history.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from gtm.contract import REQUIRED_TABLES, TABLES, Column, Table, create_table_sql
from gtm.load import definitions, money, readers, skip, staging, store
from gtm.load.readers import RawRead, Source
from gtm.load.validate import (
    Message,
    RawFile,
    case_checks,
    coded_checks,
    ident,
    norm_code,
    params_for,
    reference_checks,
    row_checks,
    trimmed,
    typed_sql,
    unique_checks,
    value_checks,
)

__all__ = ["LoadResult", "Message", "load"]

Progress = Callable[[str, float], None]
MEMORY_LIMIT = os.environ.get("TARGETLINE_LOAD_MEMORY", "2GB")


@dataclass
class LoadResult:
    ok: bool
    version: Path | None  # the published version file when ok
    errors: list[Message]
    warnings: list[Message]
    row_counts: dict[str, int] = field(default_factory=dict)  # per canonical table loaded
    left_out: list[Message] = field(default_factory=list)  # rows left out (--skip-bad-rows)
    files: list[dict] = field(default_factory=list)  # per file: name, table, rows, columns
    currency: str | None = None  # the dataset currency every amount was converted to

    @property
    def skippable(self) -> bool:
        """Refused only for row-level problems: leaving those rows out would load."""
        return not self.ok and skip.skippable(self.errors)


def load(source: Path | Sequence[Path], db_path: Path | None = None, *,
         currency: str | None = None, progress: Progress | None = None,
         label: str | None = None, skip_bad_rows: bool = False,
         left_before: Sequence[tuple[str, Message]] = ()) -> LoadResult:
    """Load source (a folder, or a list of files) into db_path; never raises for bad input.

    currency: the dataset currency (default: the rates' base, else the one currency the
    rows use, else USD). label names the source in the history when it differs from
    `source` (an import converts the user's export into a temporary folder first).
    skip_bad_rows: leave out rows that break row-level rules instead of refusing.
    left_before: (table, message) of rows an import already left out, for the history.
    One load at a time per database (store.load_lock): a second one waits, and says so
    through progress.
    """
    db_path = Path(db_path or store.default_db_path())
    report = progress or (lambda message, fraction: None)
    name = label or _source_text(source)
    options = {"currency": currency, "skip_bad_rows": skip_bad_rows, "left_before": left_before}
    try:
        ticket = store.take_ticket(db_path)  # start order: a later-started load wins
        with store.load_lock(db_path, name, on_wait=lambda text: report(text, 0.0)) as lock:
            _record_stale(db_path, lock.stale)
            return _load(source, db_path, report, name, lock, ticket, **options)
    except (OSError, store.LoadBusy) as exc:  # a read-only folder, a full disk, a busy lock
        text = store.write_problem(exc, db_path.parent) or str(exc)
        report("refused", 1.0)
        return LoadResult(False, None, [Message("error", None, None, None, text)], [], {})


def _load(source, db_path: Path, report: Progress, name: str, lock: store.LoadLock,
          ticket: dict, *, currency: str | None, skip_bad_rows: bool,
          left_before: Sequence[tuple[str, Message]]) -> LoadResult:
    started = datetime.now(UTC)
    sources, messages = readers.discover(source)
    with ThreadPoolExecutor(max_workers=1) as pool:
        sums = pool.submit(_checksums, [s.path for s in sources])
        version = store.new_version_path(db_path)
        lock.note(version=version.name)
        meta = {"currency": currency, "source": name, "files": _describe(sources),
                "skip_bad_rows": skip_bad_rows}
        result, raws = _attempt(version, db_path, sources, messages, meta, report, ticket)
        files = _file_entries(sources, raws, sums.result())
        result.files = files
    _record(db_path, started, name, files, result, left_before)
    report("refused" if not result.ok else "loaded", 1.0)
    return result


def _attempt(version: Path, db_path: Path, sources, messages, meta, report, ticket=None):
    """Build the version under a .partial name; publish it only when everything passed
    (and no load started after this one was published meanwhile)."""
    partial = version.with_name(version.name + ".partial")
    _remove_stale_partials(db_path)
    raws: dict[str, RawRead] = {}
    result = None
    try:
        counts = _build(partial, sources, messages, raws, meta, report,
                        store.current_version(db_path))
        later = store.superseded(db_path, ticket) if counts is not None else None
        if later:
            messages.append(Message("error", None, None, None, later))
        elif counts is not None:
            os.replace(partial, version)
            store.publish(db_path, version)
            store.record_published(db_path, ticket)
            result = LoadResult(True, version, [], _warnings(messages), counts,
                                meta.get("left_out", []), currency=meta["currency"])
    except Exception as exc:  # bad input must never crash the caller; say what happened
        text = store.write_problem(exc, db_path.parent) or f"the load failed: {exc}"
        messages.append(Message("error", None, None, None, text))
    finally:
        _remove_db_file(partial)
    if result is None:
        _remove_db_file(version)
        result = LoadResult(False, None, _errors(messages), _warnings(messages), {})
    return result, raws


def _build(path: Path, sources: list[Source], messages: list[Message], raws: dict,
           meta: dict, report: Progress, previous: Path | None = None) -> dict[str, int] | None:
    """Read, check and (when clean) write every table; None when refused. The target
    definitions of `previous` (the version this load replaces) carry over."""
    con = duckdb.connect(str(path))
    try:
        con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        files = _read_all(con, sources, messages, raws, report)
        report("checking references between files", 0.7)
        messages += _missing_tables(files, raws)
        messages += skip.row_level([m for m in reference_checks(con, files)])
        meta["currency"] = _currency_checks(con, files, messages, meta.get("currency"))
        if _errors(messages) and meta.get("skip_bad_rows") and skip.skippable(_errors(messages)):
            meta["left_out"] = _leave_out(con, files, messages, meta["currency"])
        if _errors(messages):
            return None
        report("writing typed tables", 0.75)
        counts = _write_typed(con, files, report, meta["currency"])
        _write_raw_layer(con, files)
        definitions.carry_over(con, previous)
        messages += [Message("warning", None, None, None, text)
                     for text in staging.build(con, report)]
        _write_dataset_tables(con, files, counts)
        _write_meta(con, {k: v for k, v in meta.items() if k not in ("left_out",
                                                                     "skip_bad_rows")})
        report("saving the database file", 0.95)
        con.execute("checkpoint")
        return counts
    finally:
        con.close()


# --- reading and per-file checks -------------------------------------------------------

def _read_all(con, sources, messages, raws, report) -> dict[str, RawFile]:
    total = sum(s.path.stat().st_size for s in sources) or 1
    done, files = 0, {}
    for src in sources:
        report(f"reading {src.path.name}", 0.7 * done / total)
        raw_table = f"load_{src.table}"  # a temp table: never written to the file
        raw = readers.read(con, src, raw_table)
        raws[src.table] = raw
        file_messages = [_tag_reject(m) for m in raw.messages]
        if raw.header:
            rf, column_messages = _map_columns(src, raw, raw_table)
            file_messages += column_messages
            if not any(m.severity == "error" and m.line == 1 for m in column_messages):
                files[src.table] = rf
                report(f"checking {src.path.name}", 0.7 * (done + 0.7 * src.path.stat().st_size)
                       / total)
                file_messages += _file_checks(con, src, raw, rf)
        messages += file_messages
        done += src.path.stat().st_size
    return files


def _map_columns(src: Source, raw: RawRead, raw_table: str) -> tuple[RawFile, list[Message]]:
    """Match the header to contract columns (trimmed, case-insensitive)."""
    table = TABLES[src.table]
    mapping: dict[str, str] = {}
    messages: list[Message] = []
    unknown = []
    for name in raw.header:
        key = readers.table_key(name)
        if key not in table.column_names:
            unknown.append(name)
        elif key in mapping:
            messages.append(Message("error", src.path.name, 1, name,
                                    f"two columns name {key} ('{mapping[key]}' and '{name}'); "
                                    "expected each column once"))
        else:
            mapping[key] = name
    messages += _missing_columns(src, table, mapping, raw.header)
    if unknown:
        messages.append(Message("warning", src.path.name, 1, None,
                                f"column{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(unknown)} not in the data contract: kept in "
                                f"raw_{src.table} only, {_extra_use(src.table)}"))
    return RawFile(table, src.path.name, raw_table, mapping, raw.rows, tuple(unknown)), messages


def _extra_use(table: str) -> str:
    """What reads a table's extra columns (a target definition's rules read the accounts')."""
    if table == "accounts":
        return "where a target definition's rules can use them (the metrics do not read them)"
    return "not used by the metrics"


def _missing_columns(src: Source, table: Table, mapping: dict, header: list[str]):
    return [Message("error", src.path.name, 1, col.name,
                    f"required column {col.name} is missing; the header has: "
                    f"{', '.join(header)}")
            for col in table.columns if col.required and col.name not in mapping]


def _file_checks(con, src: Source, raw: RawRead, rf: RawFile) -> list[Message]:
    if rf.rows == 0:
        severity = "error" if rf.table.required else "warning"
        fate = "expected at least one data row" if rf.table.required else "loaded as empty"
        return [Message(severity, src.path.name, 2, None, f"has a header but no rows; {fate}")]
    found = value_checks(con, rf) + unique_checks(con, rf) + coded_checks(con, rf)
    found += row_checks(con, rf) + case_checks(con, rf)
    if src.fmt == "csv":
        found = _real_lines(src, raw, found)
    return skip.row_level(found)


def _tag_reject(m: Message) -> Message:
    """A CSV row the reader rejected (too few or too many values) is a row problem."""
    if m.severity == "error" and m.text.startswith(("the row ", "rows in all cannot be read")) \
            or " rows in all cannot be read" in m.text:
        return skip.row_level([m])[0]
    return m


def _currency_checks(con, files, messages: list[Message], requested) -> str:
    """Decide the dataset currency and check every row's currency has a rate."""
    money.build_rates(con, files)
    dataset = money.dataset_currency(con, files, requested)
    whole, rows = money.checks(con, files, dataset)
    messages += whole + skip.row_level(rows)
    return dataset


def _leave_out(con, files, messages: list[Message], dataset: str) -> list[Message]:
    """--skip-bad-rows: delete the bad rows; the rows the reader rejected are listed too."""
    rejected = [Message(skip.LEFT_OUT, m.file, m.line, m.column, m.text) for m in messages
                if m.severity == "error" and m.text.startswith("the row ")]
    left = skip.leave_out(con, files, dataset)
    messages[:] = [m for m in messages if m.severity != "error"]
    return sorted(rejected + left, key=lambda m: (m.file or "", m.line or 0))


def _real_lines(src: Source, raw: RawRead, found: list[Message]) -> list[Message]:
    """Replace conventional lines (row position + 2) by the real lines of the file."""
    wanted = {m.line for m in found if m.line is not None}
    lines = readers.physical_lines(src.path, raw.encoding, raw.delimiter, len(raw.header),
                                   wanted)
    return [Message(m.severity, m.file, lines.get(m.line, m.line), m.column,
                    _relined(m.text, lines)) for m in found]


def _relined(text: str, lines: dict[int, int]) -> str:
    """Fix a 'first on line N' mention too (duplicates name two lines)."""
    marker = "(first on line "
    if marker not in text:
        return text
    head, rest = text.split(marker, 1)
    number, tail = rest.split(")", 1)
    return f"{head}{marker}{lines.get(int(number), int(number))}){tail}"


def _missing_tables(files: dict, raws: dict) -> list[Message]:
    return [Message("error", f"{name}.csv", None, None,
                    f"required file is missing; expected {name}.csv, {name}.xlsx or "
                    f"{name}.parquet with columns {', '.join(TABLES[name].column_names)}")
            for name in REQUIRED_TABLES if name not in raws]


# --- writing ----------------------------------------------------------------------

def _write_typed(con, files: dict[str, RawFile], report: Progress,
                 dataset: str = "USD") -> dict[str, int]:
    counts = {}
    for i, table in enumerate(TABLES.values()):
        report(f"writing {table.name}", 0.75 + 0.12 * i / len(TABLES))
        con.execute(create_table_sql(table))
        rf = files.get(table.name)
        if rf is not None:
            exprs = [_converted(_typed_column(table, col, rf), col, rf, dataset)
                     for col in table.columns]
            sql = (f"insert into {table.name} select {', '.join(exprs)} "  # noqa: S608
                   f"from {ident(rf.raw_table)}")
            con.execute(sql, params_for(sql, _allowed_params(table)))
        counts[table.name] = con.execute(
            f"select count(*) from {table.name}").fetchall()[0][0]  # noqa: S608
    return counts


def _write_raw_layer(con, files: dict[str, RawFile]) -> None:
    """Persist raw_<table>: each row's source line, its id (the table's unique column, as the
    typed table has it, so the extra columns join back: a target definition reads an
    accounts export's `technologies`) and the columns outside the contract.

    The full all-varchar copy stays a temp table: writing it too would double the file
    and the load time, and everything in the contract is in the typed table already.
    """
    for name, rf in files.items():
        written = [f"{ident(rf.columns[c])} as {ident(c + '_as_written')}"
                   for c in (*money.money_columns(name), "currency")
                   if "currency" in rf.columns and c in rf.columns]
        key = [f"{trimmed(rf.columns[c.name])} as {ident(c.name)}" for c in rf.table.columns
               if c.unique and c.name in rf.columns]
        cols = ", ".join(["_line", *key, *(ident(c) for c in rf.unknown), *written])
        con.execute(f"create table raw_{name} as select {cols} "  # noqa: S608
                    f"from {ident(rf.raw_table)} order by _line")


def _converted(expr: str, col: Column, rf: RawFile, dataset: str) -> str:
    """A money column in the dataset currency (rows in another currency times its rate)."""
    if col.type != "money" or "currency" not in rf.columns:
        return expr
    return f"({expr}) * {money.factor_sql(rf, dataset)}"


def _allowed_params(table: Table) -> dict:
    return {f"allowed_{c.name}": list(c.allowed) for c in table.columns if c.allowed}


# Filled at load for every table that has the column, so no query repeats the default:
# a deal without a type is new business (data contract), an empty channel reads `unknown`
# (metrics.md v2), so every channel breakdown adds up to its total.
LOAD_DEFAULTS = {"type": "'new_business'", "channel": "'unknown'"}


def _typed_column(table: Table, col: Column, rf: RawFile) -> str:
    raw_col = rf.columns.get(col.name)
    if raw_col is None:
        return LOAD_DEFAULTS[col.name] if col.name in LOAD_DEFAULTS \
            else f"cast(null as {col.sql_type})"
    v = trimmed(raw_col)
    if col.name in LOAD_DEFAULTS and not col.allowed:
        return f"coalesce({v}, {LOAD_DEFAULTS[col.name]})"
    if not col.allowed:
        return typed_sql(col, v)
    code, allowed = norm_code(v), f"$allowed_{col.name}"
    if col.name in ("buying_role", "role"):
        return f"case when {v} is null then null when list_contains({allowed}, {code}) " \
               f"then {code} else 'other' end"
    if col.name == "demand_type":
        return f"case when list_contains({allowed}, {code}) then {code} end"
    if col.name == "type":
        return f"coalesce({code}, {LOAD_DEFAULTS['type']})"
    return code


def _write_dataset_tables(con, files: dict[str, RawFile], counts: dict[str, int]) -> None:
    con.execute("create table dataset_tables (\"table\" varchar, provided boolean, "
                "rows bigint, source_file varchar)")
    rows = [(name, name in files, counts[name], files[name].file if name in files else None)
            for name in TABLES]
    con.executemany("insert into dataset_tables values (?, ?, ?, ?)", rows)


AS_OF_SQL = """
select list_max([
    (select max(created_date) from people),
    (select max(created_date) from opportunities),
    (select max(close_date) from opportunities where is_closed),
    (select cast(max(touch_date) as date) from touches),
    (select max(month) from arr),
    (select max(month) from spend)])
"""


def _write_meta(con, meta: dict) -> None:
    as_of = con.execute(AS_OF_SQL).fetchall()[0][0]
    values = {"loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "as_of": as_of.isoformat() if as_of else None, "contract_version": "2",
              "staging_version": staging.STAGING_VERSION, **meta}
    con.execute("create table dataset_meta (key varchar, value varchar)")
    con.executemany("insert into dataset_meta values (?, ?)", list(values.items()))


# --- files, history, cleanup --------------------------------------------------------

def _checksums(paths: list[Path]) -> dict[Path, str]:
    """sha256 of each file (runs in a thread beside DuckDB; hashlib releases the GIL)."""
    sums = {}
    for path in paths:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 22):
                digest.update(chunk)
        sums[path] = digest.hexdigest()
    return sums


def _file_entries(sources: list[Source], raws: dict, sums: dict) -> list[dict]:
    return [{"name": s.path.name, "table": s.table, "bytes": s.path.stat().st_size,
             "sha256": sums.get(s.path), "rows": raws[s.table].rows if s.table in raws else None,
             "header": raws[s.table].header if s.table in raws else []}
            for s in sources]


def _record(db_path: Path, started: datetime, source: str, files: list[dict],
            result: LoadResult, left_before: Sequence[tuple[str, Message]] = ()) -> None:
    """Append the attempt to the load history; a history that cannot be written (full
    disk, read-only folder) is said in the result, never raised."""
    left = _left_counts(files, result.left_out)
    for table, _ in left_before if result.ok else ():
        left[table] = left.get(table, 0) + 1
    try:
        store.append_history(db_path, {
            "when": started.isoformat(timespec="seconds"),
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 2),
            "source": source,
            "files": files,
            "row_counts": result.row_counts,
            "result": "ok" if result.ok else "refused",
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "left_out": left,
            "currency": result.currency,
            "first_errors": [str(m) for m in result.errors[:10]],
            "version": result.version.name if result.version else None,
        })
    except OSError as exc:
        why = store.write_problem(exc, db_path.parent) or str(exc)
        kind = "warning" if result.ok else "error"
        (result.warnings if result.ok else result.errors).append(
            Message(kind, None, None, None, f"the load history could not be written: {why}"))


def _record_stale(db_path: Path, stale: dict | None) -> None:
    """A load whose lock note was still there: it was killed or crashed. Record it once
    (published when its version is the one served: only its entry was lost)."""
    if not stale:
        return
    current = store.current_version(db_path)
    published = bool(stale.get("version")) and current is not None \
        and current.name == stale.get("version")
    what = ("published, but stopped before writing its history entry" if published else
            "stopped before it finished (killed, crashed, or the machine went down); "
            "nothing of it was published")
    with contextlib.suppress(OSError):
        store.append_history(db_path, {
            "when": str(stale.get("started", "")).replace(" ", "T"), "seconds": None,
            "source": stale.get("source"), "files": [], "row_counts": {},
            "result": "ok" if published else "killed", "errors": 0 if published else 1,
            "warnings": 0, "version": stale.get("version") if published else None,
            "first_errors": [] if published else
            [f"the load (process {stale.get('pid', '?')}) {what}"],
            "note": f"the load (process {stale.get('pid', '?')}) {what}"})


def _left_counts(files: list[dict], left_out: list[Message]) -> dict[str, int]:
    """Left-out rows per table (history: 'counted in the load history')."""
    table_of = {f["name"]: f["table"] for f in files}
    counts: dict[str, int] = {}
    for m in left_out:
        table = table_of.get(m.file or "", m.file or "?")
        counts[table] = counts.get(table, 0) + 1
    return counts


def record_refusal(db_path: Path | None, source: str, result: LoadResult) -> None:
    """History entry for a load refused before the loader ran (e.g. a broken export)."""
    db_path = Path(db_path or store.default_db_path())
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        result.errors.append(Message("error", None, None, None,
                                     store.write_problem(exc, db_path.parent) or str(exc)))
        return
    _record(db_path, datetime.now(UTC), source, [], result)


def _source_text(source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return ", ".join(str(p) for p in source)


def _describe(sources: list[Source]) -> str:
    return ", ".join(s.path.name for s in sources)


def _errors(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.severity == "error"]


def _warnings(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.severity == "warning"]


def _remove_db_file(path: Path) -> None:
    for extra in ("", ".wal"):
        Path(str(path) + extra).unlink(missing_ok=True)
    shutil.rmtree(str(path) + ".tmp", ignore_errors=True)


def _remove_stale_partials(db_path: Path) -> None:
    """Drop .partial files left by loads that were killed (their process is gone)."""
    for partial in store.versions_dir(db_path).glob("*.partial"):
        pid = partial.name.split("-")[-1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            _remove_db_file(partial)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

