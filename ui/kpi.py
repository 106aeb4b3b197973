"""Headline numbers: one st.metric per registry metric, formatted by its unit.

The value, the delta against the previous period and the "n/a" explanation are
all derived from gtm.metrics.registry, so a metric reads the same on every page.
"""

from __future__ import annotations

import streamlit as st

from gtm import fmt
from gtm.metrics import registry
from gtm.metrics.base import facts
from gtm.metrics.registry import NO_EARLIER, NO_EARLIER_DATA, delta_text  # noqa: F401
from ui import data_access


def na_reason(metric_id: str, info: dict | None, known: dict | None = None) -> str:
    """Why a metric shows n/a (gtm.metrics.registry.na_reason for the dataset's tables)."""
    return registry.na_reason(metric_id, (info or {}).get("tables"), known)


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
        known = data_access.view(facts) if metric.requires and info else None
        help_text = f"{na_reason(metric_id, info, known)}\n\n{metric.definition}"
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

