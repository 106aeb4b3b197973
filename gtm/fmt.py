"""How numbers read: money as $1.2M, shares as 34 %, undefined as n/a.

One place so the report, the pages and the glossary show a value identically.
"""

from __future__ import annotations

import math

import pandas as pd

NA = "n/a"


def is_missing(value) -> bool:
    """Nothing to show: None, a pandas NA/NaT, or a number that is NaN or infinite."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, str):
        return False
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def money(value, currency: str = "USD") -> str:
    """$1.2M, $850K, $640 (negative values keep their sign before the symbol)."""
    if is_missing(value):
        return NA
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= limit:
            return f"{sign}{symbol}{_short(v / limit)}{suffix}"
    return f"{sign}{symbol}{v:,.0f}"


def _short(v: float) -> str:
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}".rstrip("0").rstrip(".")


def count(value) -> str:
    if is_missing(value):
        return NA
    v = float(value)
    if abs(v) >= 1e6:
        return f"{_short(v / 1e6)}M"
    return f"{v:,.0f}"


def percent(value) -> str:
    if is_missing(value):
        return NA
    return f"{float(value) * 100:.1f} %".replace(".0 %", " %")


def days(value) -> str:
    return NA if is_missing(value) else f"{float(value):,.0f} days"


def months(value) -> str:
    return NA if is_missing(value) else f"{float(value):,.1f} months"


def multiple(value) -> str:
    return NA if is_missing(value) else f"{float(value):,.2f}x"


FORMATTERS = {
    "usd": money,
    "count": count,
    "share": percent,  # a share between 0 and 1, shown as a percent
    "multiple": multiple,  # e.g. LTV:CAC 3.2x
    "per_account": lambda v: NA if is_missing(v) else f"{float(v):,.2f} per account",
    "days": days,
    "months": months,
    "usd_per_day": lambda v: NA if is_missing(v) else money(v) + "/day",
}


def format_value(value, unit: str) -> str:
    return FORMATTERS[unit](value)
