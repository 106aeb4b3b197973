"""Every headline metric of the registry for one view, in one call.

The report command, the pages and the tests all call `compute`, so a number on the
dashboard and in `python -m gtm report` come from the same SQL. Extension metrics
that combine sections (magic number, LTV:CAC) are assembled here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from gtm import registry
from gtm.filters import Filter, Settings
from gtm.metrics import arr, cost, funnel, groups, velocity
from gtm.metrics.base import QualifiedStage, params, resolve_qualified_stage
from gtm.metrics.funnel import clean

DEFAULT_SETTINGS = Settings()


def compute(con, flt: Filter, settings: Settings = DEFAULT_SETTINGS,
            qualified: QualifiedStage | None = None) -> dict[str, float | int | None]:
    """metric id -> value (None where undefined) for every id of gtm.registry.METRICS,
    in registry order."""
    qualified = qualified or resolve_qualified_stage(con, settings)
    p = params(flt, settings, qualified)
    values = {
        **funnel.headline(con, p),
        **cost.headline(con, p),
        **velocity.headline(con, p),
        **arr.headline(con, p),
        **groups.headline(con, p),
    }
    values.update(_extensions(con, flt, settings, qualified, values))
    return {mid: clean(values.get(mid)) for mid in registry.METRICS}


def _extensions(con, flt, settings, qualified, values) -> dict:
    """magic_number and ltv_to_cac (DECISIONS.md: both undefined on a zero base)."""
    previous = cost.spend(con, params(previous_period(flt), settings, qualified))
    prior_spend = None if previous["marketing_spend"] is None else \
        previous["marketing_spend"] + previous["sales_spend"]
    return {
        "magic_number": _ratio(values.get("net_new_arr"), prior_spend),
        "ltv_to_cac": _ratio(_ltv(values.get("avg_first_deal"), values.get("grr_12m"),
                                  settings.gross_margin), values.get("cac")),
    }


def previous_period(flt: Filter) -> Filter:
    """The period of equal length just before flt. A period of whole calendar months maps
    to the same number of months before it (Q3 -> Q2), so month-based spend lines up;
    Filter.previous() counts days, and Q3's 92 days would reach back into March."""
    if flt.start.day != 1 or (flt.end + timedelta(days=1)).day != 1:
        return flt.previous()
    months = (flt.end.year - flt.start.year) * 12 + flt.end.month - flt.start.month + 1
    index = flt.start.year * 12 + flt.start.month - 1 - months
    start = date(index // 12, index % 12 + 1, 1)
    return replace(flt, start=start, end=flt.start - timedelta(days=1))


def _ltv(avg_first_deal, grr_12m, gross_margin: float):
    """Average first-deal amount x gross margin / annual churn (1 - GRR 12m);
    None when any input is missing or churn is not positive."""
    if avg_first_deal is None or grr_12m is None:
        return None
    return _ratio(avg_first_deal * gross_margin, 1 - grr_12m if grr_12m < 1 else None)


def _ratio(numerator, denominator):
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
