"""Which finding each page gives the Overview, and what it reads: the Overview page and the
QBR pack call the same wiring, so the deck's one-liners are the dashboard's.

`page_findings` takes `view(fn, flt=None)`: a breakdown of the current view (the app passes
its cached ui.view, the pack gtm.metrics.run on its connection), None when the loaded data
cannot answer it.
"""

from __future__ import annotations

from collections.abc import Callable

from gtm.filters import Filter, Settings
from gtm.metrics import cost, funnel, groups, market
from gtm.metrics.base import facts
from gtm.metrics.growth_inputs import historical
from gtm.narrative import findings
from gtm.narrative import targets as target_findings
from gtm.plan import growth

HEADLINE = ["qualified_pipeline", "new_customers", "cac", "net_new_arr", "qualified_win_rate"]
# what the Net ARR and velocity findings read besides the headline
FINDING_INPUTS = ["new_arr", "expansion_arr", "reactivation_arr", "contraction_arr",
                  "churned_arr", "stale_pipeline_amount", "stale_pipeline_count",
                  "sales_cycle_days_median", "nrr_12m"]
# metrics.md v2: targets where MQLs were, and warm starts, in a row of their own (the
# Targets page's finding reads it too)
TARGET_ROW = ["mqls", "engaged_targets", "engaged_target_accounts", "mql_noise_share",
              "warm_start_rate"]


def page_findings(view: Callable, now: dict, settings: Settings,
                  previous: Filter) -> dict[str, str]:
    """page file -> its finding, for the view `view` reads (now: compute() of HEADLINE +
    FINDING_INPUTS + TARGET_ROW; previous: the comparison period)."""
    hist = view(historical)
    plan = None if hist is None else growth.default_plan(hist)
    return {
        "pages/mql-vs-pipeline.py": findings.mql_vs_pipeline(
            view(funnel.by_channel), view(funnel.by_channel, flt=previous), view(facts)),
        "pages/cac-vs-cpl.py": findings.cac_vs_cpl(view(cost.by_channel)),
        "pages/buying-groups.py": findings.buying_groups(view(groups.threading)),
        "pages/growth.py": findings.growth(plan),
        "pages/net-arr.py": findings.net_arr(now),
        "pages/velocity.py": findings.velocity(now, settings.stale_days),
        "pages/target-market.py": findings.target_market(view(market.penetration_by_month)),
        "pages/targets.py": target_findings.targets_vs_mqls(now),
    }
