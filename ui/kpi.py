"""Headline numbers: one st.metric per registry metric, formatted by its unit.

The value, the delta against the previous period and the "n/a" explanation are
all derived from gtm.metrics.registry, so a metric reads the same on every page.
"""

from __future__ import annotations

import streamlit as st

from gtm import fmt
from gtm.metrics import registry


def na_reason(metric_id: str, info: dict | None) -> str:
    """Why a metric shows n/a: a missing table, else an empty or zero denominator."""
    provided = (info or {}).get("tables") or {}
    missing = [t for t in registry.get(metric_id).tables if not provided.get(t)]
    if missing:
        return "n/a: add " + " and ".join(f"{t}.csv" for t in missing) + " to compute it."
    return ("n/a: nothing to measure in this period and filter "
            "(a ratio with a zero denominator is not a number).")


NO_EARLIER_DATA = "no earlier data"


def delta_text(metric_id: str, value, previous) -> str | None:
    """Signed change vs the previous period in the metric's unit (shares in points); the
    words "no earlier data" when the data starts after the previous period."""
    if previous is NO_EARLIER:
        return NO_EARLIER_DATA
    if previous is None or fmt.is_missing(value) or fmt.is_missing(previous):
        return None
    unit = registry.get(metric_id).unit
    diff = float(value) - float(previous)
    change = f"{abs(diff) * 100:.1f} pts" if unit == "share" else fmt.format_value(abs(diff), unit)
    if _is_zero(change):
        return "no change"
    return ("+" if diff > 0 else "-") + change


def _is_zero(formatted: str) -> bool:
    """True when a change rounds to nothing as shown (0 days, 0.0 pts, $0, 0.00x)."""
    digits = [c for c in formatted if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}


def delta_color(metric_id: str, delta: str | None = None) -> str:
    """Green when the metric moved the good way; grey when neutral, unchanged or not
    comparable."""
    better = registry.get(metric_id).higher_is_better
    if better is None or delta in ("no change", NO_EARLIER_DATA):
        return "off"
    return "normal" if better else "inverse"


def kpi(metric_id: str, value, previous=None, info: dict | None = None, container=None) -> None:
    """One st.metric: formatted value, delta vs previous, definition (or n/a reason) as help."""
    metric = registry.get(metric_id)
    target = container or st
    help_text = metric.definition
    if fmt.is_missing(value):
        help_text = f"{na_reason(metric_id, info)}\n\n{metric.definition}"
    delta = delta_text(metric_id, value, previous)
    target.metric(metric.label, metric.format(value), delta,
                  delta_color=delta_color(metric_id, delta),
                  delta_arrow="off" if delta in ("no change", NO_EARLIER_DATA) else "auto",
                  help=help_text, border=True,
                  height="stretch")


def kpi_row(metric_ids: list[str], values: dict, previous: dict | None = None,
            info: dict | None = None, extra: int = 0) -> list:
    """A row of kpi() tiles, one column each, in the order given; `extra` more columns are
    returned for the page's own tiles. A previous period the data does not reach (ui.headlines
    marks it) reads "no earlier data", never a delta against nothing."""
    columns = st.columns(len(metric_ids) + extra)
    none_before = getattr(previous, "no_earlier_data", False)
    for column, metric_id in zip(columns, metric_ids, strict=False):
        before = NO_EARLIER if none_before else (previous or {}).get(metric_id)
        kpi(metric_id, values.get(metric_id), before, info, column)
    return columns[len(metric_ids):]


class _NoEarlier:
    """The previous value of a period the data does not reach."""

    def __repr__(self) -> str:
        return NO_EARLIER_DATA


NO_EARLIER = _NoEarlier()
