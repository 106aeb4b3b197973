"""Every headline metric defined once: id, label, unit, definition, the query that computes
it and the tables it needs.

This is the only table of metrics (the Rill metrics-view model): `compute` (the report, the
pages' KPI tiles) runs each entry's query and reads its column, the tiles format the value
by its unit and explain an n/a from its tables, the glossary and docs/metrics.md print its
label and definition. A tile's number is three hops from its SQL: the tile names an id, the
entry names its query function (e.g. `funnel.volume`), and that function's module holds the
composed SQL just above it. Definitions follow the product spec (metrics v1 and v2) word for
word; `extension=True` marks metrics we added beyond it (see DECISIONS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gtm import fmt
from gtm.metrics import arr, cost, funnel, groups, market, targets, velocity, warm
from gtm.metrics.base import FACT_REASONS


@dataclass(frozen=True)
class Input:
    """One value a formula reads: a query's column, in this period or the previous one."""

    query: Callable
    column: str
    previous: bool = False


@dataclass(frozen=True)
class Formula:
    """A metric computed from other queries' values: fn(*inputs, settings) -> value."""

    fn: Callable
    inputs: tuple[Input, ...]


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    unit: str  # a key of gtm.fmt.FORMATTERS
    section: str
    definition: str
    query: Callable | None = None  # fn(con, params) -> {column: value}; None for a formula
    tables: tuple[str, ...] = ()  # tables the value needs beyond people (n/a without them)
    higher_is_better: bool | None = True
    extension: bool = False
    formula: Formula | None = None
    column: str | None = None  # the query's column (default: the id)
    requires: tuple[str, ...] = ()  # facts of base.FACTS_SQL the value needs (else unknown)

    @property
    def reads(self) -> str:
        return self.column or self.id

    def format(self, value) -> str:
        return fmt.format_value(value, self.unit)


M = Metric
VOLUME = "Volume versus quality"
COST = "Cost"
GROUPS = "Buying groups"
MARKET = "Target market"
VELOCITY = "Velocity and fail-fast"
ARR = "Net ARR"
TARGETS = "Targets instead of MQLs"
WARM = "Warm starts"
DEALS = ("opportunities",)
SPEND = ("spend",)
SPEND_DEALS = ("spend", "opportunities")
# What a value needs the extract to tell at all (gtm.metrics.base.FACTS_SQL): without it the
# value is unknown (n/a, with base.FACT_REASONS), never a 0 or a $0.
QUALIFIED = ("qualification",)
AMOUNTS = ("amounts",)
QUALIFIED_AMOUNTS = ("qualification", "amounts")

_METRICS = (
    M("leads", "Leads", "count", VOLUME, "People with `created_date` in period.",
      funnel.volume),
    M("mqls", "MQLs", "count", VOLUME, "People with `mql_date` in period.", funnel.volume),
    M("target_leads", "Target leads", "count", VOLUME,
      "Leads whose account `is_target` (or `fit_score` >= the ICP threshold).", funnel.volume,
      ("accounts",)),
    M("qualified_opportunities", "Qualified opportunities", "count", VOLUME,
      "New-business opportunities with `qualified_date` in period: count.", funnel.volume,
      DEALS, requires=QUALIFIED),
    M("qualified_pipeline", "Qualified pipeline", "usd", VOLUME,
      "New-business opportunities with `qualified_date` in period: sum of `amount`.",
      funnel.volume, DEALS, requires=QUALIFIED_AMOUNTS),
    M("mql_to_customer_rate", "MQL-to-customer rate", "share", VOLUME,
      "Cohort: of the MQLs in period, the share whose account has a won new-business "
      "opportunity created on or after the `mql_date`. Wins count up to the dataset's as-of "
      "date, so a recent cohort keeps maturing.", funnel.mql_to_customer_rate, DEALS),
    M("qualified_win_rate", "Qualified win rate", "share", VOLUME,
      "Won / closed among qualified new-business opportunities whose `close_date` is in period.",
      funnel.qualified_win_rate, DEALS, requires=QUALIFIED),
    M("signups", "Signups", "count", VOLUME, "Signups with `signup_date` in period (product-led).",
      funnel.signups, ("signups",)),
    M("activated_signups", "Activated signups", "count", VOLUME,
      "Signups in period with `activated_date` within 30 days (setting) of `signup_date` and on "
      "or before the dataset's as-of date (a recent cohort keeps maturing, like the MQL cohort).",
      funnel.signups, ("signups",)),
    M("activation_rate", "Activation rate", "share", VOLUME, "Activated signups / signups.",
      funnel.signups, ("signups",)),
    M("marketing_spend", "Marketing spend", "usd", COST,
      "Sum of `spend.amount` with `function` marketing, in period.", cost.spend, SPEND, None),
    M("sales_spend", "Sales spend", "usd", COST,
      "Sum of `spend.amount` with `function` sales, in period.", cost.spend, SPEND, None),
    M("cpl", "Cost per lead (CPL)", "usd", COST,
      "Marketing spend / leads (per channel: channel spend / channel leads).", cost.unit_costs,
      SPEND, False),
    M("cost_per_mql", "Cost per MQL", "usd", COST, "Marketing spend / MQLs.", cost.unit_costs,
      SPEND, False),
    M("cost_per_qualified_opportunity", "Cost per qualified opportunity", "usd", COST,
      "Marketing spend / qualified opportunities.", cost.unit_costs, SPEND_DEALS, False, requires=QUALIFIED),
    M("new_customers", "New customers", "count", COST,
      "Accounts whose *first* won new-business opportunity closed in period.", cost.unit_costs,
      DEALS),
    M("cac", "CAC (blended)", "usd", COST, "(Marketing + sales spend) / new customers.",
      cost.unit_costs, SPEND_DEALS, False),
    M("cac_payback_months", "CAC payback", "months", COST,
      "CAC / (average new-customer first-deal `amount` / 12 x gross margin); gross margin is a "
      "setting, default 80 %.", cost.unit_costs, SPEND_DEALS, False, requires=AMOUNTS),
    M("target_account_penetration", "Target-account penetration", "share", MARKET,
      "Target accounts with at least one engaged person in period / all target accounts.",
      market.headline, ("accounts", "touches")),
    M("stage0_days_median", "Stage-0 clock (median)", "days", VELOCITY,
      "Days from `created_date` to `qualified_date` (median).", velocity.clocks, DEALS, False, requires=QUALIFIED),
    M("sales_cycle_days_median", "Sales cycle (median)", "days", VELOCITY,
      "Days from `qualified_date` to `close_date` of won opportunities (median).",
      velocity.clocks, DEALS, False, requires=QUALIFIED),
    M("sales_velocity_per_day", "Sales velocity", "usd_per_day", VELOCITY,
      "Open qualified opportunities x qualified win rate x average won amount / average sales "
      "cycle days.", velocity.sales_velocity, DEALS, requires=QUALIFIED_AMOUNTS),
    M("time_to_no_days_median", "Time to no (median)", "days", VELOCITY,
      "Median days from `created_date` to `close_date` of lost opportunities; shorter is better.",
      velocity.clocks, DEALS, False),
    M("stale_pipeline_amount", "Stale pipeline", "usd", VELOCITY,
      "Open opportunities with no stage change for more than 90 days (setting): amount.",
      velocity.clocks, DEALS, False, requires=AMOUNTS),
    M("net_new_arr", "Net new ARR", "usd", ARR,
      "New + reactivation + expansion - contraction - churn.", arr.flows, ("arr",)),
    M("new_arr", "New ARR", "usd", ARR,
      "Per account and month: previous 0, now > 0, never had ARR before.", arr.flows, ("arr",)),
    M("expansion_arr", "Expansion ARR", "usd", ARR, "Per account and month: now > previous > 0.",
      arr.flows, ("arr",)),
    M("contraction_arr", "Contraction ARR", "usd", ARR,
      "Per account and month: 0 < now < previous.", arr.flows, ("arr",), False),
    M("churned_arr", "Churned ARR", "usd", ARR, "Per account and month: previous > 0, now 0.",
      arr.flows, ("arr",), False),
    M("nrr_12m", "NRR (12 months)", "share", ARR,
      "ARR now of accounts that had ARR 12 months ago / their ARR then.", arr.retention,
      ("arr",)),
    M("grr_12m", "GRR (12 months)", "share", ARR,
      "Same as NRR, each account's ARR now capped at its ARR then.", arr.retention, ("arr",)),
    # metrics.md v2: targets instead of MQLs, warm starts.
    M("target_people", "Target people", "count", TARGETS,
      "People of target accounts who match the target persona (every person of a target "
      "account when no persona is defined), created on or before the period end. Target "
      "accounts follow the active target definition (tier at or above its target tier), "
      "else `is_target`, else `fit_score` >= the ICP threshold.", targets.headline,
      ("accounts",)),
    M("engaged_targets", "Engaged targets", "count", TARGETS,
      "Distinct target people with a touch in period or listed on an opportunity created in "
      "period. This is the count that replaces MQLs.", targets.headline, ("accounts",)),
    M("engaged_target_accounts", "Engaged target accounts", "count", TARGETS,
      "Target accounts with at least one engaged target person.", targets.headline,
      ("accounts",)),
    M("mql_noise_share", "MQL noise share", "share", TARGETS,
      "MQLs in period whose person is not a target person / MQLs in period.",
      targets.headline, ("accounts",), False),
    M("warm_start_rate", "Warm-start rate", "share", WARM,
      "Warm starts / new-business opportunities created in period. An opportunity is a warm "
      "start when, in the 90 days (setting) before its `created_date`, at least 2 people "
      "(setting) of its account made at least 3 touches (setting) in total on channels other "
      "than the sales-owned ones (default `outbound`; setting).", warm.headline,
      ("opportunities", "touches")),
    M("warm_win_rate", "Warm win rate", "share", WARM,
      "Qualified win rate among warm starts whose `close_date` is in period.", warm.headline,
      ("opportunities", "touches")),
    M("cold_win_rate", "Cold win rate", "share", WARM,
      "Qualified win rate among the other (cold) starts whose `close_date` is in period.",
      warm.headline, ("opportunities", "touches"), None),
    # Beyond the spec (extension=True): see DECISIONS.md.
    M("reactivation_arr", "Reactivation ARR", "usd", ARR,
      "Per account and month: previous 0, now > 0, had ARR before.", arr.flows, ("arr",), True,
      True),
    M("quick_ratio", "Quick ratio", "multiple", ARR,
      "(New + reactivation + expansion ARR) / (contraction + churned ARR) in period.", arr.flows,
      ("arr",), True, True),
    M("magic_number", "Magic number", "multiple", COST,
      "Net new ARR in period / sales and marketing spend of the previous period of equal "
      "length (the previous quarter for a quarter).", None, ("arr", "spend"), True, True,
      Formula(cost.magic_number, (Input(arr.flows, "net_new_arr"),
                                  Input(cost.spend, "marketing_spend", previous=True),
                                  Input(cost.spend, "sales_spend", previous=True)))),
    M("ltv_to_cac", "LTV:CAC", "multiple", COST,
      "Lifetime value (average new-customer first-deal amount x gross margin / annual churn, "
      "where annual churn = 1 - GRR 12 months) / CAC.", None, ("arr", "spend", "opportunities"),
      True, True,
      Formula(cost.ltv_to_cac, (Input(cost.unit_costs, "avg_first_deal"),
                                Input(arr.retention, "grr_12m"),
                                Input(cost.unit_costs, "cac"))), requires=AMOUNTS),
    M("stage0_days_p75", "Stage-0 clock (p75)", "days", VELOCITY,
      "Days from `created_date` to `qualified_date` (75th percentile).", velocity.clocks, DEALS,
      False, True, requires=QUALIFIED),
    M("time_to_no_people_days_median", "Time to no, people (median)", "days", VELOCITY,
      "Median days from person `created_date` to `disqualified_date`; shorter is better.",
      velocity.clocks, (), False, True),
    M("stale_pipeline_count", "Stale opportunities", "count", VELOCITY,
      "Open opportunities with no stage change for more than 90 days (setting): count.",
      velocity.clocks, DEALS, False, True),
    M("avg_role_coverage", "Role coverage (target accounts)", "share", GROUPS,
      "Average over target accounts of roles covered among the required roles / number of "
      "required roles.", groups.coverage_headline, ("accounts",), True, True),
    M("avg_group_coverage", "Group coverage (target accounts)", "share", GROUPS,
      "Average over target accounts of engaged people / target group size, capped at 100 %.",
      groups.coverage_headline, ("accounts",), True, True),
    M("cost_per_target_account_reached", "Cost per target account reached", "usd", MARKET,
      "Marketing spend / distinct target accounts touched in period (per channel: channel spend "
      "/ target accounts that channel touched).", market.headline,
      ("accounts", "touches", "spend"), False, True),
)

METRICS: dict[str, Metric] = {m.id: m for m in _METRICS}
SPEC_IDS: tuple[str, ...] = tuple(m.id for m in _METRICS if not m.extension)


def get(metric_id: str) -> Metric:
    return METRICS[metric_id]



def na_reason(metric_id: str, provided: dict | None, known: dict | None = None) -> str:
    """Why a metric shows n/a: a missing table (provided: dataset_info(con)["tables"]), what
    the extract cannot tell (known: gtm.metrics.base.facts), else an empty or zero
    denominator. The tiles of the app and of the QBR pack say the same."""
    metric = get(metric_id)
    missing = [t for t in metric.tables if not (provided or {}).get(t)]
    if missing:
        return "n/a: add " + " and ".join(f"{t}.csv" for t in missing) + " to compute it."
    lacking = [need for need in metric.requires if known is not None and not known.get(need)]
    if lacking:
        return "n/a: " + "; ".join(FACT_REASONS[need] for need in lacking) + "."
    return ("n/a: nothing to measure in this period and filter "
            "(a ratio with a zero denominator is not a number).")


NO_EARLIER_DATA = "no earlier data"


class _NoEarlier:
    """The previous value of a period the data does not reach (never a number)."""

    def __repr__(self) -> str:
        return NO_EARLIER_DATA


NO_EARLIER = _NoEarlier()


def delta_text(metric_id: str, value, previous) -> str | None:
    """Signed change vs the previous period in the metric's unit (shares in points); the
    words "no earlier data" when the data starts after the previous period. The tiles of the
    app and of the QBR pack."""
    if previous is NO_EARLIER:
        return NO_EARLIER_DATA
    if previous is None or fmt.is_missing(value) or fmt.is_missing(previous):
        return None
    unit = get(metric_id).unit
    diff = float(value) - float(previous)
    change = f"{abs(diff) * 100:.1f} pts" if unit == "share" else fmt.format_value(abs(diff), unit)
    if _is_zero(change):
        return "no change"
    return ("+" if diff > 0 else "-") + change


def _is_zero(formatted: str) -> bool:
    """True when a change rounds to nothing as shown (0 days, 0.0 pts, $0, 0.00x)."""
    digits = [c for c in formatted if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}
