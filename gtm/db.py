"""The one way Python talks to DuckDB: bind parameters, run on a cursor, read plain values.

Why one module: the loader, the staging upgrade and every metric send SQL with `$name`
parameters, and DuckDB refuses a parameter a statement does not use, so one binder picks
exactly the parameters a statement names. DuckDB 2.0 refuses concurrent use of one
connection, so every query takes its own cursor and reads its result to the end. And a
database NULL, a pandas NA or NaN, a numpy scalar or a Decimal all become one plain Python
value (`clean`), so "undefined" reads None everywhere above this layer.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

import pandas as pd

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def bind(sql: str, params: dict | None = None) -> dict:
    """The parameters sql names ($name), taken from params (DuckDB refuses unused ones)."""
    used = set(_PARAM.findall(sql))
    return {k: v for k, v in (params or {}).items() if k in used}


def clean(value):
    """A plain Python value: None for NULL/NA/NaN/inf, int or float for numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def query(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run sql on a fresh cursor with only the parameters it names; read it all."""
    cur = con.cursor()
    try:
        return cur.execute(sql, bind(sql, params)).df()
    finally:
        cur.close()


def scalar(con, sql: str, params: dict | None = None):
    """The single value of a one-row, one-column query (None for SQL NULL)."""
    df = query(con, sql, params)
    return clean(df.iat[0, 0]) if len(df) else None


def row(con, sql: str, params: dict | None = None) -> dict:
    """The first (only) row of a query as {column: clean value} (None values if no row)."""
    df = query(con, sql, params)
    return {c: clean(df[c].iat[0]) if len(df) else None for c in df.columns}


def ratio(numerator, denominator):
    """numerator / denominator, None when either is None or the denominator is 0 (SQL's
    `x / nullif(y, 0)` for values already in Python)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
