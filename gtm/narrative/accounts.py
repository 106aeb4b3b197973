"""What the Buying groups, Net ARR and Target market pages say: each chart's title states
its finding, computed here from what gtm.metrics returns.

An executive reads the title, not the axis, so the sentence is domain logic and lives
here, tested on small hand-made frames, not in the page. Also here: the few reshapes
those charts need (a trailing chart window, demand shares), so pages stay arithmetic-free.
All functions are pure: frames and dicts in, strings and frames out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from gtm import fmt
from gtm.filters import Filter

BUCKET_LABELS = {"0": "no contacts", "1": "a single contact", "2-3": "2-3 contacts",
                 "4-6": "4-6 contacts", "7+": "7+ contacts"}
FLOW_LABELS = {"new": "New", "reactivation": "Reactivation", "expansion": "Expansion",
               "contraction": "Contraction", "churn": "Churn"}
DEMAND_LABELS = {"create": "Demand creation", "harvest": "Demand harvest",
                 "unassigned": "Unassigned"}
DEMAND_MEASURES = {"spend": "Spend", "leads": "Leads", "qualified_pipeline": "Qualified pipeline",
                   "new_customers": "New customers"}


def label(name: str) -> str:
    """economic_buyer -> Economic buyer; paid_search -> Paid search."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x".replace(".0x", "x")


def _closed(df: pd.DataFrame) -> pd.DataFrame:
    return df[(df["closed"] > 0) & df["win_rate"].notna()]


# --- trailing chart window ---------------------------------------------------------------
def trailing_filter(flt: Filter, periods: int, grain: str = "month") -> Filter:
    """flt widened back to `periods` whole months or quarters ending with flt.end's one."""
    step = 3 if grain == "quarter" else 1
    index = flt.end.year * 12 + flt.end.month - 1
    index -= index % step  # the quarter's first month
    index -= (periods - 1) * step
    return replace(flt, start=date(index // 12, index % 12 + 1, 1))


# --- Buying groups ----------------------------------------------------------------------
def threading_finding(df: pd.DataFrame) -> str:
    """Win rate of the most-threaded bucket with closed deals against single-threaded deals."""
    closed = _closed(df)
    if closed.empty:
        return "No closed new-business deals in this period to compare threading"
    rates = dict(zip(closed["bucket"], closed["win_rate"], strict=True))
    top = [b for b in ("7+", "4-6", "2-3") if b in rates]
    if "1" not in rates or not top:
        best = max(rates, key=rates.get)
        return f"Deals with {BUCKET_LABELS[best]} win most often: {fmt.percent(rates[best])}"
    high, single = rates[top[0]], rates["1"]
    what = f"Deals with {BUCKET_LABELS[top[0]]}"
    if single == 0:
        return f"{what} win {fmt.percent(high)}; single-threaded deals never won"
    if high <= single:
        return (f"More contacts did not lift the win rate: {fmt.percent(high)} with "
                f"{BUCKET_LABELS[top[0]]} vs {fmt.percent(single)} single-threaded")
    return (f"{what} win {_times(high / single)} as often as single-threaded deals "
            f"({fmt.percent(high)} vs {fmt.percent(single)})")


def cycle_finding(df: pd.DataFrame) -> str:
    """Median qualified-to-won days of the most-threaded bucket against the least."""
    won = df[df["median_cycle_days"].notna()]
    if won.empty:
        return "No won new-business deals in this period to time"
    first, last = won.iloc[0], won.iloc[-1]
    if len(won) == 1:
        return f"Won deals with {BUCKET_LABELS[first['bucket']]} closed in " \
               f"{fmt.days(first['median_cycle_days'])}"
    verb = "take longer" if last["median_cycle_days"] > first["median_cycle_days"] else "close no slower"
    return (f"Deals with {BUCKET_LABELS[last['bucket']]} {verb}: "
            f"{fmt.days(last['median_cycle_days'])} vs {fmt.days(first['median_cycle_days'])} "
            f"with {BUCKET_LABELS[first['bucket']]}")


def heatmap_finding(df: pd.DataFrame, roles: list[str] | tuple[str, ...]) -> str:
    """The required role missing from most target accounts with open deals."""
    if df.empty or not roles:
        return "No target account had an open deal at the period end"
    missing = {role: int((df[role] == 0).sum()) for role in roles}
    worst = max(roles, key=lambda r: missing[r])
    if missing[worst] == 0:
        return f"Every required role is engaged at all {len(df)} target accounts with open deals"
    return (f"{label(worst)} is the gap: not engaged at {missing[worst]} of {len(df)} "
            "target accounts with open deals")


def single_threaded_finding(total: dict) -> str:
    """The open pipeline that hangs on one contact (or none)."""
    count, amount = total["single_threaded_open_count"], total["single_threaded_open_amount"]
    if count == 0:
        return "No open deal hangs on a single contact"
    deals = "deal" if count == 1 else "deals"
    return f"{fmt.money(amount)} of open pipeline ({count} {deals}) hangs on one contact or none"


# --- Net ARR ----------------------------------------------------------------------------
def waterfall_steps(bridge: dict) -> pd.DataFrame:
    """Rows of the ARR waterfall: label, value (losses negative), measure for go.Waterfall."""
    rows = [("Starting ARR", bridge["starting_arr"], "absolute")]
    for flow in ("new", "reactivation", "expansion"):
        rows.append((FLOW_LABELS[flow], bridge[flow], "relative"))
    for flow in ("contraction", "churn"):
        rows.append((FLOW_LABELS[flow], -bridge[flow], "relative"))
    rows.append(("Ending ARR", bridge["ending_arr"], "total"))
    return pd.DataFrame(rows, columns=["step", "value", "measure"])


def bridge_finding(bridge: dict | None) -> str:
    """Start to end of the period and what drove it (expansion against losses)."""
    if bridge is None:
        return "No ARR snapshots in this period"
    gains = bridge["new"] + bridge["reactivation"] + bridge["expansion"]
    losses = bridge["contraction"] + bridge["churn"]
    net = gains - losses
    start, end = fmt.money(bridge["starting_arr"]), fmt.money(bridge["ending_arr"])
    if gains == 0 and losses == 0:
        return f"ARR held at {end}: no movement in this period"
    move = f"ARR grew from {start} to {end}" if net > 0 else (
        f"ARR shrank from {start} to {end}" if net < 0 else f"ARR held at {end}")
    if net <= 0:
        return f"{move}: churn and contraction ({fmt.money(losses)}) outweighed gains"
    if bridge["expansion"] > losses:
        return f"{move}: expansion alone outran churn and contraction ({fmt.money(losses)})"
    return (f"{move}: new business carried it; churn and contraction ({fmt.money(losses)}) "
            f"outweighed expansion ({fmt.money(bridge['expansion'])})")


def movements_finding(df: pd.DataFrame, grain: str = "month") -> str:
    """How many periods grew ARR, and the biggest loss period."""
    if df.empty:
        return "No ARR snapshots in this window"
    net = df["new"] + df["reactivation"] + df["expansion"] - df["contraction"] - df["churn"]
    losses = df["contraction"] + df["churn"]
    unit = "quarters" if grain == "quarter" else "months"
    text = f"Net new ARR was positive in {int((net > 0).sum())} of {len(df)} {unit}"
    if losses.max() > 0:
        worst = df.loc[losses.idxmax()]
        text += f"; losses peaked at {fmt.money(losses.max())} in {worst['label']}"
    return text


def segment_finding(df: pd.DataFrame) -> str:
    """Best and worst 12-month NRR by segment."""
    rated = df[df["nrr_12m"].notna()].sort_values("nrr_12m", ascending=False)
    if rated.empty:
        return "No account had ARR 12 months ago: NRR by segment is n/a"
    best = rated.iloc[0]
    if len(rated) == 1:
        return (f"{best['segment']}: NRR {fmt.percent(best['nrr_12m'])}, "
                f"GRR {fmt.percent(best['grr_12m'])}")
    worst = rated.iloc[-1]
    return (f"{best['segment']} grows its base most (NRR {fmt.percent(best['nrr_12m'])}); "
            f"{worst['segment']} least ({fmt.percent(worst['nrr_12m'])})")


# --- Target market ----------------------------------------------------------------------
def penetration_finding(df: pd.DataFrame) -> str:
    """First to last month of target-account penetration."""
    if df.empty or not df["target_accounts"].iloc[0]:
        return "No target accounts in this view: mark accounts is_target or give a fit_score"
    first, last = df["penetration"].iloc[0], df["penetration"].iloc[-1]
    of = f"of {int(df['target_accounts'].iloc[-1])} target accounts"
    if len(df) == 1 or round(first, 3) == round(last, 3):
        return f"{fmt.percent(last)} {of} engaged each month"
    verb = "rose" if last > first else "fell"
    return (f"Monthly reach {verb} from {fmt.percent(first)} to {fmt.percent(last)} {of} "
            f"over {len(df)} months")


def reach_finding(df: pd.DataFrame) -> str:
    """Cheapest and dearest channel per target account reached; spend that reached none."""
    priced = df[df["cost_per_target_account_reached"].notna()].sort_values(
        "cost_per_target_account_reached")
    none = df[df["cost_per_target_account_reached"].isna() & (df["marketing_spend"] > 0)
              & (df["channel"] != "unknown")]
    if priced.empty:
        return "No channel touched a target account in this period"
    low = priced.iloc[0]
    text = f"{label(low['channel'])} reaches a target account for " \
           f"{fmt.money(low['cost_per_target_account_reached'])}"
    if len(priced) > 1:
        high = priced.iloc[-1]
        text += f"; {label(high['channel']).lower()} for " \
                f"{fmt.money(high['cost_per_target_account_reached'])}"
    if not none.empty:
        names = [label(c).lower() for c in none["channel"]]
        text += f"; {_join(names)} reached none"
    return text


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def demand_mix(df: pd.DataFrame) -> pd.DataFrame:
    """Long frame for the side-by-side chart: each measure's share by demand type
    (demand types with nothing in any measure are left out)."""
    rows = []
    measures = list(DEMAND_MEASURES)
    df = df[df[measures].ne(0).any(axis=1)]  # a demand type with nothing at all is left out
    for column, measure in DEMAND_MEASURES.items():
        total = float(df[column].sum())
        for demand_type, value in zip(df["demand_type"], df[column], strict=True):
            share = float(value) / total if total else None
            rows.append((DEMAND_LABELS.get(demand_type, label(demand_type)), measure,
                         float(value), share))
    return pd.DataFrame(rows, columns=["demand_type", "measure", "value", "share"])


def demand_finding(df: pd.DataFrame) -> str:
    """Demand creation's share of spend against its share of pipeline and customers."""
    mix = demand_mix(df)
    create = mix[mix["demand_type"] == DEMAND_LABELS["create"]].set_index("measure")["share"]
    if create.isna().all():
        return "No spend, leads, pipeline or new customers in this period"
    return (f"Demand creation: {fmt.percent(create.get('Spend'))} of spend, "
            f"{fmt.percent(create.get('Qualified pipeline'))} of qualified pipeline, "
            f"{fmt.percent(create.get('New customers'))} of new customers")
