"""Headline numbers: one st.metric per registry metric, formatted by its unit.

The value, the delta against the previous period and the "n/a" explanation are
all derived from gtm.metrics.registry, so a metric reads the same on every page.
"""

from __future__ import annotations

import streamlit as st

from gtm import fmt
from gtm.metrics import registry
from gtm.metrics.registry import delta_text  # noqa: F401  (tiles of the app and the pack)


def na_reason(metric_id: str, info: dict | None) -> str:
    """Why a metric shows n/a: a missing table, else an empty or zero denominator."""
    return registry.na_reason(metric_id, (info or {}).get("tables"))


def delta_color(metric_id: str, delta: str | None = None) -> str:
    """Green when the metric moved the good way; grey when neutral or unchanged."""
    better = registry.get(metric_id).higher_is_better
    if better is None or delta == "no change":
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
                  delta_arrow="off" if delta == "no change" else "auto", help=help_text, border=True,
                  height="stretch")


def kpi_row(metric_ids: list[str], values: dict, previous: dict | None = None,
            info: dict | None = None) -> None:
    """A row of kpi() tiles, one column each, in the order given."""
    columns = st.columns(len(metric_ids))
    for column, metric_id in zip(columns, metric_ids, strict=True):
        kpi(metric_id, values.get(metric_id), (previous or {}).get(metric_id), info, column)
