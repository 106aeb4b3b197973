"""Every headline metric of the registry for one view, in one call.

The report command, the pages and the tests all call `compute`, so a number on the
dashboard and in `python -m gtm report` come from the same SQL. Extension metrics
that combine sections (magic number, LTV:CAC) are assembled here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from gtm import registry
from gtm.db import clean
from gtm.filters import Filter, Settings
from gtm.metrics import arr, cost, funnel, groups, market, velocity
from gtm.metrics.base import QualifiedStage, params, resolve_qualified_stage

DEFAULT_SETTINGS = Settings()


# The headline metrics in parts, one per module, so a page computes only the parts its
# tiles show (each part is cached on its own); the ids each part returns.
PARTS = {
    "funnel": (funnel.headline, ("leads", "mqls", "target_leads", "qualified_opportunities",
                                 "qualified_pipeline", "mql_to_customer_rate",
                                 "qualified_win_rate", "signups", "activated_signups",
                                 "activation_rate")),
    "cost": (cost.headline, ("marketing_spend", "sales_spend", "cpl", "cost_per_mql",
                             "cost_per_qualified_opportunity", "new_customers", "cac",
                             "cac_payback_months", "avg_first_deal")),
    "velocity": (velocity.headline, ("stage0_days_median", "stage0_days_p75",
                                     "sales_cycle_days_median", "time_to_no_days_median",
                                     "time_to_no_people_days_median", "stale_pipeline_count",
                                     "stale_pipeline_amount", "sales_velocity_per_day")),
    "arr": (arr.headline, ("new_arr", "expansion_arr", "contraction_arr", "churned_arr",
                           "reactivation_arr", "net_new_arr", "nrr_12m", "grr_12m",
                           "quick_ratio")),
    "groups": (groups.coverage_headline, ("avg_role_coverage", "avg_group_coverage")),
    "market": (market.headline, ("target_account_penetration",
                                 "cost_per_target_account_reached")),
}
# Extensions assembled from other parts: the ids they read, and the part of each.
EXTENSIONS = ("magic_number", "ltv_to_cac")
EXTENSION_INPUTS = ("net_new_arr", "avg_first_deal", "grr_12m", "cac")


def compute(con, flt: Filter, settings: Settings = DEFAULT_SETTINGS,
            qualified: QualifiedStage | None = None) -> dict[str, float | int | None]:
    """metric id -> value (None where undefined) for every id of gtm.registry.METRICS,
    in registry order."""
    qualified = qualified or resolve_qualified_stage(con, settings)
    values = {}
    for part in PARTS:
        values.update(compute_part(con, flt, settings, part, qualified))
    inputs = [values.get(mid) for mid in EXTENSION_INPUTS]
    values.update(extensions(con, flt, settings, *inputs, qualified=qualified))
    return {mid: clean(values.get(mid)) for mid in registry.METRICS}


def compute_part(con, flt: Filter, settings: Settings, part: str,
                 qualified: QualifiedStage | None = None) -> dict:
    """The metrics of one part (a key of PARTS), cleaned: id -> value or None."""
    qualified = qualified or resolve_qualified_stage(con, settings)
    headline, _ids = PARTS[part]
    return {mid: clean(v) for mid, v in headline(con, params(flt, settings, qualified)).items()}


def parts_for(ids) -> list[str]:
    """The parts that compute these ids, in PARTS order (extensions need arr and cost)."""
    wanted = set(ids)
    if wanted & set(EXTENSIONS):
        wanted |= set(EXTENSION_INPUTS)
    unknown = wanted - set(EXTENSIONS) - {m for _, part_ids in PARTS.values() for m in part_ids}
    if unknown:
        raise KeyError(f"not a headline metric: {', '.join(sorted(unknown))}")
    return [part for part, (_, part_ids) in PARTS.items() if wanted & set(part_ids)]


def extensions(con, flt: Filter, settings: Settings, net_new_arr, avg_first_deal, grr_12m,
               cac, qualified: QualifiedStage | None = None) -> dict:
    """magic_number and ltv_to_cac (DECISIONS.md: both undefined on a zero base)."""
    qualified = qualified or resolve_qualified_stage(con, settings)
    previous = cost.spend(con, params(previous_period(flt), settings, qualified))
    prior_spend = None if previous["marketing_spend"] is None else \
        previous["marketing_spend"] + previous["sales_spend"]
    return {
        "magic_number": clean(_ratio(net_new_arr, prior_spend)),
        "ltv_to_cac": clean(_ratio(_ltv(avg_first_deal, grr_12m, settings.gross_margin), cac)),
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
