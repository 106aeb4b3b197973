"""Chart titles that state the finding, for the funnel, cost and velocity pages.

An executive reads the title of a chart and nothing else, so each title must say
what the data shows ("Paid search brought 20 % of MQLs but 2 % of qualified
pipeline"), not what the chart is ("MQLs by channel"). Choosing *which* fact to
state is domain logic, so it lives here, in pure functions over the DataFrames
and dicts gtm.metrics returns, unit-tested on hand-made frames; pages only render.
Sentences are plain text: pages escape them for Plotly or Markdown.
"""

from __future__ import annotations

import math

import pandas as pd

from gtm import fmt
from gtm.narrative import words

NOTABLE_GAP = 0.05  # a share gap below 5 points is noise, not a finding


# --- wording helpers ------------------------------------------------------------------


def label(name) -> str:
    """A CRM code as words: 'paid_search' -> 'paid search'; empty -> 'unknown'."""
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    return text.replace("_", " ").strip() or "unknown"


def cap(text: str) -> str:
    """First letter upper case, the rest untouched."""
    return text[:1].upper() + text[1:]


def month(value) -> str:
    """A month as 'Jul 2026'."""
    return f"{pd.Timestamp(value):%b %Y}"


def share(value) -> str:
    """A share as a whole percent in the house style: '20 %', '<1 %' for tiny shares."""
    if fmt.is_missing(value):
        return fmt.NA
    if 0 < value < 0.005:
        return "<1 %"
    return f"{value * 100:.0f} %"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def change(before, after, unit: str = "count") -> str:
    """'rose 23 %', 'fell 16 %', 'held flat', 'started from 0' (a 0 base has no %), or
    'rose from 4 to 1,303' when the base is too small for a percent (words.base_too_small)."""
    if fmt.is_missing(before) or fmt.is_missing(after):
        return "cannot be compared"
    if before == 0:
        return "held flat at 0" if after == 0 else "started from 0"
    if words.base_too_small(before, after, unit):
        return words.from_to(before, after, unit)
    pct = (after - before) / abs(before)
    if abs(pct) < 0.005:
        return "held flat"
    return f"{'rose' if pct > 0 else 'fell'} {abs(pct) * 100:.0f} %"


def _valid(df: pd.DataFrame, column: str) -> pd.DataFrame:
    return df[df[column].notna()] if len(df) else df


# --- MQLs vs qualified pipeline ----------------------------------------------------------


def lens_by_channel(by_channel: pd.DataFrame) -> str:
    """The channel the MQL lens flatters most (share of MQLs minus share of pipeline),
    and the one it undersells most. Input: funnel.by_channel."""
    if by_channel.empty or by_channel["mqls"].sum() == 0:
        return "No MQLs in this period: only the pipeline lens has something to show"
    if by_channel["qualified_pipeline"].sum() == 0:
        return "No qualified pipeline in this period: the MQL lens has nothing to be checked against"
    gap = by_channel["mql_share"].fillna(0) - by_channel["pipeline_share"].fillna(0)
    over, under = by_channel.loc[gap.idxmax()], by_channel.loc[gap.idxmin()]
    if gap.max() < NOTABLE_GAP and -gap.min() < NOTABLE_GAP:
        return "MQL and pipeline shares agree within 5 points for every channel"
    parts = []
    if gap.max() >= NOTABLE_GAP:
        parts.append(f"{cap(label(over.channel))} brought {share(over.mql_share)} of MQLs "
                     f"but {share(over.pipeline_share)} of qualified pipeline")
    if -gap.min() >= NOTABLE_GAP:
        parts.append(f"{label(under.channel)} {share(under.mql_share)} of MQLs "
                     f"and {share(under.pipeline_share)} of pipeline")
    return cap("; ".join(parts))


def lens_by_month(by_month: pd.DataFrame, partial: frozenset = frozenset()) -> str:
    """How MQLs and qualified pipeline moved from the first to the last whole month (months
    the period or the data covers only in part are not compared). Input: funnel.by_month."""
    if by_month.empty:
        return "No months in this period"
    rows = words.whole(by_month, partial)
    first, last = rows.iloc[0], rows.iloc[-1]
    if len(rows) == 1:
        return (f"{month(first.month)}: {fmt.count(first.mqls)} MQLs and "
                f"{fmt.money(first.qualified_pipeline)} of qualified pipeline")
    mql_move = change(first.mqls, last.mqls)
    pipe_move = change(first.qualified_pipeline, last.qualified_pipeline, "usd")
    same_way = mql_move.split()[0] == pipe_move.split()[0]
    joiner = "and" if same_way else "while"
    return (f"From {month(first.month)} to {month(last.month)} MQLs {mql_move} "
            f"{joiner} qualified pipeline {pipe_move}")


def mqls_by_month(by_month: pd.DataFrame, partial: frozenset = frozenset()) -> str:
    """How MQLs moved from the first to the last whole month (the MQL lens alone)."""
    if by_month.empty:
        return "No months in this period"
    rows = words.whole(by_month, partial)
    first, last = rows.iloc[0], rows.iloc[-1]
    if len(rows) == 1:
        return f"{month(first.month)}: {fmt.count(first.mqls)} MQLs"
    return (f"From {month(first.month)} to {month(last.month)} MQLs "
            f"{change(first.mqls, last.mqls)}")


def lens_ranking(ranking: pd.DataFrame) -> str:
    """The widest disagreement between the MQL rank and the pipeline rank, and how many
    channels the MQL lens flatters. Input: funnel.channel_ranking."""
    if ranking.empty:
        return "No channel had MQLs or qualified pipeline in this period"
    if "qualified_pipeline" in ranking and ranking["qualified_pipeline"].fillna(0).sum() == 0:
        return ("No channel has qualified pipeline with an amount in this period: the MQL "
                "ranking has nothing to be checked against")
    gap = ranking["rank_by_pipeline"] - ranking["rank_by_mqls"]
    top = ranking.loc[gap.idxmax()]
    flattered = int(ranking["flattered"].sum())
    n = len(ranking)
    if gap.max() <= 0:
        return "No channel ranks higher by MQLs than by qualified pipeline"
    lead = (f"{cap(label(top.channel))} ranks {ordinal(int(top.rank_by_mqls))} of {n} by MQLs "
            f"but {ordinal(int(top.rank_by_pipeline))} by qualified pipeline")
    if flattered == 0:
        return lead + "; no channel is flattered by the MQL lens beyond its CAC and pipeline"
    channels = "channel" if flattered == 1 else "channels"
    return f"{lead}; the MQL lens flatters {flattered} {channels}"


def flattered_channels(ranking: pd.DataFrame) -> str:
    """'paid search, paid social and webinar' (the channels flagged flattered), or ''."""
    names = [label(c) for c in ranking.loc[ranking["flattered"], "channel"]]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def qualified_stage(stage: str | None, win_rates: pd.DataFrame, threshold: float) -> str:
    """Which stage makes a deal qualified, with its win rate and the stage before it.
    Input: QualifiedStage.stage, QualifiedStage.win_rates, the threshold setting."""
    if win_rates.empty:
        return ("No open stage in the data (every deal is closed and there is no stage "
                "history): no deal can be called qualified")
    if stage is None:
        return (f"No stage reaches a {share(threshold)} win rate: only qualified dates "
                "supplied by the CRM count")
    rates = win_rates.reset_index(drop=True)
    pos = rates.index[rates["stage"] == stage]
    if len(pos) == 0:
        return f"{stage} is the qualified stage"
    i = int(pos[0])
    text = (f"{stage} is the qualified stage: {share(rates.at[i, 'win_rate'])} of closed deals "
            "that reached it were won")
    if i > 0 and not fmt.is_missing(rates.at[i - 1, "win_rate"]):
        text += f" ({rates.at[i - 1, 'stage']}: {share(rates.at[i - 1, 'win_rate'])})"
    return text


def activation(by_month: pd.DataFrame, activation_days: int) -> str:
    """Activation over the period and its best month. Input: funnel.by_month."""
    signups = by_month["signups"].sum() if len(by_month) else 0
    if signups == 0:
        return "No signups in this period"
    activated = by_month["activated_signups"].sum()
    text = (f"{share(activated / signups)} of {fmt.count(signups)} signups activated within "
            f"{activation_days} days")
    rated = by_month[by_month["signups"] > 0]
    if len(rated) > 1:
        rate = rated["activated_signups"] / rated["signups"]
        best = rated.loc[rate.idxmax()]
        text += f"; best month {month(best.month)} ({share(rate.max())})"
    return text


# --- CAC vs cost per lead ----------------------------------------------------------------


def _channels_only(cost_by_channel: pd.DataFrame) -> pd.DataFrame:
    """cost.by_channel without the 'Blended' and 'unknown' rows."""
    return cost_by_channel[~cost_by_channel["channel"].isin(["Blended", "unknown"])]


def cheap_leads(cost_by_channel: pd.DataFrame) -> str:
    """The channel with the lowest CPL and where it ranks on marketing CAC.
    Input: cost.by_channel."""
    rows = _valid(_channels_only(cost_by_channel), "cpl")
    if rows.empty:
        return "No channel has both leads and spend in this period: CPL is n/a"
    cheapest = rows.loc[rows["cpl"].idxmin()]
    lead = f"{cap(label(cheapest.channel))} has the lowest CPL ({fmt.money(cheapest.cpl)})"
    cac = _valid(_channels_only(cost_by_channel), "marketing_cac")
    if fmt.is_missing(cheapest.marketing_cac):
        if cac.empty:
            return lead + " but no channel won a new customer"
        best = cac.loc[cac["marketing_cac"].idxmin()]
        return (f"{lead} but won no new customer; the lowest CAC is {label(best.channel)} "
                f"({fmt.money(best.marketing_cac)})")
    rank = int((cac["marketing_cac"] < cheapest.marketing_cac).sum()) + 1
    return (f"{lead} and ranks {ordinal(rank)} of {len(cac)} on marketing CAC "
            f"({fmt.money(cheapest.marketing_cac)})")


def lead_to_customer(cost_by_channel: pd.DataFrame) -> str:
    """Where a cheap lead turns into the most expensive customer: the largest marketing
    CAC / CPL multiple, against the smallest. Input: cost.by_channel."""
    rows = _valid(_valid(_channels_only(cost_by_channel), "cpl"), "marketing_cac")
    rows = rows[rows["cpl"] > 0]
    if rows.empty:
        return "No channel has both leads and new customers in this period"
    multiple = rows["marketing_cac"] / rows["cpl"]
    worst, best = rows.loc[multiple.idxmax()], rows.loc[multiple.idxmin()]
    text = (f"{cap(label(worst.channel))}: a {fmt.money(worst.cpl)} lead becomes a "
            f"{fmt.money(worst.marketing_cac)} customer ({multiple.max():,.0f}x)")
    if best.channel != worst.channel:
        text += (f"; {label(best.channel)} converts spend best ({fmt.money(best.cpl)} lead, "
                 f"{fmt.money(best.marketing_cac)} customer, {multiple.min():,.0f}x)")
    return text


def cost_ladder(values: dict) -> str:
    """What a customer costs against what a lead costs (blended). Input: compute()."""
    cpl, cac = values.get("cpl"), values.get("cac")
    if fmt.is_missing(cpl) and fmt.is_missing(cac):
        return "No spend recorded for this period: every unit cost is n/a"
    if fmt.is_missing(cac):
        per_opp = values.get("cost_per_qualified_opportunity")
        return (f"No new customer in this period, so CAC is n/a; a qualified opportunity "
                f"cost {fmt.money(per_opp)}")
    if fmt.is_missing(cpl) or cpl == 0:
        return f"A new customer costs {fmt.money(cac)} (blended)"
    return (f"A new customer costs {fmt.money(cac)} (blended), {cac / cpl:,.0f}x the "
            f"{fmt.money(cpl)} cost per lead")


def cost_trend(cost_by_month: pd.DataFrame, partial: frozenset = frozenset()) -> str:
    """How CPL and CAC moved from the first to the last whole month. Input: cost.by_month."""
    rows = words.whole(cost_by_month, partial) if len(cost_by_month) else cost_by_month
    if len(rows) < 2:
        return "One month only: see the quarter for a trend"
    first, last = rows.iloc[0], rows.iloc[-1]
    cpl_move = change(first.cpl, last.cpl, "usd")
    cac_move = change(first.cac, last.cac, "usd")
    return (f"From {month(first.month)} to {month(last.month)} CPL {cpl_move}, "
            f"CAC {cac_move}")


# --- Velocity and fail-fast ----------------------------------------------------------------


def slowest_stage0(stage0_by_month: pd.DataFrame) -> str:
    """The month whose qualified deals took longest to qualify. Input:
    velocity.stage0_by_month."""
    rows = _valid(stage0_by_month, "stage0_days_median")
    if rows.empty:
        return "No deal qualified in this period"
    slow = rows.loc[rows["stage0_days_median"].idxmax()]
    detail = (f"median {fmt.days(slow.stage0_days_median)} from created to qualified "
              f"(p75 {fmt.days(slow.stage0_days_p75)})")
    if len(rows) == 1:
        return f"{month(slow.month)}: {detail}"
    return f"The stage-0 clock was slowest in {month(slow.month)}: {detail}"


def cycle_range(cycle_by_month: pd.DataFrame) -> str:
    """Fastest and slowest month of the sales cycle. Input: velocity.cycle_by_month."""
    rows = _valid(cycle_by_month, "sales_cycle_days_median")
    if rows.empty:
        won = int(cycle_by_month["won"].sum()) if len(cycle_by_month) else 0
        if won:
            deals = "deal was" if won == 1 else "deals were"
            return (f"{fmt.count(won)} new-business {deals} won, but the sales cycle is unknown: "
                    "no qualified date (add opportunity_stages.csv or qualified_date)")
        return "No deal was won in this period"
    fast = rows.loc[rows["sales_cycle_days_median"].idxmin()]
    slow = rows.loc[rows["sales_cycle_days_median"].idxmax()]
    if len(rows) == 1 or fast.month == slow.month:
        return (f"Won deals took a median {fmt.days(slow.sales_cycle_days_median)} "
                "from qualified to close")
    return (f"Won deals closed fastest in {month(fast.month)} "
            f"({fmt.days(fast.sales_cycle_days_median)} median) and slowest in "
            f"{month(slow.month)} ({fmt.days(slow.sales_cycle_days_median)})")


def time_to_no(values: dict) -> str:
    """Lost deals against disqualified leads: how long each waits for a 'no'.
    Input: compute()."""
    deals, people = values.get("time_to_no_days_median"), values.get("time_to_no_people_days_median")
    if fmt.is_missing(deals) and fmt.is_missing(people):
        return "No deal was lost and no lead disqualified in this period"
    if fmt.is_missing(people):
        return f"Lost deals took a median {fmt.days(deals)} to reach a no"
    if fmt.is_missing(deals):
        return f"Disqualified leads heard no after a median {fmt.days(people)}"
    return (f"Lost deals took a median {fmt.days(deals)} to reach a no; "
            f"disqualified leads {fmt.days(people)}")


def _step(waterfall: pd.DataFrame, *names: str) -> float:
    return float(waterfall.loc[waterfall["step"].isin(names), "amount"].fillna(0).sum())


def _count(waterfall: pd.DataFrame, *names: str) -> int:
    return int(waterfall.loc[waterfall["step"].isin(names), "count"].sum())


def amount_text(amount, count: int) -> str:
    """'$1.2M', or 'amount unknown' when deals exist but none has an amount ($0 would lie)."""
    return "amount unknown" if count and fmt.is_missing(amount) else fmt.money(amount or 0)


def pipeline_movement(waterfall: pd.DataFrame) -> str:
    """Opening to closing pipeline, with what was created, won and lost (in deals when the
    extract gives no amounts). Input: velocity.pipeline_waterfall (either view)."""
    verb = "created" if (waterfall["step"] == "created").any() else "qualified"
    if "amount_known" in waterfall and int(waterfall["amount_known"].sum()) == 0:
        counts = {s: _count(waterfall, s) for s in ("opening", "won", "lost", "closing")}
        created = _count(waterfall, "created", "qualified")
        if not any(counts.values()) and not created:
            return "No open pipeline in this period"
        return (f"Open pipeline went from {fmt.count(counts['opening'])} to "
                f"{fmt.count(counts['closing'])} deals: {fmt.count(created)} {verb}, "
                f"{fmt.count(counts['won'])} won, {fmt.count(counts['lost'])} lost "
                "(the deals have no amounts)")
    opening, closing = _step(waterfall, "opening"), _step(waterfall, "closing")
    created = _step(waterfall, "created", "qualified")
    won, lost = _step(waterfall, "won"), _step(waterfall, "lost")
    if opening == 0 and closing == 0 and created == 0:
        return "No open pipeline in this period"
    move = "grew" if closing > opening else ("shrank" if closing < opening else "held")
    size = "" if opening == 0 or move == "held" else f" {abs(closing / opening - 1) * 100:.0f} %"
    return (f"Open pipeline {move}{size} to {fmt.money(closing)}: {fmt.money(created)} "
            f"{verb}, {fmt.money(won)} won, {fmt.money(lost)} lost")


def stale(values: dict, stale_days: int) -> str:
    """Open deals that have not moved. Input: compute() and the stale-days setting."""
    count = values.get("stale_pipeline_count") or 0
    if count == 0:
        return f"No open deal has gone more than {stale_days} days without a stage change"
    deals = "deal" if count == 1 else "deals"
    return (f"{fmt.count(count)} open {deals} worth {fmt.money(values.get('stale_pipeline_amount'))}"
            f" went more than {stale_days} days without a stage change")


def disqualification(reasons: pd.DataFrame) -> str:
    """The channel that loses the most leads, and its main reason.
    Input: velocity.disqualification_reasons."""
    if reasons.empty or reasons["people"].sum() == 0:
        return "No lead was disqualified in this period"
    reasons = reasons.assign(channel=reasons["channel"].fillna("unknown"))
    by_channel = reasons.groupby("channel", dropna=False)["people"].sum()
    top = by_channel.idxmax()
    own = reasons[reasons["channel"] == top].sort_values(
        ["people", "disqualified_reason"], ascending=[False, True])
    reason = own.iloc[0]
    return (f"{cap(label(top))} loses the most leads ({fmt.count(by_channel.max())} "
            f"disqualified), {share(reason.people / by_channel.max())} for "
            f"\u201c{reason.disqualified_reason}\u201d")
