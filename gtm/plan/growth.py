"""The growth equation as pure arithmetic: what a revenue goal takes, and whether the market holds it.

metrics.md ("The growth equation") links five quantities through the number of customers N:

    revenue goal R = N x A          (A: average sale price)
    qualified opportunities Q = N / w    (w: qualified win rate)
    engaged targets T = Q / q       (q: qualified opportunities per engaged target account)
    budget B = N x c                (c: CAC)

and checks feasibility: people needed = T x group size must not exceed the addressable people M.
The user picks one quantity to solve for; it is computed from one *anchor* quantity that is
given, and every other quantity of the funnel is derived too so the page can show it whole.

This module holds no DuckDB and no Streamlit so the planner, the report and the tests share one
exact definition. Undefined results (a missing input, a zero denominator) are None, which the UI
shows as n/a; negative inputs are mistakes and raise ValueError. Also here: the +/- 10 %
sensitivity of the result to each input (a tornado chart) and a Monte Carlo forecast band of new
ARR from the month-to-month variation of the historical win rate, deal size and volume.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from gtm import fmt

SOLVE_FOR = ("revenue_goal", "customers", "qualified_opportunities", "engaged_targets", "budget")
DEFAULT_SOLVE_FOR = "engaged_targets"  # given a revenue goal, what does it take? (DECISIONS.md)

# Which given quantity a solved one is computed from: the first present one, in this order,
# other than the solved quantity itself. So every mode but "revenue_goal" works forward from
# the revenue goal; "revenue_goal" works back from the budget (or customers, opportunities,
# engaged targets, whichever is given first).
ANCHOR_ORDER = ("revenue_goal", "budget", "customers", "qualified_opportunities", "engaged_targets")
RATES = ("sale_price", "win_rate", "qualification_rate", "cac")
SENSITIVITY_OUTPUTS = SOLVE_FOR + ("people_needed", "excess_ratio")

FIELD_LABELS = {
    "revenue_goal": "Revenue goal (new ARR)",
    "customers": "Customers needed",
    "qualified_opportunities": "Qualified opportunities needed",
    "engaged_targets": "Engaged target accounts needed",
    "budget": "Acquisition budget",
    "sale_price": "Average sale price",
    "win_rate": "Qualified win rate",
    "qualification_rate": "Target-to-qualified rate",
    "cac": "CAC",
    "addressable_people": "Addressable people",
    "group_size": "Buying-group size",
    "people_needed": "Engaged people needed",
    "excess_people": "People beyond the market",
    "excess_ratio": "Share of the market needed",
}

# Keys of gtm.fmt.FORMATTERS: usd = money, count = count, share = shown as a percent.
FIELD_UNITS = {
    "revenue_goal": "usd",
    "customers": "count",
    "qualified_opportunities": "count",
    "engaged_targets": "count",
    "budget": "usd",
    "sale_price": "usd",
    "win_rate": "share",
    "qualification_rate": "per_account",
    "cac": "usd",
    "addressable_people": "count",
    "group_size": "count",
    "people_needed": "count",
    "excess_people": "count",
    "excess_ratio": "share",
}

# The funnel as a tree of one-step conversions: (from, to) -> (rate, operation).
_EDGES = {
    ("revenue_goal", "customers"): ("sale_price", "div"),
    ("customers", "revenue_goal"): ("sale_price", "mul"),
    ("customers", "qualified_opportunities"): ("win_rate", "div"),
    ("qualified_opportunities", "customers"): ("win_rate", "mul"),
    ("qualified_opportunities", "engaged_targets"): ("qualification_rate", "div"),
    ("engaged_targets", "qualified_opportunities"): ("qualification_rate", "mul"),
    ("customers", "budget"): ("cac", "mul"),
    ("budget", "customers"): ("cac", "div"),
}

# The rates that lie between a quantity and N (customers): what a solved value depends on.
_RATES_TO_CUSTOMERS = {
    "revenue_goal": {"sale_price"},
    "customers": set(),
    "qualified_opportunities": {"win_rate"},
    "engaged_targets": {"win_rate", "qualification_rate"},
    "budget": {"cac"},
}


@dataclass(frozen=True)
class PlanInputs:
    revenue_goal: float | None  # R
    sale_price: float | None  # A
    win_rate: float | None  # w (0..1)
    qualification_rate: float | None  # q (0..1+; qualified opps per engaged target account)
    cac: float | None  # c
    addressable_people: float | None  # M
    group_size: int = 7
    customers: float | None = None  # N, an input only when solving for something upstream of it
    qualified_opportunities: float | None = None
    engaged_targets: float | None = None
    budget: float | None = None


@dataclass(frozen=True)
class Plan:
    solve_for: str
    revenue_goal: float | None
    customers: float | None
    qualified_opportunities: float | None
    engaged_targets: float | None
    budget: float | None
    people_needed: float | None  # engaged_targets x group_size
    addressable_people: float | None
    feasible: bool | None  # None when undefined (missing inputs)
    excess_people: float | None  # people_needed - addressable (>0 means over the market)
    excess_ratio: float | None  # people_needed / addressable (1.8 = needs 180 % of the market)
    notes: tuple[str, ...]  # human sentences for the page
    solved_from: str | None = None  # the anchor quantity the plan was computed from

    def value(self, name: str) -> float | None:
        return getattr(self, name)


def label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def _lower(text: str) -> str:
    """Sentence-case a label inside a sentence, keeping acronyms: 'CAC' stays 'CAC'."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def format_field(name: str, value) -> str:
    """A plan value as the page shows it, e.g. format_field('budget', 6e5) -> '$600K'."""
    return fmt.format_value(value, FIELD_UNITS[name])


# ---------------------------------------------------------------- validation


def _clean_number(name: str, value) -> float | None:
    """None/NaN -> None (missing); negative or infinite -> ValueError; else float."""
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise ValueError(f"{label(name)} must be a finite number (got {value!r}).")
    if number < 0:
        raise ValueError(f"{label(name)} must not be negative (got {value!r}).")
    if name == "win_rate" and number > 1:
        raise ValueError(f"{label(name)} is a share between 0 and 1 (got {value!r}).")
    return number


def _clean(inputs: PlanInputs) -> dict[str, float | None]:
    values = {f.name: _clean_number(f.name, getattr(inputs, f.name)) for f in fields(inputs)}
    size = inputs.group_size
    if size is None or int(size) != size or size < 1:
        raise ValueError(f"{label('group_size')} must be a whole number of at least 1 (got {size!r}).")
    values["group_size"] = int(size)
    return values


def _check_solve_for(solve_for: str) -> None:
    if solve_for not in SOLVE_FOR:
        raise ValueError(f"solve_for must be one of {', '.join(SOLVE_FOR)} (got {solve_for!r}).")


# ---------------------------------------------------------------- solving


def anchor_for(inputs: PlanInputs | dict, solve_for: str) -> str | None:
    """The given quantity `solve_for` is computed from (None when no quantity is given)."""
    get = inputs.get if isinstance(inputs, dict) else lambda n: getattr(inputs, n)
    for name in ANCHOR_ORDER:
        if name != solve_for and get(name) is not None and not _is_nan(get(name)):
            return name
    return None


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _step(value: float | None, rate: float | None, operation: str) -> float | None:
    """One conversion; None when the value or rate is missing or a divisor is zero."""
    if value is None or rate is None or (operation == "div" and rate == 0):
        return None
    return _finite(value * rate if operation == "mul" else value / rate)


def _finite(value: float | None) -> float | None:
    """None for a result that overflowed (inf), so the page shows n/a rather than infinity."""
    return value if value is None or math.isfinite(value) else None


def _propagate(values: dict, anchor: str) -> tuple[dict[str, float | None], list[str]]:
    """Walk the funnel tree outward from the anchor; explain each step that is undefined."""
    quantities = {anchor: values[anchor]}
    notes, frontier = [], [anchor]
    while frontier:
        source = frontier.pop(0)
        for (start, target), (rate, operation) in _EDGES.items():
            if start != source or target in quantities:
                continue
            quantities[target] = _step(quantities[source], values[rate], operation)
            frontier.append(target)
            if quantities[source] is not None and quantities[target] is None:
                why = {None: "missing", 0: "zero"}.get(values[rate], "out of range")
                notes.append(f"{label(rate)} is {why}, so {_lower(label(target))} is n/a.")
    return quantities, notes


def _feasibility(people: float | None, market: float | None) -> dict:
    if people is None or market is None:
        return {"feasible": None, "excess_people": None, "excess_ratio": None}
    ratio = None if market == 0 else _finite(people / market)
    return {"feasible": people <= market, "excess_people": _finite(people - market),
            "excess_ratio": ratio}


def _feasibility_note(people, targets, market, check: dict, group_size: int) -> str:
    if people is None:
        return "Engaged people needed is n/a, so feasibility against the market is not checked."
    if market is None:
        return "The addressable market is unknown, so feasibility is not checked."
    needed = (f"The plan needs {fmt.count(people)} engaged people "
              f"({fmt.count(targets)} target accounts x {group_size})")
    if check["feasible"]:
        share = "" if check["excess_ratio"] is None else f", {fmt.percent(check['excess_ratio'])}"
        return f"{needed}{share} of the {fmt.count(market)} addressable: feasible."
    if check["excess_ratio"] is None:
        return f"{needed}; the addressable market is empty."
    over = fmt.percent(check["excess_ratio"] - 1)
    return f"{needed}; only {fmt.count(market)} exist: {over} more than the market."


def solve(inputs: PlanInputs, solve_for: str = DEFAULT_SOLVE_FOR) -> Plan:
    """Compute `solve_for` (and the whole funnel) from the first given anchor quantity.

    The anchor is the first present of ANCHOR_ORDER other than `solve_for`; the input value of
    `solve_for` itself is ignored. Results are exact (no rounding to whole customers).
    """
    _check_solve_for(solve_for)
    values = _clean(inputs)
    anchor = anchor_for(values, solve_for)
    if anchor is None:
        quantities = dict.fromkeys(SOLVE_FOR)
        givens = ", ".join(_lower(label(n)) for n in ANCHOR_ORDER if n != solve_for)
        notes = [f"To solve for {_lower(label(solve_for))}, enter one of: {givens}."]
    else:
        quantities, notes = _propagate(values, anchor)
        notes.insert(0, f"{label(solve_for)} solved from the {_lower(label(anchor))}.")
    targets = quantities["engaged_targets"]
    people = None if targets is None else _finite(targets * values["group_size"])
    market = values["addressable_people"]
    check = _feasibility(people, market)
    notes.append(_feasibility_note(people, targets, market, check, values["group_size"]))
    return Plan(solve_for=solve_for, **{n: quantities[n] for n in SOLVE_FOR},
                people_needed=people, addressable_people=market, **check,
                notes=tuple(notes), solved_from=anchor)


# ---------------------------------------------------------------- sensitivity


def _dependencies(output: str, anchor: str) -> set[str]:
    """Inputs the output changes with: the anchor and the rates between it, N and the output."""
    via = "engaged_targets" if output in ("people_needed", "excess_ratio") else output
    needed = {anchor} | _RATES_TO_CUSTOMERS[anchor] | _RATES_TO_CUSTOMERS[via]
    if anchor == via:
        needed = {anchor}
    if output == "excess_ratio":
        needed.add("addressable_people")
    return needed


def _shifted(inputs: PlanInputs, name: str, factor: float) -> tuple[PlanInputs, float]:
    value = getattr(inputs, name) * factor
    if name == "win_rate":
        value = min(value, 1.0)  # a win rate cannot pass 100 %
    return replace(inputs, **{name: value}), value


def _row(inputs: PlanInputs, solve_for: str, output: str, name: str, step: float, base) -> dict:
    low_inputs, low_value = _shifted(inputs, name, 1 - step)
    high_inputs, high_value = _shifted(inputs, name, 1 + step)
    low = solve(low_inputs, solve_for).value(output)
    high = solve(high_inputs, solve_for).value(output)
    swing = None if low is None or high is None else abs(high - low)
    return {"input": name, "label": label(name), "low": low, "high": high, "base": base,
            "swing": swing, "low_input": low_value, "high_input": high_value}


def sensitivity(inputs: PlanInputs, solve_for: str = DEFAULT_SOLVE_FOR, output: str | None = None,
                step: float = 0.10) -> list[dict]:
    """The output at each input x (1 - step) and x (1 + step), biggest swing first (tornado).

    `output` defaults to the solved variable; it may also be any funnel quantity, people_needed
    or excess_ratio. Rows cover only the given inputs the output actually depends on (the
    anchor and the rates on its path); a win rate is capped at 1. Empty when the base is n/a.
    """
    _check_solve_for(solve_for)
    output = output or solve_for
    if output not in SENSITIVITY_OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(SENSITIVITY_OUTPUTS)} (got {output!r}).")
    if not 0 < step < 1:
        raise ValueError(f"step must be between 0 and 1 (got {step!r}).")
    base_plan = solve(inputs, solve_for)
    base = base_plan.value(output)
    if base is None or base_plan.solved_from is None:
        return []
    needed = _dependencies(output, base_plan.solved_from)
    order = ANCHOR_ORDER + RATES + ("addressable_people",)
    rows = [_row(inputs, solve_for, output, n, step, base) for n in order if n in needed]
    return sorted(rows, key=lambda r: -1.0 if r["swing"] is None else r["swing"], reverse=True)


# ---------------------------------------------------------------- forecast band


def _history(monthly: pd.DataFrame | Iterable[dict]) -> pd.DataFrame:
    frame = monthly.copy() if isinstance(monthly, pd.DataFrame) else pd.DataFrame(list(monthly))
    for column in ("qualified_opportunities", "won", "win_rate", "avg_deal", "won_amount"):
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if "win_rate" not in frame and {"won", "qualified_opportunities"} <= set(frame):
        frame["win_rate"] = frame["won"] / frame["qualified_opportunities"].where(lambda s: s > 0)
    if "avg_deal" not in frame and {"won_amount", "won"} <= set(frame):
        frame["avg_deal"] = frame["won_amount"] / frame["won"].where(lambda s: s > 0)
    return frame


def _sample(frame: pd.DataFrame, column: str) -> np.ndarray:
    """The finite values of a history column; negative values (or win rates > 1) raise."""
    if column not in frame:
        return np.array([], dtype=float)
    values = frame[column].to_numpy(dtype=float, na_value=np.nan)
    values = values[np.isfinite(values)]
    if (values < 0).any() or (column == "win_rate" and (values > 1).any()):
        raise ValueError(f"monthly {column} has values out of range: {sorted(values)[:3]}...")
    return values


def _no_band(months_ahead: int, basis: int, reason: str) -> dict:
    return {"p10": None, "p50": None, "p90": None, "months_ahead": months_ahead,
            "basis_months": basis, "reason": reason}


def forecast_band(monthly: pd.DataFrame | Iterable[dict], months_ahead: int = 12,
                  qualified_per_month: float | None = None, n_sims: int = 5000,
                  seed: int = 0) -> dict:
    """P10/P50/P90 of new ARR over the next `months_ahead` months (Monte Carlo bootstrap).

    Each simulated month draws, independently and with replacement from the history, a monthly
    win rate, an average won deal and a count of closed qualified opportunities (or uses
    `qualified_per_month`); its new ARR is volume x win rate x deal. A simulation sums its
    months. Months without a win rate (nothing closed) or a deal size (nothing won) are skipped
    for that driver; fewer than 3 usable months of either gives no band and a reason.
    """
    if months_ahead < 1 or n_sims < 1:
        raise ValueError("months_ahead and n_sims must be at least 1.")
    if qualified_per_month is not None and not qualified_per_month >= 0:
        raise ValueError(f"qualified_per_month must not be negative (got {qualified_per_month!r}).")
    frame = _history(monthly)
    rates, deals = _sample(frame, "win_rate"), _sample(frame, "avg_deal")
    volumes = _sample(frame, "qualified_opportunities")
    basis = min(len(rates), len(deals))
    if basis < 3:
        reason = (f"Needs at least 3 months with a win rate and a deal size; the history has "
                  f"{len(rates)} with a win rate and {len(deals)} with a deal size.")
        return _no_band(months_ahead, basis, reason)
    if qualified_per_month is None and len(volumes) < 3:
        return _no_band(months_ahead, basis, "Needs at least 3 months of qualified volume.")
    rng = np.random.default_rng(seed)
    shape = (n_sims, months_ahead)
    volume = (np.full(shape, float(qualified_per_month)) if qualified_per_month is not None
              else rng.choice(volumes, size=shape))
    arr = (volume * rng.choice(rates, size=shape) * rng.choice(deals, size=shape)).sum(axis=1)
    p10, p50, p90 = (float(v) for v in np.percentile(arr, [10, 50, 90]))
    return {"p10": p10, "p50": p50, "p90": p90, "months_ahead": months_ahead,
            "basis_months": basis, "reason": None}


# ---------------------------------------------------------------- planner sliders

# The planner's sliders: plan input -> short URL key (part of every shared link: never rename).
# The budget slider is only shown when solving for the revenue goal (its anchor).
SLIDER_KEYS = {"revenue_goal": "goal", "sale_price": "price", "win_rate": "win",
               "qualification_rate": "qual", "cac": "cac", "addressable_people": "market",
               "budget": "budget"}
SOLVE_KEY = "solve"

# What each slider means, for its help text (metrics.md "The growth equation").
SLIDER_HELP = {
    "revenue_goal": "New ARR to win from new business in a period like the one filtered.",
    "sale_price": "Average amount of a won new-business deal.",
    "win_rate": "Share of closed qualified opportunities that were won.",
    "qualification_rate": "Qualified new-business opportunities at target accounts per engaged "
                          "target account (0.4: four in ten engaged target accounts bring one).",
    "cac": "Marketing and sales spend per new customer (blended CAC).",
    "addressable_people": "Target accounts x buying-group size: the people the plan can reach.",
    "budget": "Acquisition spend available; the revenue goal is solved from it (N = B / CAC).",
}

# Starting values when the data has no historical value (DECISIONS.md "Growth planner").
FALLBACKS = {"revenue_goal": 1_000_000.0, "sale_price": 50_000.0, "win_rate": 0.20,
             "qualification_rate": 1.0, "cac": 50_000.0, "addressable_people": 1_000.0,
             "budget": 1_000_000.0}
_FALLBACK_WHY = {
    "revenue_goal": "no new-business deal was won in this period",
    "sale_price": "no new-business deal was won in this period",
    "win_rate": "no qualified deal closed in this period",
    "qualification_rate": "no target account was engaged in this period",
    "cac": "no new customer was won in this period",
    "addressable_people": "the data has no target accounts",
    "budget": "the historical inputs do not define a budget",
}
_NICE = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)  # a slider's maximum is one of these x 10^k


@dataclass(frozen=True)
class Slider:
    """One planner slider. Percent sliders hold percentage points (38.5 means 38.5 %), money and
    people sliders whole numbers, decimal sliders (a number per account) two decimals, so every
    value the URL carries is short and exact."""

    name: str  # the PlanInputs field
    key: str  # the URL query parameter
    kind: str  # "money" | "percent" | "count" | "decimal"
    low: float
    high: float
    step: float
    default: float  # the historical value rounded to the step (or the fallback)
    historical: float | None  # the exact historical value in plan units (None: undefined)
    note: str | None  # why the default is a fallback, for the page

    @property
    def label(self) -> str:
        return label(self.name)

    @property
    def placeholder(self) -> bool:
        """True when the data gives no starting value: the default is a placeholder."""
        return self.historical is None

    def to_plan(self, value: float) -> float:
        """A slider value in plan units (percent points -> share)."""
        return value / 100 if self.kind == "percent" else float(value)


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k that is >= value (value > 0)."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(n * power for n in _NICE if n * power >= value * (1 - 1e-12))


def _round_to(value: float, step: float) -> float:
    rounded = round(value / step) * step
    return float(round(rounded, 6)) if step < 1 else float(int(rounded))


SLIDER_KINDS = {"usd": "money", "share": "percent", "per_account": "decimal"}


def _slider(name: str, value: float, note: str | None) -> Slider:
    kind = SLIDER_KINDS.get(FIELD_UNITS[name], "count")
    if kind == "percent":
        points = value * 100
        step = 0.5
        high = 100.0 if name == "win_rate" else max(100.0, _nice_ceiling(3 * points))
        low = 1.0 if name == "win_rate" else 0.5
        default = min(max(_round_to(points, step), low), high)
        return Slider(name, SLIDER_KEYS[name], kind, low, high, step, default, None, note)
    if kind == "decimal":  # a number per account: 0.01 steps from 0.01 to >= 3x, at least 1
        step = 0.01
        high = max(1.0, _nice_ceiling(3 * value))
        default = min(max(_round_to(value, step), step), high)
        return Slider(name, SLIDER_KEYS[name], kind, step, high, step, default, None, note)
    step = float(max(1, 10 ** (math.floor(math.log10(value)) - 2)))
    high = _nice_ceiling(4 * value)
    low = step if name == "sale_price" else 0.0  # a price of 0 would divide by zero
    default = max(_round_to(value, step), low)
    return Slider(name, SLIDER_KEYS[name], kind, low, high, step, default, None, note)


def slider(name: str, historical: float | None, why: str | None = None) -> Slider:
    """The slider of one input: default = historical rounded to the step, range from 0 (a win
    rate from 1 %) to a round number >= 4x the historical value (3x for the qualification rate,
    at least 1 per account); an undefined or zero historical value starts at FALLBACKS and says
    why (`why`: the data's reason, from gtm.metrics.growth_inputs.historical)."""
    value, note = historical, None
    usable = value is not None and not _is_nan(value) and value > 0
    if not usable:
        value = FALLBACKS[name]
        shown = format_field(name, value)
        if why:
            because = f"is {'0' if historical == 0 else 'n/a'} because {why}"
        elif historical is None or _is_nan(historical) or name == "revenue_goal":
            because = f"is n/a because {_FALLBACK_WHY[name]}"
        else:
            because = "is 0 in this period, which leaves the slider no range"
        note = f"{label(name)} {because}; the slider starts at {shown} instead."
    spec = _slider(name, float(value), note)
    return replace(spec, historical=float(historical) if usable else None)


def sliders(historical: dict) -> dict[str, Slider]:
    """Every planner slider (SLIDER_KEYS order) from gtm.metrics.growth_inputs.historical().

    The budget slider's historical value is the budget the historical inputs imply
    (N x CAC), so solving for the revenue goal from it gives back the historical goal."""
    base = PlanInputs(**{n: historical.get(n) for n in SLIDER_KEYS if n != "budget"},
                      group_size=int(historical.get("group_size") or 1))
    values = {**historical, "budget": solve(base).budget}
    why = historical.get("why") or {}
    return {name: slider(name, values.get(name), why.get(name)) for name in SLIDER_KEYS}


def plan_inputs(specs: dict[str, Slider], values: dict[str, float], group_size: int,
                solve_for: str = DEFAULT_SOLVE_FOR,
                entered: set[str] | frozenset[str] = frozenset()) -> PlanInputs:
    """PlanInputs from slider values (slider units). The budget is given only when solving
    for the revenue goal, so every other mode works forward from the goal. A rate or market
    the data does not give (a placeholder slider) counts only once the user sets it (`entered`:
    the sliders a link or a hand moved): an untouched placeholder is an unknown, never a fact,
    so the plan says what it cannot compute instead of computing from an invented value."""
    plan = {name: specs[name].to_plan(values[name]) for name in specs if name in values}
    for name in PLACEHOLDER_UNKNOWN:
        if name in specs and specs[name].placeholder and name not in entered:
            plan[name] = None
    if solve_for != "revenue_goal":
        plan.pop("budget", None)
    else:
        plan.pop("revenue_goal", None)
    return PlanInputs(**{n: plan.get(n) for n in SLIDER_KEYS if n != "budget"},
                      group_size=group_size, budget=plan.get("budget"))


# Inputs whose placeholder would be a made-up fact (the goal and the budget are the user's
# own targets, so their placeholders are fine as a starting point).
PLACEHOLDER_UNKNOWN = ("sale_price", "win_rate", "qualification_rate", "cac",
                       "addressable_people")


def trailing_new_arr(monthly: pd.DataFrame | Iterable[dict], months: int = 12) -> float | None:
    """New ARR won in the last `months` months of the history (the forecast's comparison)."""
    frame = _history(monthly)
    if "won_amount" not in frame or len(frame) < months:
        return None
    return float(frame["won_amount"].tail(months).fillna(0).sum())


def default_plan(historical: dict, solve_for: str = DEFAULT_SOLVE_FOR) -> Plan:
    """The plan the growth page opens with: every slider at its default (the historical value
    rounded to its step; an input the data does not give stays unknown). The Overview reports
    its feasibility."""
    specs = sliders(historical)
    values = {name: spec.default for name, spec in specs.items()}
    group_size = int(historical.get("group_size") or 1)
    return solve(plan_inputs(specs, values, group_size, solve_for), solve_for)
