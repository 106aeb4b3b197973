"""The sentences of the new v2 views: targets beside MQLs, a definition tested against
outcomes, warm starts against cold ones, and the plan check.

Pure functions over what gtm.metrics.targets, gtm.metrics.warm and gtm.plan.check return,
like gtm/narrative/findings.py: plain text, numbers through gtm.fmt, a neutral sentence for
empty or undefined inputs, never an error. Each sentence reads the same frame the tile or
chart beside it draws, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from gtm import fmt, icp
from gtm.narrative.findings import channel_name


def _rate(value) -> str:
    return fmt.NA if fmt.is_missing(value) else fmt.percent(value)


def _row(frame: pd.DataFrame | None, column: str, key):
    if frame is None or frame.empty:
        return None
    match = frame[frame[column] == key]
    return None if match.empty else match.iloc[0]


# --- targets where MQLs were ---------------------------------------------------------------


def targets_vs_mqls(values: dict | None) -> str:
    """'4 engaged targets at 4 target accounts this period; 80 % of the 5 MQLs were not
    target people.' From the headline values (ui.headlines)."""
    values = values or {}
    engaged, accounts = values.get("engaged_targets"), values.get("engaged_target_accounts")
    noise, mqls = values.get("mql_noise_share"), values.get("mqls")
    if engaged is None:
        return ("Engaged targets are n/a: they need accounts (with target accounts) and "
                "touches or deal contacts.")
    first = (f"{fmt.count(engaged)} engaged target{'' if engaged == 1 else 's'} at "
             f"{fmt.count(accounts)} target account{'' if accounts == 1 else 's'} this period")
    if fmt.is_missing(noise):
        return first + "; no MQLs to compare with."
    of = "" if fmt.is_missing(mqls) else f" of the {fmt.count(mqls)} MQLs"
    return f"{first}; {fmt.percent(noise)}{of} were not target people (MQL noise)."


def by_month_finding(df: pd.DataFrame | None) -> str:
    """The month with the most MQL noise, against the targets engaged that month."""
    if df is None or df.empty or df["mqls"].sum() == 0:
        if df is not None and not df.empty and df["engaged_targets"].sum():
            return (f"No MQLs in this period; up to {fmt.count(df['engaged_targets'].max())} "
                    "target people were engaged in a month.")
        return "No MQLs or engaged targets in this period yet."
    top = df.sort_values(["mqls", "month"], ascending=[False, True]).iloc[0]
    month = pd.Timestamp(top["month"]).strftime("%b %Y")
    return (f"{month} had the most MQLs ({fmt.count(top['mqls'])}, "
            f"{_rate(top['mql_noise_share'])} noise) and "
            f"{fmt.count(top['engaged_targets'])} engaged targets at "
            f"{fmt.count(top['engaged_target_accounts'])} target accounts.")


# --- a definition tested against outcomes --------------------------------------------------


def targets_vs_rest(df: pd.DataFrame | None, who: str = "Targets") -> str:
    """'Targets win 58 % of qualified deals, the rest 31 %; 2 of 6 became new customers.'
    From gtm.metrics.targets.target_outcomes."""
    targets, rest = _row(df, "group", "targets"), _row(df, "group", "the rest")
    if targets is None or targets["accounts"] == 0:
        return f"{who}: no account of this view is a target."
    won = (f"{fmt.count(targets['new_customers'])} of {fmt.count(targets['accounts'])} became "
           "new customers")
    if fmt.is_missing(targets["qualified_win_rate"]):
        return f"{who}: no qualified deal at a target account closed in this period; {won}."
    rest_rate = "" if rest is None else f", the rest {_rate(rest['qualified_win_rate'])}"
    return (f"{who} win {fmt.percent(targets['qualified_win_rate'])} of qualified deals"
            f"{rest_rate}; {won}.")


def draft_change(counts: dict) -> str:
    """'The draft makes 211 target accounts, 131 more than the 80 every page counts now (142
    added, 11 removed).' From gtm.metrics.targets.draft_counts."""
    draft, now = counts["draft_targets"], counts["now_targets"]
    moved = f"({fmt.count(counts['added'])} added, {fmt.count(counts['removed'])} removed)"
    if draft == now:
        if not counts["added"]:
            return (f"The draft makes {fmt.count(draft)} target accounts, the same ones every "
                    "page counts now.")
        return (f"The draft makes {fmt.count(draft)} target accounts, as many as every page "
                f"counts now {moved}.")
    more = "more" if draft > now else "fewer"
    return (f"The draft makes {fmt.count(draft)} target accounts, {fmt.count(abs(draft - now))} "
            f"{more} than the {fmt.count(now)} every page counts now {moved}.")


def tiers_finding(df: pd.DataFrame | None) -> str:
    """The spread of qualified win rate from tier A to tier C (gtm.metrics.targets.
    tier_outcomes); a definition that separates winners reads A above C."""
    a, c = _row(df, "group", "tier A"), _row(df, "group", "tier C")
    if a is None or a["accounts"] == 0:
        return "No account reaches tier A under this definition."
    rate_a = a["qualified_win_rate"]
    if fmt.is_missing(rate_a):
        return (f"Tier A has {fmt.count(a['accounts'])} accounts but no qualified deal closed "
                "in this period.")
    if c is None or fmt.is_missing(c["qualified_win_rate"]):
        return f"Tier A wins {fmt.percent(rate_a)} of qualified deals; tier C closed none."
    rate_c = c["qualified_win_rate"]
    verdict = ("the definition separates winners" if rate_a > rate_c else
               "the definition does not separate winners yet")
    return (f"Tier A wins {fmt.percent(rate_a)} of qualified deals, tier C "
            f"{fmt.percent(rate_c)}: {verdict}.")


def value_label(row, numeric: bool) -> str:
    """A value of the evidence table as shown: 'Software', '200 - 1,200', '(no value)'."""
    if numeric and not fmt.is_missing(row["low"]):
        low, high = row["low"], row["high"]
        return fmt.count(low) if low == high else f"{fmt.count(low)} - {fmt.count(high)}"
    return str(row["value"])


def evidence_finding(df: pd.DataFrame | None, field: str, numeric: bool) -> str:
    """The value whose accounts win qualified deals most often (at least one closed)."""
    if df is None or df.empty:
        return f"No account has a value for {field}."
    closed = df[(df["closed_qualified"] > 0) & ~df["value"].isin(["(no value)", "(other values)"])]
    if closed.empty:
        return f"No qualified deal closed in this period at an account with a {field}."
    enough = closed[closed["closed_qualified"] >= MIN_CLOSED]
    pool, among = (enough, f" (the best of the values with {MIN_CLOSED} or more closed)") \
        if len(enough) else (closed, "")
    best = pool.sort_values(["qualified_win_rate", "accounts"], ascending=False).iloc[0]
    name = value_label(best, numeric)
    return (f"{field} {name}: {fmt.percent(best['qualified_win_rate'])} of "
            f"{fmt.count(best['closed_qualified'])} qualified deals won{among}; "
            f"{fmt.count(best['new_customers'])} new customers from "
            f"{fmt.count(best['accounts'])} accounts.")


MIN_CLOSED = 5  # a win rate from fewer closed deals is an anecdote, not the headline


def compare_finding(result: dict | None, before: str, after: str) -> str:
    """'From v2 to the draft: 6 target accounts instead of 3 (+4 added, -1 removed).'"""
    if not result:
        return "Nothing to compare."
    return (f"From {before} to {after}: {fmt.count(result['after'])} target accounts instead "
            f"of {fmt.count(result['before'])} (+{fmt.count(result['added'])} added, "
            f"-{fmt.count(result['removed'])} removed).")


def definition_status(definition: icp.Definition | None, label: str | None,
                      threshold: float) -> str:
    """What decides the target accounts of every page right now."""
    if definition is None:
        return ("No target definition is active: target accounts are those marked is_target, "
                f"else with a fit_score of {threshold:g} or more (the v1 rule).")
    return (f"Target definition {label} is active: target accounts are "
            f"{definition.targets_text()} under its {len(definition.rules)} rules; target "
            f"people: {definition.persona.text()}.")


# --- warm starts -----------------------------------------------------------------------------


def warm_finding(total: Mapping | pd.Series | None) -> str:
    """The whole view's warm-start rate and warm against cold win rate, from
    gtm.metrics.warm.headline (or the 'all' row of warm.breakdown, which holds the same)."""
    if total is None or not total["opportunities"]:
        return "No new-business opportunity was created in this period."
    starts = (f"{_rate(total['warm_start_rate'])} of {fmt.count(total['opportunities'])} new "
              "opportunities started warm")
    warm, cold = total["warm_win_rate"], total["cold_win_rate"]
    if fmt.is_missing(warm) or fmt.is_missing(cold):
        return f"{starts}; too few closed deals of both kinds to compare win rates."
    times = "" if cold == 0 or warm <= cold else f" ({warm / cold:.1f}x)"
    return f"{starts}; warm starts win {fmt.percent(warm)}, cold {fmt.percent(cold)}{times}."


def warm_segment_finding(df: pd.DataFrame | None, by: str) -> str:
    """Where warm starts are rarest (the group with the lowest warm-start rate)."""
    rows = None if df is None else df.iloc[1:][df.iloc[1:]["opportunities"] > 0]
    if rows is None or rows.empty:
        return f"No new-business opportunity by {by} in this period."
    low = rows.sort_values(["warm_start_rate", "opportunities"], ascending=[True, False]).iloc[0]
    name = channel_name(low[by])
    return (f"{name} starts the fewest deals warm: {_rate(low['warm_start_rate'])} of "
            f"{fmt.count(low['opportunities'])}.")
