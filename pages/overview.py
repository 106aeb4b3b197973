"""Overview: the headline row an executive reads first, then one finding per page.

Each finding is one sentence from gtm.narrative.findings that links to the page behind it, so a CMO
can read the whole dashboard in ten lines and click where something moved. Every input is
a cached gtm call for the current filters (the global filters stay in the URL on click).
"""

import duckdb
import streamlit as st

import ui
from gtm.metrics import cost, funnel, groups, market, warm
from gtm.metrics.growth_inputs import historical
from gtm.narrative import findings
from gtm.narrative import targets as target_findings
from gtm.plan import growth
from ui import nav

HEADLINE = ["qualified_pipeline", "new_customers", "cac", "net_new_arr", "qualified_win_rate"]
# what the Net ARR and velocity findings read besides the headline
FINDING_INPUTS = ["new_arr", "expansion_arr", "reactivation_arr", "contraction_arr",
                  "churned_arr", "stale_pipeline_amount", "stale_pipeline_count",
                  "sales_cycle_days_median", "nrr_12m"]
# metrics.md v2: targets where MQLs were, and warm starts, in a row of their own
TARGET_ROW = ["mqls", "engaged_targets", "engaged_target_accounts", "mql_noise_share",
              "warm_start_rate"]

def _view(fn, *args, **kwargs):
    """A cached gtm breakdown, or None when the loaded data cannot answer it."""
    try:
        return ui.view(fn, *args, **kwargs)
    except duckdb.Error:
        return None


def _sentences(now: dict, settings) -> dict[str, str]:
    """page file -> its finding, from cached gtm calls for the current filters."""
    before_filter = ui.previous_filter()
    return {
        "pages/mql-vs-pipeline.py": findings.mql_vs_pipeline(
            _view(funnel.by_channel), _view(funnel.by_channel, flt=before_filter)),
        "pages/cac-vs-cpl.py": findings.cac_vs_cpl(_view(cost.by_channel)),
        "pages/buying-groups.py": findings.buying_groups(_view(groups.threading)),
        "pages/growth.py": findings.growth(_plan()),
        "pages/net-arr.py": findings.net_arr(now),
        "pages/velocity.py": findings.velocity(now, settings.stale_days),
        "pages/target-market.py": findings.target_market(_view(market.penetration_by_month)),
        "pages/targets.py": target_findings.targets_vs_mqls(now),
    }


def _warm_finding() -> None:
    """Warm starts (metrics.md v2), on the Buying groups page: a finding of their own."""
    text = target_findings.warm_finding(_view(warm.breakdown, "segment"))
    st.page_link("pages/buying-groups.py", label=f"**Warm starts** · {ui.esc(text)}",
                 icon=":material/local_fire_department:")


def _plan():
    hist = _view(historical)
    return None if hist is None else growth.default_plan(hist)


def _findings(info: dict, now: dict, settings) -> None:
    st.subheader("What each page found", anchor=False)
    with st.spinner("Reading what each page found…"):
        sentences = _sentences(now, settings)
    loaded = info.get("tables") or {}
    for page in nav.ANALYTIC:
        missing = [t for t in page.needs if not loaded.get(t)]
        text = sentences[page.path] if not missing else \
            f"Add {' and '.join(t + '.csv' for t in missing)} to light this page up."
        st.page_link(page.path, label=f"**{page.title}** · {ui.esc(text)}", icon=page.icon)
    if loaded.get("opportunities") and loaded.get("touches"):
        _warm_finding()


info = ui.dataset_info()
ui.header("Overview", "Marketing measured on qualified pipeline, customers, CAC and Net ARR "
          "instead of MQL volume.", info)
ui.need_tables(info, ["opportunities"], "qualified pipeline, win rates and customers")

settings = ui.current_settings()
with st.spinner("Computing the headline metrics…"):
    now, before = ui.headlines(HEADLINE + FINDING_INPUTS + TARGET_ROW)
ui.kpi_row(HEADLINE, now, before, info)
ui.kpi_row(TARGET_ROW, now, before, info)
ui.delta_caption(info)
_findings(info, now, settings)
