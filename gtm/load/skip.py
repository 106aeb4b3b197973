"""Leaving out the bad rows of an otherwise good extract (data contract v2, --skip-bad-rows).

Why a module of its own: the checks in gtm/load/validate.py report the first few rows of
each problem, which is what a user reads; leaving rows out needs every one of them. Here
each row-level rule (a required value empty, a value that is not of its type, a negative
amount, a repeated unique id, an unknown spend function, an opportunity whose account is
not in accounts, a currency without a rate) is run again to list *all* its rows; those
rows are deleted from the raw tables and the rules run again, since leaving out an account
can leave its deals dangling. Every left-out row is kept as a message (file, line,
column, reason) for the Data page, its download and the load history. Problems with a
whole file or column are not row-level and always refuse the load.
"""

from __future__ import annotations

from dataclasses import dataclass

from gtm.contract import REFERENCES
from gtm.load import money
from gtm.load.validate import (
    Message,
    _value_probes,
    ident,
    norm_code,
    params_for,
    trimmed,
)

LEFT_OUT = "left out"  # the severity of a left-out row's message
ROUNDS = 5  # leaving rows out can orphan others; a few rounds settle every real case


@dataclass(frozen=True)
class RowMessage(Message):
    """An error about one row (or a count of such rows): --skip-bad-rows can leave it out."""


def row_level(messages: list[Message]) -> list[Message]:
    """The same messages, marked as about rows."""
    return [m if isinstance(m, RowMessage) or m.severity != "error" else
            RowMessage(m.severity, m.file, m.line, m.column, m.text) for m in messages]


def skippable(errors: list[Message]) -> bool:
    """True when every error is about rows, so leaving them out would let the load pass."""
    return bool(errors) and all(isinstance(m, RowMessage) for m in errors)


def leave_out(con, files: dict, dataset: str) -> list[Message]:
    """Delete every bad row from the raw tables; one LEFT_OUT message per row."""
    left: list[Message] = []
    for _ in range(ROUNDS):
        found = _problems(con, files, dataset)
        if not found:
            break
        left += found
        for rf in files.values():
            lines = sorted({m.line for m in found if m.file == rf.file})
            if lines:
                con.execute(f"delete from {ident(rf.raw_table)} "  # noqa: S608
                            "where list_contains($lines, _line)", {"lines": lines})
                rf.rows -= len(lines)
        money.build_rates(con, files)  # a left-out rate changes what the amounts can use
    return left


def _problems(con, files: dict, dataset: str) -> list[Message]:
    """One message per bad row (the first problem of the row)."""
    found: dict[tuple[str, int], Message] = {}
    for rf in files.values():
        for m in _value_rows(con, rf) + _duplicate_rows(con, rf) + _coded_rows(con, rf):
            found.setdefault((m.file, m.line), m)
    for m in _reference_rows(con, files):
        found.setdefault((m.file, m.line), m)
    if "currency_rates" in files:
        for m in money.bad_rates(con, files["currency_rates"], limit=None):
            found.setdefault((m.file, m.line), _left(m))
    for rf in money.money_tables(files):
        for m in money.no_rate(con, rf, dataset, limit=None):
            found.setdefault((m.file, m.line), _left(m))
    return sorted(found.values(), key=lambda m: (m.file, m.line))


def _left(m: Message) -> Message:
    return Message(LEFT_OUT, m.file, m.line, m.column, m.text)


def _value_rows(con, rf) -> list[Message]:
    out = []
    for _col, raw_col, cond, make in _value_probes(rf):
        sql = (f"select _line, {trimmed(raw_col)} from {ident(rf.raw_table)} "  # noqa: S608
               f"where {cond} order by _line")
        out += [_left(make(line, value)) for line, value in
                con.execute(sql, params_for(sql)).fetchall()]
    return out


def _duplicate_rows(con, rf) -> list[Message]:
    out = []
    for col in rf.table.columns:
        raw_col = rf.columns.get(col.name)
        if not col.unique or raw_col is None:
            continue
        rows = con.execute(
            f"""select _line, v, first_line from (
                  select _line, {trimmed(raw_col)} as v,
                    row_number() over (partition by v order by _line) as n,
                    min(_line) over (partition by v) as first_line
                  from {ident(rf.raw_table)}) where v is not null and n > 1
                order by _line""").fetchall()  # noqa: S608
        out += [Message(LEFT_OUT, rf.file, line, col.name,
                        f"'{v}' repeats line {first}; {col.name} must be unique (the first "
                        "row is kept)") for line, v, first in rows]
    return out


def _coded_rows(con, rf) -> list[Message]:
    if rf.table.name != "spend" or "function" not in rf.columns:
        return []
    col = rf.table.column("function")
    code = norm_code(trimmed(rf.columns["function"]))
    rows = con.execute(
        f"select _line, {trimmed(rf.columns['function'])} from {ident(rf.raw_table)} "  # noqa: S608
        f"where {code} is not null and not list_contains($allowed, {code}) order by _line",
        {"allowed": list(col.allowed)}).fetchall()
    return [Message(LEFT_OUT, rf.file, line, "function",
                    f"'{v}' is not a spend function; expected marketing or sales")
            for line, v in rows]


def _reference_rows(con, files: dict) -> list[Message]:
    out = []
    for table, column, ref_table, ref_column, fatal in REFERENCES:
        src, ref = files.get(table), files.get(ref_table)
        if not fatal or not src or not ref or column not in src.columns \
                or ref_column not in ref.columns:
            continue
        v = trimmed(src.columns[column])
        rows = con.execute(  # ids in a CTE of their own: the two files may share a header
            f"""with refs as (select distinct {trimmed(ref.columns[ref_column])} as id
                  from {ident(ref.raw_table)})
                select _line, {v} as v from {ident(src.raw_table)}
                where v is not null and not exists (select 1 from refs where refs.id = v)
                order by 1""").fetchall()  # noqa: S608
        out += [Message(LEFT_OUT, src.file, line, column,
                        f"'{value}' is not a {ref_column} in {ref.file}")
                for line, value in rows]
    return out
