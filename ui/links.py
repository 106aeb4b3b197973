"""Checks the filter parameters of a shared link before the widgets read them.

Streamlit silently drops a bound query parameter it cannot use. An executive who
opens a colleague's link must know when the view differs from the one that was
shared, so every parameter the frame owns is checked here first and each one that
will be ignored yields a sentence ("Ignored period=2031Q9 from the link: ...").
Pure Python: the rules are unit-tested without a running app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from gtm.links import link_query  # noqa: F401  (the link builder lives in gtm)


@dataclass(frozen=True)
class Param:
    """What one query parameter accepts."""

    key: str
    kind: str  # choice | multi | date | int | float
    options: tuple[str, ...] = ()
    low: float | date | None = None
    high: float | date | None = None
    unknown: str = "not one of the choices"  # what a choice outside options is called


def problem(param: Param, values: list[str]) -> str | None:
    """Why the link's value(s) for param will be ignored, or None when usable."""
    if param.kind == "multi":
        return "not in the data" if any(v not in param.options for v in values) else None
    value = values[-1] if values else ""
    if param.kind == "choice":
        return None if value in param.options else param.unknown
    if param.kind == "date":
        return _date_problem(value, param.low, param.high)
    return _number_problem(value, param)


def _date_problem(value: str, low, high) -> str | None:
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return "not a date (expected YYYY-MM-DD)"
    if (low and d < low) or (high and d > high):
        return f"outside the data ({low} to {high})"
    return None


def _number_problem(value: str, param: Param) -> str | None:
    try:
        number = int(value) if param.kind == "int" else float(value)
    except ValueError:
        return "not a whole number" if param.kind == "int" else "not a number"
    if not math.isfinite(number) or not param.low <= number <= param.high:
        return f"outside {_plain(param.low)} to {_plain(param.high)}"
    return None


def _plain(number: float) -> str:
    """15000000 (never 1.5e+07): the bound as a value the user could type into the link."""
    return f"{number:f}".rstrip("0").rstrip(".")


def notices(raw: dict[str, list[str]], params: list[Param]) -> list[str]:
    """One sentence per parameter of the link that falls back to its default."""
    out = []
    for param in params:
        values = raw.get(param.key)
        if not values:
            continue
        why = problem(param, values)
        if not why:
            continue
        if param.kind == "multi":
            bad = "&".join(f"{param.key}={v}" for v in values if v not in param.options)
            out.append(f"Ignored {bad} from the link: {why}.")
        else:
            out.append(f"Ignored {param.key}={values[-1]} from the link: {why}; "
                       "using the default instead.")
    return out


def clamp_dates(start: str | None, end: str | None, low: date, high: date
                ) -> tuple[dict[str, date], list[str]]:
    """A link's custom start and end (ISO text) moved into the data's range [low, high], with
    one sentence per moved date; an end before the start ends the period on its start (never
    a swapped period nobody asked for). Unreadable dates are left to `notices`."""
    values: dict[str, date] = {}
    said: list[str] = []
    for key, text in (("start", start), ("end", end)):
        try:
            values[key] = date.fromisoformat(text) if text else None
        except ValueError:
            values[key] = None
    for key, value in list(values.items()):
        if value is None:
            values.pop(key)
        elif value < low:
            values[key] = low
            said.append(f"The link's {key}={value} is before the data's first day: the period "
                        f"{'starts' if key == 'start' else 'ends'} on {low}.")
        elif value > high:
            values[key] = high
            said.append(f"The link's {key}={value} is after the data as-of date: the period "
                        f"{'starts' if key == 'start' else 'ends'} on {high}.")
    if "start" in values and "end" in values and values["end"] < values["start"]:
        said.append(f"The link's end {values['end']} is before its start {values['start']}: "
                    f"the period is the single day {values['start']}.")
        values["end"] = values["start"]
    return values, said
