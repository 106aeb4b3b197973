"""Wording rules every finding shares: when a change reads as a percent, and which months
of a chart are only partly covered.

Why: "MQLs rose 32475 %" (from 4 MQLs in a first month the data only starts in) is true
arithmetic and a false message. A percent needs a base big enough to mean something, and a
month the data (or the period) covers only in part is not compared with whole ones
(DECISIONS.md "Changes and partial months").
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from gtm import fmt

MIN_COUNT_BASE = 20  # a percent change of a count below 20 says more about noise than change
ABSOLUTE_MULTIPLE = 10  # from 10x (or down to a tenth) a percent is unreadable: say from -> to


def base_too_small(before, after, unit: str = "count") -> bool:
    """True when a change from before to after should be said as 'from X to Y', not as a
    percent or a multiple: a count base under MIN_COUNT_BASE, or a tenfold move either way."""
    if fmt.is_missing(before) or fmt.is_missing(after) or before == 0 or after == before:
        return False
    if unit == "count" and abs(before) < MIN_COUNT_BASE:
        return True
    ratio = after / before
    return ratio >= ABSOLUTE_MULTIPLE or 0 <= ratio <= 1 / ABSOLUTE_MULTIPLE


def from_to(before, after, unit: str = "count", shown: str | None = None) -> str:
    """'rose from 4 to 1,303', 'fell from $1.2M to $40K'."""
    verb = "rose" if after > before else "fell"
    return (f"{verb} from {fmt.format_value(before, unit)} to "
            f"{shown or fmt.format_value(after, unit)}")


def _month_end(month: date) -> date:
    return (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()


def partial_months(months, start: date, end: date, first: date | None,
                   as_of: date | None) -> set[date]:
    """The months (first days) of a monthly chart that the period or the data covers only in
    part: the period starts after the 1st or ends before the month's last day, the data
    starts after the 1st (first) or its as-of date falls before the month's end."""
    out = set()
    for value in months:
        month = pd.Timestamp(value).date().replace(day=1)
        last = _month_end(month)
        starts = max(d for d in (month, start, first) if d is not None)
        ends = min(d for d in (last, end, as_of) if d is not None)
        if starts > month or ends < last:
            out.add(month)
    return out


def month_label(value, partial: set[date] | frozenset = frozenset()) -> str:
    """'Jul 2026', or 'Jul 2026 (partial)' for a month only partly covered."""
    month = pd.Timestamp(value)
    text = f"{month:%b %Y}"
    return f"{text} (partial)" if month.date().replace(day=1) in partial else text


def whole(frame: pd.DataFrame, partial: set[date] | frozenset, column: str = "month"):
    """The rows of a monthly frame whose month is covered whole (all rows when none is)."""
    keep = [pd.Timestamp(m).date().replace(day=1) not in partial for m in frame[column]]
    return frame[keep] if any(keep) else frame




TOP_N = 12  # a chart draws this many categories; the rest are one "other" bar


def top_n(frame: pd.DataFrame, by: list[str], sums: list[str], n: int = TOP_N,
          label: str = "channel") -> pd.DataFrame:
    """The n rows largest by `by` (in that order), and one 'other (k)' row summing `sums`
    over the rest, so a chart of 2,000 channels stays readable (tables keep every row)."""
    if len(frame) <= n:
        return frame
    ordered = frame.sort_values(by, ascending=False, kind="stable")
    head, rest = ordered.head(n - 1), ordered.iloc[n - 1:]
    other = {c: rest[c].sum(min_count=1) for c in sums}
    other[label] = f"other ({len(rest):,})"
    return pd.concat([head, pd.DataFrame([other])], ignore_index=True)


def tie_offsets(values: pd.Series, step: float = 0.28) -> list[float]:
    """values nudged apart where they tie (1, 1, 1 -> 1, 1.28, 1.56), so labels at equal
    ranks do not pile up in one unreadable clump."""
    seen: dict = {}
    out = []
    for v in values:
        k = seen.get(v, 0)
        seen[v] = k + 1
        out.append(float(v) + k * step)
    return out
