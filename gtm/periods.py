"""Periods: which ones a dataset offers, what dates they mean, and the period before one.

The one place for these rules (default = last complete quarter, quarter labels like
2025Q1, the previous period of a quarter is the quarter before), shared by the sidebar,
the header, the KPI deltas, the magic number and the tests.
"""

from __future__ import annotations

from datetime import date, timedelta

LAST_12 = "Last 12 months"
YTD = "Year to date"
CUSTOM = "Custom"
RELATIVE = (LAST_12, YTD, CUSTOM)


def as_date(value) -> date | None:
    """A date from a date, datetime or pandas Timestamp (None stays None)."""
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


def quarter_label(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def month_label(d: date) -> str:
    return f"{d.year}-{d.month:02d}"


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _add_months(d: date, months: int) -> date:
    """First day of the month `months` after d's month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def quarter_range(label: str) -> tuple[date, date]:
    """2025Q1 -> (2025-01-01, 2025-03-31); raises ValueError when malformed."""
    year, q = label.split("Q")
    quarter = int(q)
    if len(year) != 4 or not 1 <= quarter <= 4:
        raise ValueError(f"not a quarter: {label}")
    start = date(int(year), 3 * quarter - 2, 1)
    return start, _add_months(start, 3) - timedelta(days=1)


def month_range(label: str) -> tuple[date, date]:
    """2025-03 -> (2025-03-01, 2025-03-31); raises ValueError when malformed."""
    year, month = label.split("-")
    start = date(int(year), int(month), 1)
    return start, _add_months(start, 1) - timedelta(days=1)


def options(first: date, as_of: date) -> list[str]:
    """Relative choices, then every quarter and month with data, newest first."""
    months, quarters = [], []
    m = _month_start(as_of)
    while m >= _month_start(first):
        months.append(month_label(m))
        if quarter_label(m) not in quarters:
            quarters.append(quarter_label(m))
        m = _add_months(m, -1)
    return [*RELATIVE, *quarters, *months]


def default_period(first: date, as_of: date) -> str:
    """The last complete quarter (its last day <= as_of); else the one holding as_of."""
    start, end = quarter_range(quarter_label(as_of))
    if end <= as_of:
        return quarter_label(as_of)
    previous = start - timedelta(days=1)
    return quarter_label(previous) if previous >= _month_start(first) else quarter_label(as_of)


def period_range(label: str, as_of: date) -> tuple[date, date]:
    """Dates of a non-custom period, clipped to the as-of date."""
    if label == LAST_12:
        return _shift_year(as_of) + timedelta(days=1), as_of
    if label == YTD:
        return date(as_of.year, 1, 1), as_of
    start, end = quarter_range(label) if "Q" in label else month_range(label)
    return start, min(end, as_of)


def previous_range(label: str | None, start: date, end: date) -> tuple[date, date]:
    """The period to compare start..end with (the one "previous period" of Targetline).

    A quarter or month label: the previous calendar quarter or month (a period cut short
    at the as-of date compares with as many days of it); year to date and the last 12
    months: the same dates a year before; otherwise (a custom range, or no label) a span
    of whole calendar months maps to as many months before it (Q3 -> Q2: counting days,
    Q3's 92 days would reach back into March), any other span to as many days before."""
    if label in (YTD, LAST_12):
        return _shift_year(start), _shift_year(end)
    if label not in (None, CUSTOM) and ("Q" in label or "-" in label):
        months = 3 if "Q" in label else 1
        p_start = _add_months(start, -months)
        p_full_end = _add_months(p_start, months) - timedelta(days=1)
        complete = end == _add_months(start, months) - timedelta(days=1)
        return p_start, p_full_end if complete else min(p_full_end, p_start + (end - start))
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return _add_months(start, -months), start - timedelta(days=1)
    days = (end - start).days + 1
    p_end = start - timedelta(days=1)
    return p_end - timedelta(days=days - 1), p_end


def _shift_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)
