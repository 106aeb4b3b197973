"""Reading the dates of CRM exports, one column at a time, never guessing silently.

Why a module of its own: exports write dates in the exporting user's locale. A
Salesforce report from a US user says 3/22/2018, from a UK user 22/03/2018, a German
spreadsheet 22.03.2018, Data Loader and HubSpot write ISO, with or without a time and
a zone. 3/4/2018 is March 4th or April 3rd depending on who exported it, so the form
is decided per column from all its values: a column whose every value fits both
month/day and day/month is refused with a message asking for the format, and a
column that mixes forms is refused naming the lines. Zone-aware timestamps become
UTC. The result is ISO text the loader reads (2018-03-22 or 2018-03-22T14:05:00).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from gtm.load.validate import DATE_MAX, DATE_MIN, MAX_OFFSET_HOURS

TIME = r"(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*([AaPp][Mm])?)?"
ZONE = r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?"
SHAPES = {  # kind -> pattern of (a, b, c) date parts, then the time and zone groups
    "iso": re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + TIME + ZONE),
    "slash": re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})" + TIME + ZONE),
    "dash": re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})" + TIME + ZONE),
    "dot": re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})" + TIME + ZONE),
}
KIND_TEXT = {"iso": "year-month-day (ISO)", "slash": "a/b/yyyy", "dash": "a-b-yyyy",
             "dot": "day.month.year"}
SHORT_YEAR = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(\D.*)?")
FORMAT_HINT = ('say which in the mapping (date_format: "%m/%d/%Y" for US month/day, '
               '"%d/%m/%Y" for European day/month) or with --date-format')

Problem = tuple[int | None, str]  # (index of the value, what is wrong and what to do)
ONE_FORMAT = "a column must use one date format"
SPREADSHEET = "a spreadsheet re-saved this export"


def column_level(text: str) -> bool:
    """True for a problem of the whole column (forms, two-digit years), not of one row."""
    return ONE_FORMAT in text or SPREADSHEET in text


def parse_column(values: Sequence[str | None], fmt: str | None = None,
                 lines: Sequence[int] | None = None, order: str | None = None,
                 ) -> tuple[list[str | None], list[Problem]]:
    """ISO text for every value (None when empty) and the problems; refused columns
    (ambiguous or mixed) return problems and no values worth using. lines: the file
    line of each value, for messages that name a second line (default index + 2).
    order: 'mdy' or 'dmy' learned from another date column of the same export (one
    user's locale writes every column), used when this column's values fit both."""
    if fmt:
        return _with_format(values, fmt)
    line = list(lines) if lines is not None else [i + 2 for i in range(len(values))]
    found = [(i, v.strip(), _shape(v.strip()), line[i]) for i, v in enumerate(values)
             if v is not None and v.strip()]
    if not found:  # a header-only file, or a column nobody fills
        return [None] * len(values), []
    short = next(((i, v) for i, v, shape, _ in found if shape is None
                  and SHORT_YEAR.fullmatch(v)), None)
    if short:
        return [None] * len(values), [(short[0], _short_year(short[1]))]
    problems = [(i, _unreadable(v)) for i, v, shape, _ in found if shape is None]
    found = [f for f in found if f[2] is not None]
    if not found:
        return [None] * len(values), problems
    problem = _mixed_kinds(found)
    if problem:
        return [None] * len(values), [problem]
    order_found, problem = _order(found)
    if problem and problem[0] is None and order:
        order_found, problem = order, None
    if problem:
        return [None] * len(values), [problem]
    order = order_found
    out: list[str | None] = [None] * len(values)
    for i, v, (kind, groups), _ in found:
        out[i], text = _build(kind, groups, order)
        if text:
            problems.append((i, f"'{v}' {text}"))
    return out, sorted(problems, key=lambda p: p[0])


def order_of(values: Sequence[str | None]) -> str | None:
    """'mdy' or 'dmy' when a column of a/b/yyyy dates says which, else None."""
    found = [(i, v.strip(), _shape(v.strip()), i) for i, v in enumerate(values)
             if v is not None and v.strip()]
    found = [f for f in found if f[2] is not None and f[2][0] in ("slash", "dash")]
    if not found or _mixed_kinds(found):
        return None
    order, problem = _order(found)
    return None if problem else order


def _shape(value: str):
    for kind, pattern in SHAPES.items():
        m = pattern.fullmatch(value)
        if m:
            return kind, m.groups()
    return None


def _short_year(value: str) -> str:
    sep = next((c for c in value if c in "/.-"), "/")
    clock = " %H:%M" if re.search(r"\d:\d\d", value) else ""
    us, eu = (f"%m{sep}%d{sep}%y{clock}", f"%d{sep}%m{sep}%y{clock}")
    return (f"'{value}' has a two-digit year: {SPREADSHEET} (Excel and Numbers shorten "
            "years when they save a CSV). Export it again from the CRM and load it without "
            f"opening it in a spreadsheet, or name the format: --date-format \"{us}\" (US) "
            f"or \"{eu}\" (European)")


def _unreadable(value: str) -> str:
    return (f"'{value}' is not a date; expected forms like 2018-03-22, 3/22/2018, "
            "22/03/2018, 22.03.2018 or 2018-03-22T14:05:00Z")


def _mixed_kinds(found) -> Problem | None:
    first = found[0]
    for i, v, (kind, _), _ in found:
        if kind != first[2][0]:
            return (i, f"'{v}' is written {KIND_TEXT[kind]} but '{first[1]}' (line "
                    f"{first[3]}) is {KIND_TEXT[first[2][0]]}; a column must use one date "
                    "format: correct or re-export it")
    return None


def _order(found) -> tuple[str, Problem | None]:
    """'ymd' for ISO, 'dmy' for dots; for a/b/yyyy decided by values above 12."""
    kind = found[0][2][0]
    if kind in ("iso", "dot"):
        return ("ymd" if kind == "iso" else "dmy"), None
    day_first = next(((i, v, n) for i, v, (_, g), n in found if int(g[0]) > 12), None)
    month_first = next(((i, v, n) for i, v, (_, g), n in found if int(g[1]) > 12), None)
    if day_first and month_first:
        later, other = sorted((day_first, month_first))[::-1]
        return "", (later[0], f"'{later[1]}' and '{other[1]}' (line {other[2]}) cannot "
                    "both be read one way: one is month/day/year (US), the other "
                    "day/month/year (European); a column must use one date format: "
                    "correct or re-export it")
    if day_first or month_first:
        return ("dmy" if day_first else "mdy"), None
    v, n = found[0][1], found[0][3]
    return "", (None, f"every value fits both month/day/year and day/month/year (e.g. "
                f"'{v}' on line {n}), so the dates cannot be read safely; " + FORMAT_HINT)


def _build(kind: str, groups, order: str) -> tuple[str | None, str | None]:
    a, b, c = (int(x) for x in groups[:3])
    year, month, day = {"ymd": (a, b, c), "mdy": (c, a, b), "dmy": (c, b, a)}[order]
    hour, minute, second, frac, ampm, zone = groups[3:]
    try:
        stamp = datetime(year, month, day)
        if hour is not None:
            stamp += _clock(int(hour), int(minute), int(second or 0), frac, ampm)
    except ValueError:
        return None, "is not a real calendar date or time"
    offset = _offset(zone)
    if offset is None:
        return None, OFFSET_TEXT
    return _plausible(_iso(stamp, offset, hour is not None))


OFFSET_TEXT = (f"has an impossible time-zone offset; offsets run from -{MAX_OFFSET_HOURS:02d}:00 "
               f"to +{MAX_OFFSET_HOURS:02d}:00 (e.g. +02:00)")


def _offset(zone: str | None) -> timedelta | None:
    """The UTC offset a zone suffix names (zero for none, Z, UTC, GMT); None when no place
    on Earth has it (+99:99, +15:00)."""
    if not zone or zone in ("Z", "UTC", "GMT"):
        return timedelta(0)
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if minutes > 59 or hours * 60 + minutes > MAX_OFFSET_HOURS * 60:
        return None
    return (-1 if zone[0] == "-" else 1) * timedelta(hours=hours, minutes=minutes)


def _plausible(iso: str) -> tuple[str | None, str | None]:
    """The ISO value, or a problem when its date is before DATE_MIN (see DECISIONS.md). A
    date after DATE_MAX is passed on: in an open-ended column (an end date) a far-future
    date means "no end" (Salesforce writes 9999-12-31), elsewhere the loader refuses it,
    naming the column, and the import re-addresses that to the export's line."""
    if iso[:10] < DATE_MIN:
        return None, (f"is outside the plausible dates ({DATE_MIN} to {DATE_MAX}); correct "
                      "the year, or leave the value empty when there is no date")
    return iso, None


def _clock(hour: int, minute: int, second: int, frac, ampm) -> timedelta:
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError("hour")
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("time")
    micro = int((frac or "0")[:6].ljust(6, "0"))
    return timedelta(hours=hour, minutes=minute, seconds=second, microseconds=micro)


def _iso(stamp: datetime, offset: timedelta, timed: bool) -> str:
    if offset:
        stamp = stamp.replace(tzinfo=timezone(offset)).astimezone(UTC).replace(tzinfo=None)
    if not timed:
        return stamp.date().isoformat()
    return stamp.isoformat(timespec="seconds")


def _with_format(values: Sequence[str | None], fmt: str):
    out: list[str | None] = []
    problems: list[Problem] = []
    for i, raw in enumerate(values):
        v = (raw or "").strip()
        if not v:
            out.append(None)
            continue
        try:
            stamp = datetime.strptime(v, fmt)
        except ValueError:
            out.append(None)
            problems.append((i, f"'{v}' does not match the date format {fmt}"))
            continue
        if stamp.tzinfo is not None:
            if abs(stamp.utcoffset()) > timedelta(hours=MAX_OFFSET_HOURS):
                out.append(None)
                problems.append((i, f"'{v}' {OFFSET_TEXT}"))
                continue
            stamp = stamp.astimezone(UTC).replace(tzinfo=None)
        timed = any(code in fmt for code in ("%H", "%I", "%M"))
        iso, problem = _plausible(stamp.isoformat(timespec="seconds") if timed
                                  else stamp.date().isoformat())
        out.append(iso)
        if problem:
            problems.append((i, f"'{v}' {problem}"))
    return out, problems
