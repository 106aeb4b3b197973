"""Check a plan written in the old vocabulary against the market (metrics.md v2).

A *funnel plan* gives a top-of-funnel volume (visitors, leads or MQLs) and, for each later
step (SQL, SAL or SQO, customers), either its volume or its conversion rate from the step
before. Against the market M (the people who would ever buy), the plan is infeasible when
any step's volume of people exceeds M, by the factor volume / M. The field example:

    265,000 visitors -> 26,000 SQLs -> 2,600 SALs against 7,500 people
    = infeasible, 35.3x the market at the top of the funnel (and 3.5x at SQL).

Pure arithmetic, no DuckDB and no Streamlit: the growth page, `python -m gtm plan` and the
tests share it. A bad step (a rate above 100 %, a negative volume, a step larger than the
one before it) raises ValueError with a sentence naming the step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from gtm import fmt

TOP_NAMES = ("visitors", "leads", "MQLs")
STEP_NAMES = ("SQL", "SAL", "SQO", "customers")
_STEP = re.compile(r"^\s*([^=]+?)\s*=\s*(.*?)\s*$")


@dataclass(frozen=True)
class Step:
    """One later step of the plan: its volume, or its rate from the step before (0..1)."""

    name: str
    volume: float | None = None
    rate: float | None = None


@dataclass(frozen=True)
class Row:
    name: str
    volume: float
    rate: float | None  # from the step before (None at the top)
    factor: float | None  # volume / market (None when the market is 0 or unknown)
    over: bool | None  # volume > market (None when the market is unknown)
    given: str  # "volume" | "rate" | "top"


@dataclass(frozen=True)
class Check:
    rows: tuple[Row, ...]
    market: float | None
    feasible: bool | None  # None: no market to check against
    worst: Row | None  # the step most over the market (the top when it is over)

    def sentence(self) -> str:
        return verdict(self)


def parse_value(text: str, step: str) -> tuple[float | None, float | None]:
    """'26000', '26,000' -> (26000, None); '10%' or '10 %' -> (None, 0.10)."""
    raw = str(text).strip().replace(",", "").replace("_", "")
    percent = raw.endswith("%")
    try:
        number = float(raw.rstrip("%").strip())
    except ValueError:
        raise ValueError(f"{step}: '{text}' is neither a volume (26000) nor a rate (10%)") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{step}: '{text}' must be a number of at least 0")
    return (None, number / 100) if percent else (number, None)


def parse_step(text: str) -> Step:
    """'SQL=26000' or 'SQL=10%' -> Step (ValueError naming the step otherwise)."""
    match = _STEP.match(text or "")
    if not match or not match.group(2):
        raise ValueError(f"'{text}' is not a step; write NAME=VOLUME or NAME=RATE%, e.g. "
                         "SQL=26000 or SQL=10%")
    volume, rate = parse_value(match.group(2), match.group(1))
    return Step(match.group(1), volume, rate)


def check(top: float, steps: list[Step] | tuple[Step, ...], market: float | None,
          top_name: str = "visitors") -> Check:
    """Each step's volume (given, or the step before x its rate) against the market."""
    top = _volume(top_name, top)
    if market is not None and (not math.isfinite(market) or market < 0):
        raise ValueError(f"the market must be a number of people of at least 0 (got {market})")
    rows = [_row(top_name, top, None, market, "top")]
    for step in steps:
        rows.append(_next(rows[-1], step, market))
    over = [r for r in rows if r.over]
    feasible = None if market is None else not over
    worst = max(over, key=lambda r: r.volume) if over else None
    return Check(tuple(rows), market, feasible, worst)


def _volume(name: str, value) -> float:
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name}: the volume must be a number of at least 0 (got {value})")
    return number


def _next(before: Row, step: Step, market: float | None) -> Row:
    if (step.volume is None) == (step.rate is None):
        raise ValueError(f"{step.name}: give either its volume or its rate from "
                         f"{before.name}, not {'both' if step.volume is not None else 'neither'}")
    if step.rate is not None:
        if step.rate > 1:
            raise ValueError(f"{step.name}: a conversion rate from {before.name} is at most "
                             f"100 % (got {fmt.percent(step.rate)})")
        return _row(step.name, before.volume * step.rate, step.rate, market, "rate")
    volume = _volume(step.name, step.volume)
    if volume > before.volume:
        raise ValueError(f"{step.name}: {fmt.count(volume)} is more than the "
                         f"{fmt.count(before.volume)} {before.name} before it; a funnel step "
                         "cannot grow")
    rate = None if before.volume == 0 else volume / before.volume
    return _row(step.name, volume, rate, market, "volume")


def _row(name: str, volume: float, rate, market, given: str) -> Row:
    factor = None if not market else volume / market
    over = None if market is None else volume > market
    return Row(name, volume, rate, factor, over, given)


def factor_text(row: Row) -> str:
    """'35.3x the market' over it, '35 % of the market' within it, n/a without a market."""
    if row.over is None:
        return fmt.NA
    if row.factor is None:
        return "over an empty market" if row.over else "0 % of an empty market"
    if row.over:
        return f"{row.factor:.1f}x the market"
    return f"{fmt.percent(row.factor)} of the market"


def verdict(result: Check) -> str:
    """The plan against the market in one sentence (the field example: 'Infeasible: 265,000
    visitors is 35.3x the market of 7,500 people at the top of the funnel (and 3.5x at SQL).')"""
    if result.market is None:
        return "The market is unknown, so the plan is not checked against it."
    market = f"the market of {fmt.count(result.market)} people"
    if result.feasible:
        top = result.rows[0]
        share = "" if top.factor is None else f" ({fmt.percent(top.factor)} of it at the top)"
        return f"Feasible: every step fits within {market}{share}."
    if result.market == 0:
        return ("Infeasible: the market is empty (0 people), so no step with any volume can "
                "be reached.")
    first = next(r for r in result.rows if r.over)
    where = "at the top of the funnel" if first is result.rows[0] else f"at {first.name}"
    others = [r for r in result.rows if r.over and r is not first]
    also = "" if not others else " (and " + ", ".join(
        f"{r.factor:.1f}x at {r.name}" for r in others) + ")"
    return (f"Infeasible: {fmt.count(first.volume)} {first.name} is {first.factor:.1f}x "
            f"{market} {where}{also}.")


def notes(result: Check) -> list[str]:
    """What else the plan says: a step that converts nothing leaves nothing after it."""
    out = []
    for before, row in zip(result.rows, result.rows[1:], strict=False):
        if row.volume == 0 and before.volume > 0:
            out.append(f"{row.name} converts 0 % of {before.name}: every step after it is 0.")
            break
    return out


def as_dict(result: Check) -> dict:
    """The check as plain data (`python -m gtm plan --format json`)."""
    return {
        "market": result.market,
        "feasible": result.feasible,
        "verdict": verdict(result),
        "notes": notes(result),
        "steps": [{"step": r.name, "volume": r.volume, "rate": r.rate, "given": r.given,
                   "factor": None if r.factor is None else round(r.factor, 4),
                   "over_market": r.over} for r in result.rows],
    }
