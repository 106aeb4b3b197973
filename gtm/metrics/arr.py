"""Net ARR: where recurring revenue came from and where it went, month by month.

metrics.md ("Net ARR") compares each account's `arr` snapshot with the previous
month. A month without a row counts as 0, so the comparison runs on a dense
account x month grid from each account's first snapshot to the ARR as-of month;
that is what turns a gap into churn and its end into reactivation (the loader writes
that grid once, gtm/load/staging.py). Amounts are
summed as DECIMAL cents so the bridge (starting + movements = ending) closes
exactly. Filters (DECISIONS.md "Net ARR"): region, segment and motion through the
account; channel through the account's source channel, the channel of its first
won new-business opportunity. The ARR as-of month is the latest snapshot month in
the dataset on or before the period end (a partial current month without
snapshots would otherwise read as everyone churning).
"""

from __future__ import annotations

import pandas as pd

from gtm.db import query, row, scalar
from gtm.metrics.sql import DIMENSIONS, compose, define

FLOWS = ("new", "reactivation", "expansion", "contraction", "churn")

# Per-account monthly movements come from int_arr_movements (written at load: the dense
# account x month grid and each month's flow do not depend on a filter, gtm/load/staging.py);
# the view keeps the accounts of the filter up to the ARR as-of month of the period end.
# `in_period` marks months whose first day lies in [start, end].
define("arr_as_of", """
    select max(date_trunc('month', month))::date as month
    from arr
    where month <= $period_end""")

define("movements", f"""
    select account_id, month, arr, prev, coalesce(segment, 'unknown') as segment,
        new, reactivation, expansion, contraction, churn,
        month >= $period_start and month <= $period_end as in_period
    from int_arr_movements
    where month <= (select month from arr_as_of)
      and {DIMENSIONS}
      and ($channels is null or list_contains($channels, source_channel))""")

define("retention", """
    select account_id, segment,
        max(arr) filter (where month = (select month from arr_as_of) - interval 12 month) as arr_then,
        max(arr) filter (where month = (select month from arr_as_of)) as arr_now
    from movements
    group by account_id, segment
    having arr_then > 0""")

_SUMS = ", ".join(f"sum({f})::double as {f}" for f in FLOWS)

# Without any ARR snapshot every ARR metric is n/a (NULL), not $0.
HEADLINE_SQL = compose(f"""
with
flows as (
    select {_SUMS}
    from movements
    where in_period
),

flows_or_zero as (
    select coalesce(new, 0) as new, coalesce(reactivation, 0) as reactivation,
        coalesce(expansion, 0) as expansion, coalesce(contraction, 0) as contraction,
        coalesce(churn, 0) as churn
    from flows
    where exists (select 1 from arr)
)

select
    f.new as new_arr,
    f.expansion as expansion_arr,
    f.contraction as contraction_arr,
    f.churn as churned_arr,
    f.reactivation as reactivation_arr,
    f.new + f.reactivation + f.expansion - f.contraction - f.churn as net_new_arr,
    (f.new + f.reactivation + f.expansion) / nullif(f.contraction + f.churn, 0) as quick_ratio
from (select 1) as one
left join flows_or_zero as f on true
""")

RETENTION_SQL = compose("""
select
    sum(coalesce(arr_now, 0))::double / nullif(sum(arr_then), 0)::double as nrr_12m,
    sum(least(coalesce(arr_now, 0), arr_then))::double / nullif(sum(arr_then), 0)::double
        as grr_12m
from retention
""")


def has_arr(con) -> bool:
    """False when the dataset has no ARR snapshots at all (then every ARR metric is n/a)."""
    return bool(scalar(con, "select count(*) from arr"))


def flows(con, p: dict) -> dict:
    """new_arr, expansion_arr, contraction_arr, churned_arr, reactivation_arr,
    net_new_arr and quick_ratio of the period's months (None without ARR data)."""
    return row(con, HEADLINE_SQL, p)


def retention(con, p: dict) -> dict:
    """NRR and GRR over 12 months to the ARR as-of month (None without a base)."""
    return row(con, RETENTION_SQL, p)


def headline(con, p: dict) -> dict:
    """The Net ARR headline metrics (ids of gtm.metrics.registry)."""
    f = flows(con, p)
    order = ("new_arr", "expansion_arr", "contraction_arr", "churned_arr", "reactivation_arr",
             "net_new_arr")
    return {**{k: f[k] for k in order}, **retention(con, p), "quick_ratio": f["quick_ratio"]}


define("period_months", """
    select g.month::date as month
    from unnest(generate_series(
        (case when day($period_start) = 1 then $period_start
              else date_trunc('month', $period_start) + interval 1 month end)::timestamp,
        least(date_trunc('month', $period_end), (select month from arr_as_of))::timestamp,
        interval 1 month)) as g(month)""")

define("arr_by_month", """
    select pm.month,
        coalesce(sum(m.prev), 0) as starting_arr,
        coalesce(sum(m.new), 0) as new,
        coalesce(sum(m.reactivation), 0) as reactivation,
        coalesce(sum(m.expansion), 0) as expansion,
        coalesce(sum(m.contraction), 0) as contraction,
        coalesce(sum(m.churn), 0) as churn,
        coalesce(sum(m.arr), 0) as ending_arr,
        count(*) filter (where m.arr > 0) as customers
    from period_months as pm
    left join movements as m on m.month = pm.month
    group by pm.month""")

BRIDGE_SQL = compose("""
with
bridge as (
    select date_trunc($grain, month)::date as period,
        arg_min(starting_arr, month) as starting_arr,
        sum(new) as new, sum(reactivation) as reactivation, sum(expansion) as expansion,
        sum(contraction) as contraction, sum(churn) as churn,
        arg_max(ending_arr, month) as ending_arr
    from arr_by_month
    group by 1
)

select period,
    starting_arr::double as starting_arr, new::double as new,
    reactivation::double as reactivation, expansion::double as expansion,
    contraction::double as contraction, churn::double as churn,
    ending_arr::double as ending_arr
from bridge
order by period
""")


def bridge(con, p: dict, grain: str = "month") -> pd.DataFrame:
    """The ARR bridge per month or quarter of the period (ending = starting + movements)."""
    if grain not in ("month", "quarter"):
        raise ValueError(f"grain must be 'month' or 'quarter', not {grain!r}")
    if not has_arr(con):
        return _empty(["period", "starting_arr", *FLOWS, "ending_arr"]).assign(label="")
    df = query(con, BRIDGE_SQL, {**p, "grain": grain})
    df["label"] = [_label(d, grain) for d in df["period"]]
    return df


def period_bridge(bridge_df: pd.DataFrame) -> dict | None:
    """One bridge for the whole period from bridge() rows: the first row's starting ARR,
    the movements summed, the last row's ending ARR (None without any row)."""
    if bridge_df.empty:
        return None
    rows = bridge_df.sort_values("period")
    return {"starting_arr": float(rows["starting_arr"].iloc[0]),
            **{f: float(rows[f].sum()) for f in FLOWS},
            "ending_arr": float(rows["ending_arr"].iloc[-1])}


def _label(d, grain: str) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}" if grain == "quarter" else f"{d:%Y-%m}"


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})


TOTAL_SQL = compose("""
select month, ending_arr::double as arr, customers
from arr_by_month
order by month
""")


def total_by_month(con, p: dict) -> pd.DataFrame:
    """Total ARR and paying customers at each month of the period."""
    if not has_arr(con):
        return _empty(["month", "arr", "customers"])
    return query(con, TOTAL_SQL, p)


BY_SEGMENT_SQL = compose(f"""
with
seg_flows as (
    select segment, {_SUMS}
    from movements
    where in_period
    group by segment
),

seg_retention as (
    select segment,
        sum(coalesce(arr_now, 0))::double / nullif(sum(arr_then), 0)::double as nrr_12m,
        sum(least(coalesce(arr_now, 0), arr_then))::double / nullif(sum(arr_then), 0)::double
            as grr_12m
    from retention
    group by segment
)

select coalesce(f.segment, r.segment) as segment,
    coalesce(f.new, 0) as new, coalesce(f.reactivation, 0) as reactivation,
    coalesce(f.expansion, 0) as expansion, coalesce(f.contraction, 0) as contraction,
    coalesce(f.churn, 0) as churn,
    coalesce(f.new + f.reactivation + f.expansion - f.contraction - f.churn, 0) as net_new_arr,
    r.nrr_12m, r.grr_12m
from seg_flows as f
full join seg_retention as r on r.segment = f.segment
order by segment
""")


def by_segment(con, p: dict) -> pd.DataFrame:
    """Net ARR movements of the period and 12-month NRR/GRR per account segment."""
    cols = ["segment", *FLOWS, "net_new_arr", "nrr_12m", "grr_12m"]
    if not has_arr(con):
        return _empty(cols)
    df = query(con, BY_SEGMENT_SQL, p)
    return df.astype({c: "float64" for c in cols[1:]})
