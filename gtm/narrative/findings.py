"""One plain sentence per page that says what it found, for the Overview and the growth page.

An executive opens the Overview and reads one line per page ("Paid search MQLs grew 2.1x to
120; its qualified pipeline fell 30 % to $1.2M") before deciding where to click. Choosing the
fact and wording it is domain logic, so it lives here as pure functions over what gtm.metrics
and gtm.plan.growth return, tested on hand-made inputs. Sentences are plain text (no Markdown);
numbers go through gtm.fmt; None or empty inputs give a neutral sentence, never an error.
"""

from __future__ import annotations

import math

import pandas as pd

from gtm import fmt
from gtm.metrics.base import FACT_REASONS
from gtm.narrative import words
from gtm.plan.growth import Plan, format_field, label

NOT_CHANNELS = ("Blended", "unknown")  # cost.by_channel rows that are not a channel
SINGLE_THREADED = ("0", "1")  # groups.threading buckets
MULTI_THREADED = ("4-6", "7+")


# --- wording ------------------------------------------------------------------------------


def _empty(frame) -> bool:
    return frame is None or len(frame) == 0


def channel_name(code) -> str:
    """'paid_search' -> 'Paid search' (a sentence starts with it); missing -> 'Unknown'."""
    text = "" if fmt.is_missing(code) else str(code).replace("_", " ").strip()
    return (text[:1].upper() + text[1:]) if text else "Unknown"


def moved(before, after, shown: str, unit: str = "count") -> str:
    """How a figure moved to its formatted value `shown`: 'rose 25 % to 120', 'fell 30 % to
    $1.2M', 'grew 2.1x to 120', 'held flat at 120', 'grew from 0 to 120', 'held at 0', or
    'rose from 4 to 120' when the base is too small for a percent (words.base_too_small)."""
    if fmt.is_missing(before) or fmt.is_missing(after):
        return f"was {shown}"
    if before == 0:
        return f"held at {shown}" if after == 0 else f"grew from 0 to {shown}"
    if words.base_too_small(before, after, unit):
        return words.from_to(before, after, unit, shown)
    ratio = after / before
    if ratio >= 2:
        return f"grew {ratio:.1f}x to {shown}"
    change = abs(ratio - 1)
    if change < 0.005:
        return f"held flat at {shown}"
    return f"{'rose' if ratio > 1 else 'fell'} {fmt.percent(change)} to {shown}"


def lower(text: str) -> str:
    """A label inside a sentence: first letter lower case unless it is an acronym (CAC)."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def and_list(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _row(frame: pd.DataFrame, column: str, key):
    match = frame[frame[column] == key]
    return None if match.empty else match.iloc[0]


# --- MQLs vs pipeline -----------------------------------------------------------------------


def mql_vs_pipeline(now: pd.DataFrame | None, before: pd.DataFrame | None = None,
                    known: dict | None = None) -> str:
    """The channel with the most MQLs: how its MQLs and its qualified pipeline moved against
    the previous period. Inputs: gtm.metrics.funnel.by_channel for both periods; known:
    gtm.metrics.base.facts (a pipeline the extract cannot tell is said unknown, not $0)."""
    lacking = [FACT_REASONS[k] for k in ("qualification", "amounts")
               if known is not None and not known.get(k)]
    if _empty(now) or now["mqls"].fillna(0).sum() == 0:
        pipeline = 0 if _empty(now) or lacking else now["qualified_pipeline"].fillna(0).sum()
        if pipeline:
            return f"No MQLs in this period; qualified pipeline was {fmt.money(pipeline)}."
        return "No MQLs or qualified pipeline in this period yet."
    top = now.sort_values(["mqls", "channel"], ascending=[False, True]).iloc[0]
    name, mqls, pipe = channel_name(top["channel"]), top["mqls"], top["qualified_pipeline"]
    prev = None if _empty(before) else _row(before, "channel", top["channel"])
    if lacking:
        said = (f"{name} brought the most MQLs ({fmt.count(mqls)})" if prev is None else
                f"{name} MQLs {moved(prev['mqls'], mqls, fmt.count(mqls))}")
        return f"{said}; its qualified pipeline is unknown: {lacking[0]}."
    if prev is None:
        return (f"{name} brought the most MQLs ({fmt.count(mqls)}) and "
                f"{fmt.money(pipe)} of qualified pipeline.")
    return (f"{name} MQLs {moved(prev['mqls'], mqls, fmt.count(mqls))}; its qualified pipeline "
            f"{moved(prev['qualified_pipeline'], pipe, fmt.money(pipe), 'usd')}.")


# --- CAC vs CPL -------------------------------------------------------------------------------


def cac_vs_cpl(by_channel: pd.DataFrame | None) -> str:
    """The channel with the lowest cost per lead, and whether it is also the cheapest way to
    win a customer. Input: gtm.metrics.cost.by_channel."""
    rows = None if _empty(by_channel) else by_channel[
        ~by_channel["channel"].isin(NOT_CHANNELS) & by_channel["cpl"].notna()
        & (by_channel["marketing_spend"] > 0)]
    if _empty(rows):
        return "No marketing spend by channel in this period to compare costs."
    cheap = rows.sort_values(["cpl", "channel"]).iloc[0]
    name, cpl = channel_name(cheap["channel"]), fmt.money(cheap["cpl"])
    with_cac = rows[rows["marketing_cac"].notna()].sort_values(["marketing_cac", "channel"])
    if fmt.is_missing(cheap["marketing_cac"]):
        return f"{name} has the lowest cost per lead ({cpl}) but won no new customers."
    best = with_cac.iloc[0]
    if best["channel"] == cheap["channel"]:
        return (f"{name} is the cheapest channel per lead ({cpl}) and per new customer "
                f"(CAC {fmt.money(cheap['marketing_cac'])}).")
    return (f"{name} has the lowest cost per lead ({cpl}) but a CAC of "
            f"{fmt.money(cheap['marketing_cac'])}; {lower(channel_name(best['channel']))} "
            f"wins customers cheapest, at {fmt.money(best['marketing_cac'])}.")


# --- Buying groups ----------------------------------------------------------------------------


def _win_rate(frame: pd.DataFrame, buckets: tuple[str, ...]) -> tuple[int, float | None]:
    part = frame[frame["bucket"].isin(buckets)]
    closed, won = int(part["closed"].fillna(0).sum()), int(part["won"].fillna(0).sum())
    return closed, (won / closed if closed else None)


def buying_groups(threading: pd.DataFrame | None) -> str:
    """Win rate of multi-threaded (4+ contacts) against single-threaded (0-1) closed deals.
    Input: gtm.metrics.groups.threading."""
    if _empty(threading) or threading["closed"].fillna(0).sum() == 0:
        return "No closed deals in this period yet."
    single_n, single = _win_rate(threading, SINGLE_THREADED)
    multi_n, multi = _win_rate(threading, MULTI_THREADED)
    if single is not None and multi is not None:
        return (f"Deals with 4 or more contacts won {fmt.percent(multi)} of the time, "
                f"single-threaded deals {fmt.percent(single)} ({fmt.count(single_n)} of "
                f"{fmt.count(threading['closed'].sum())} closed deals had one contact or none).")
    if single is not None:
        return (f"No closed deal had 4 or more contacts; single-threaded deals won "
                f"{fmt.percent(single)}.")
    if multi is not None:
        return (f"Every closed deal had 2 or more contacts; those with 4 or more won "
                f"{fmt.percent(multi)}.")
    closed, rate = _win_rate(threading, ("2-3",))
    return f"All {fmt.count(closed)} closed deals had 2-3 contacts; {fmt.percent(rate)} were won."


# --- Growth equation ---------------------------------------------------------------------------


def growth(plan: Plan | None) -> str:
    """What the revenue goal takes and whether the market holds it. Input: gtm.plan.growth.solve."""
    if plan is None or plan.revenue_goal is None:
        return "Set a revenue goal, sale price and rates to see what the plan takes."
    goal = format_field("revenue_goal", plan.revenue_goal)
    if plan.engaged_targets is None:
        return f"A {goal} goal cannot be traced to target accounts: a rate is missing or zero."
    needs = (f"A {goal} goal needs {format_field('customers', plan.customers)} customers from "
             f"{format_field('engaged_targets', plan.engaged_targets)} engaged target accounts "
             f"({fmt.count(plan.people_needed)} people)")
    if plan.feasible is None:
        return f"{needs}; the addressable market is unknown."
    market = fmt.count(plan.addressable_people)
    if plan.feasible:
        return (f"{needs}: {fmt.percent(plan.excess_ratio)} of the {market} addressable, "
                "so the market holds it.")
    if plan.excess_ratio is None:
        return f"{needs}, but the addressable market is empty."
    return (f"{needs}, but only {market} exist: {fmt.percent(plan.excess_ratio - 1)} more "
            "buyers than the market holds.")


def tornado(rows: list[dict], output: str) -> str:
    """The input the output moves most with (gtm.plan.growth.sensitivity rows, biggest first)."""
    rows = [r for r in rows or [] if r.get("swing") is not None]
    if not rows:
        return f"{label(output)} is n/a, so nothing moves it."
    top = rows[0]
    tied = [top] + [r for r in rows[1:] if math.isclose(r["swing"], top["swing"], rel_tol=1e-9)]
    what = and_list([tied[0]["label"]] + [lower(r["label"]) for r in tied[1:]])
    verb = "moves" if len(tied) == 1 else "move"
    low, high = sorted((top["low"], top["high"]))
    return (f"{what} {verb} {lower(label(output))} most: ±10 % gives "
            f"{format_field(output, low)} to {format_field(output, high)}.")


def forecast(band: dict | None, trailing: float | None = None) -> str:
    """The P10-P90 range of new ARR (gtm.plan.growth.forecast_band), against the last 12 months."""
    if not band or band.get("p50") is None:
        reason = (band or {}).get("reason") or "The history is too short."
        return f"No forecast band: {reason[:1].lower()}{reason[1:]}"
    months = band.get("months_ahead", 12)
    text = (f"At the pace of the last {band['basis_months']} months, the next {months} months "
            f"bring {fmt.money(band['p10'])} to {fmt.money(band['p90'])} of new ARR "
            f"(median {fmt.money(band['p50'])})")
    if fmt.is_missing(trailing):
        return text + "."
    return text + f", against {fmt.money(trailing)} in the last 12 months."


# --- Net ARR -----------------------------------------------------------------------------------


def net_arr(values: dict | None) -> str:
    """Net new ARR and what made it. Input: gtm.metrics.arr.headline (or compute())."""
    values = values or {}
    net = values.get("net_new_arr")
    if fmt.is_missing(net):
        return "No ARR movements in this period yet."
    gained = [(values.get("new_arr"), "new"), (values.get("expansion_arr"), "expansion"),
              (values.get("reactivation_arr"), "reactivation")]
    parts = [f"{fmt.money(v)} {what}" for v, what in gained if not fmt.is_missing(v) and v > 0]
    lost = sum(v for v in (values.get("contraction_arr"), values.get("churned_arr"))
               if not fmt.is_missing(v))
    text = f"Net new ARR was {fmt.money(net)}"
    if parts:
        text += ": " + and_list(parts)
        text += f", less {fmt.money(lost)} of contraction and churn"
    nrr = values.get("nrr_12m")
    return text + ("." if fmt.is_missing(nrr) else f"; 12-month NRR is {fmt.percent(nrr)}.")


# --- Velocity ----------------------------------------------------------------------------------


def velocity(values: dict | None, stale_days: int) -> str:
    """Stale open pipeline and the median sales cycle. Input: velocity.headline (or compute())."""
    values = values or {}
    amount, count = values.get("stale_pipeline_amount"), values.get("stale_pipeline_count")
    cycle = values.get("sales_cycle_days_median")
    tail = "" if fmt.is_missing(cycle) else f"; the median sales cycle is {fmt.days(cycle)}"
    if fmt.is_missing(amount):
        return "No open pipeline to check for stalled deals yet" + tail + "."
    if amount == 0 and not count:
        return f"No open deal has gone {stale_days} days without a stage change{tail}."
    deals = "" if fmt.is_missing(count) else f" ({fmt.count(count)} deals)"
    return (f"{fmt.money(amount)} of open pipeline{deals} has not changed stage in "
            f"{stale_days} days{tail}.")


# --- Target market -------------------------------------------------------------------------------


def target_market(penetration: pd.DataFrame | None) -> str:
    """How target-account penetration moved over the period's months.
    Input: gtm.metrics.market.penetration_by_month."""
    if _empty(penetration) or not penetration["target_accounts"].fillna(0).max():
        return "No target accounts in the data yet, so there is no market to penetrate."
    first, last = penetration.iloc[0], penetration.iloc[-1]
    targets = fmt.count(last["target_accounts"])
    month = f"{pd.Timestamp(last['month']):%b %Y}"
    if len(penetration) == 1 or fmt.is_missing(first["penetration"]):
        return (f"{fmt.percent(last['penetration'])} of the {targets} target accounts were "
                f"engaged in {month}.")
    start = f"{pd.Timestamp(first['month']):%b %Y}"
    return (f"Target-account penetration {moved_share(first['penetration'], last['penetration'])}"
            f" between {start} and {month} ({targets} target accounts).")


def moved_share(before, after) -> str:
    """'rose from 20 % to 35 %', 'fell from ...', 'held at 35 %' (shares, so no % of %)."""
    if fmt.is_missing(after):
        return "were n/a"
    if fmt.is_missing(before) or math.isclose(before, after, abs_tol=5e-4):
        return f"held at {fmt.percent(after)}"
    verb = "rose" if after > before else "fell"
    return f"{verb} from {fmt.percent(before)} to {fmt.percent(after)}"
