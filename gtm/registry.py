"""Every headline metric defined once: id, label, unit, format and definition.

Pages, the glossary, the `report` command and the tests all read this table, so
a metric's name and meaning cannot differ between two places. Definitions follow
the product spec (metrics v1) word for word; `extension=True` marks metrics we
added beyond it (see DECISIONS.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from gtm import fmt


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    unit: str  # a key of gtm.fmt.FORMATTERS
    section: str
    definition: str
    higher_is_better: bool | None = True
    extension: bool = False

    def format(self, value) -> str:
        return fmt.format_value(value, self.unit)


M = Metric
VOLUME = "Volume versus quality"
COST = "Cost"
GROUPS = "Buying groups"
MARKET = "Target market"
VELOCITY = "Velocity and fail-fast"
ARR = "Net ARR"

_METRICS = (
    M("leads", "Leads", "count", VOLUME, "People with `created_date` in period."),
    M("mqls", "MQLs", "count", VOLUME, "People with `mql_date` in period."),
    M("target_leads", "Target leads", "count", VOLUME,
      "Leads whose account `is_target` (or `fit_score` >= the ICP threshold)."),
    M("qualified_opportunities", "Qualified opportunities", "count", VOLUME,
      "New-business opportunities with `qualified_date` in period: count."),
    M("qualified_pipeline", "Qualified pipeline", "usd", VOLUME,
      "New-business opportunities with `qualified_date` in period: sum of `amount`."),
    M("mql_to_customer_rate", "MQL-to-customer rate", "ratio", VOLUME,
      "Cohort: of the MQLs in period, the share whose account has a won new-business "
      "opportunity created on or after the `mql_date`. Wins count up to the dataset's as-of "
      "date, so a recent cohort keeps maturing."),
    M("qualified_win_rate", "Qualified win rate", "ratio", VOLUME,
      "Won / closed among qualified new-business opportunities whose `close_date` is in period."),
    M("signups", "Signups", "count", VOLUME, "Signups with `signup_date` in period (product-led)."),
    M("activated_signups", "Activated signups", "count", VOLUME,
      "Signups in period with `activated_date` within 30 days (setting) of `signup_date`."),
    M("activation_rate", "Activation rate", "ratio", VOLUME, "Activated signups / signups."),
    M("marketing_spend", "Marketing spend", "usd", COST,
      "Sum of `spend.amount` with `function` marketing, in period.", None),
    M("sales_spend", "Sales spend", "usd", COST,
      "Sum of `spend.amount` with `function` sales, in period.", None),
    M("cpl", "Cost per lead (CPL)", "usd", COST,
      "Marketing spend / leads (per channel: channel spend / channel leads).", False),
    M("cost_per_mql", "Cost per MQL", "usd", COST, "Marketing spend / MQLs.", False),
    M("cost_per_qualified_opportunity", "Cost per qualified opportunity", "usd", COST,
      "Marketing spend / qualified opportunities.", False),
    M("new_customers", "New customers", "count", COST,
      "Accounts whose *first* won new-business opportunity closed in period."),
    M("cac", "CAC (blended)", "usd", COST, "(Marketing + sales spend) / new customers.", False),
    M("cac_payback_months", "CAC payback", "months", COST,
      "CAC / (average new-customer first-deal `amount` / 12 x gross margin); gross margin is a "
      "setting, default 80 %.", False),
    M("target_account_penetration", "Target-account penetration", "ratio", MARKET,
      "Target accounts with at least one engaged person in period / all target accounts."),
    M("stage0_days_median", "Stage-0 clock (median)", "days", VELOCITY,
      "Days from `created_date` to `qualified_date` (median).", False),
    M("sales_cycle_days_median", "Sales cycle (median)", "days", VELOCITY,
      "Days from `qualified_date` to `close_date` of won opportunities (median).", False),
    M("sales_velocity_per_day", "Sales velocity", "usd_per_day", VELOCITY,
      "Open qualified opportunities x qualified win rate x average won amount / average sales "
      "cycle days."),
    M("time_to_no_days_median", "Time to no (median)", "days", VELOCITY,
      "Median days from `created_date` to `close_date` of lost opportunities; shorter is better.",
      False),
    M("stale_pipeline_amount", "Stale pipeline", "usd", VELOCITY,
      "Open opportunities with no stage change for more than 90 days (setting): amount.", False),
    M("net_new_arr", "Net new ARR", "usd", ARR,
      "New + reactivation + expansion - contraction - churn."),
    M("new_arr", "New ARR", "usd", ARR,
      "Per account and month: previous 0, now > 0, never had ARR before."),
    M("expansion_arr", "Expansion ARR", "usd", ARR, "Per account and month: now > previous > 0."),
    M("contraction_arr", "Contraction ARR", "usd", ARR,
      "Per account and month: 0 < now < previous.", False),
    M("churned_arr", "Churned ARR", "usd", ARR, "Per account and month: previous > 0, now 0.",
      False),
    M("nrr_12m", "NRR (12 months)", "ratio", ARR,
      "ARR now of accounts that had ARR 12 months ago / their ARR then."),
    M("grr_12m", "GRR (12 months)", "ratio", ARR,
      "Same as NRR, each account's ARR now capped at its ARR then."),
    # Beyond the spec (extension=True): see DECISIONS.md.
    M("reactivation_arr", "Reactivation ARR", "usd", ARR,
      "Per account and month: previous 0, now > 0, had ARR before.", True, True),
    M("quick_ratio", "Quick ratio", "multiple", ARR,
      "(New + reactivation + expansion ARR) / (contraction + churned ARR) in period.", True,
      True),
    M("magic_number", "Magic number", "multiple", COST,
      "Net new ARR in period / sales and marketing spend of the previous period of equal "
      "length (the previous quarter for a quarter).", True, True),
    M("ltv_to_cac", "LTV:CAC", "multiple", COST,
      "Lifetime value (average new-customer first-deal amount x gross margin / annual churn, "
      "where annual churn = 1 - GRR 12 months) / CAC.", True, True),
    M("stage0_days_p75", "Stage-0 clock (p75)", "days", VELOCITY,
      "Days from `created_date` to `qualified_date` (75th percentile).", False, True),
    M("time_to_no_people_days_median", "Time to no, people (median)", "days", VELOCITY,
      "Median days from person `created_date` to `disqualified_date`; shorter is better.",
      False, True),
    M("stale_pipeline_count", "Stale opportunities", "count", VELOCITY,
      "Open opportunities with no stage change for more than 90 days (setting): count.",
      False, True),
    M("avg_role_coverage", "Role coverage (target accounts)", "ratio", GROUPS,
      "Average over target accounts of roles covered among the required roles / number of "
      "required roles.", True, True),
    M("avg_group_coverage", "Group coverage (target accounts)", "ratio", GROUPS,
      "Average over target accounts of engaged people / target group size, capped at 100 %.",
      True, True),
    M("cost_per_target_account_reached", "Cost per target account reached", "usd", MARKET,
      "Marketing spend / distinct target accounts touched in period (per channel: channel spend "
      "/ target accounts that channel touched).", False, True),
)

METRICS: dict[str, Metric] = {m.id: m for m in _METRICS}
SPEC_IDS: tuple[str, ...] = tuple(m.id for m in _METRICS if not m.extension)


def get(metric_id: str) -> Metric:
    return METRICS[metric_id]

