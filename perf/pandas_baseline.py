"""The baseline the benchmark compares with: a hand-built pandas dashboard.

A typical home-made GTM dashboard reads the CRM export with `pandas.read_csv` on
every refresh and computes its headline numbers with boolean masks and groupbys.
This module does exactly that, on purpose without tricks (whole files, default
parser), for a representative subset of the same year's headline metrics, so the
benchmark can say how much faster `gtm.metrics.compute` over the loaded DuckDB
dataset is, and check that both agree where the definitions coincide.

Simplifications a hand-built dashboard makes, and this baseline copies (so the
benchmark only compares the metrics whose definitions coincide; DECISIONS.md
"Benchmark"): the qualified date is the extract's `qualified_date` column only
(no derivation from stage history), and no filter is applied (all regions,
segments, channels, motions). Run as `python -m perf.pandas_baseline SRC START END`
to get a JSON line with values, timings and the process's peak memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import pandas as pd

# Tables the baseline reads, with the date columns to parse.
DATES = {
    "accounts": [],
    "people": ["created_date", "mql_date"],
    "opportunities": ["created_date", "close_date", "qualified_date"],
    "opportunity_contacts": [],
    "spend": ["month"],
    "arr": ["month"],
    "signups": ["signup_date"],
    "touches": ["touch_date"],
}
ICP_THRESHOLD = 70.0  # gtm.filters.Settings().icp_threshold

# The metric ids the baseline computes (ids of gtm.metrics.registry).
METRIC_IDS = (
    "leads", "mqls", "qualified_opportunities", "qualified_pipeline", "signups",
    "marketing_spend", "sales_spend", "cpl", "cost_per_mql", "new_customers", "cac",
    "net_new_arr", "target_account_penetration",
)


def read_extract(source_dir: Path) -> dict[str, pd.DataFrame]:
    """Every table of DATES that exists in source_dir as <table>.csv, read whole."""
    frames = {}
    for table, dates in DATES.items():
        path = Path(source_dir) / f"{table}.csv"
        if path.exists():
            frames[table] = pd.read_csv(path, parse_dates=dates)
    return frames


def _bool(series: pd.Series) -> pd.Series:
    """true/yes/1 as True (what the contract accepts), anything else False."""
    return series.astype("string").str.strip().str.lower().isin(["true", "yes", "1"])


def _between(series: pd.Series, start, end) -> pd.Series:
    return (series >= start) & (series <= end)


def _ratio(numerator, denominator):
    return None if not denominator else numerator / denominator


def _empty(frames: dict, table: str, columns: list[str]) -> pd.DataFrame:
    return frames.get(table, pd.DataFrame(columns=columns))


def funnel(frames: dict, start, end) -> dict:
    """leads, mqls, qualified opportunities / pipeline (supplied qualified_date), signups."""
    people, opps = frames["people"], frames["opportunities"]
    nb = opps[opps["type"].fillna("new_business") == "new_business"]
    qualified = nb[_between(nb["qualified_date"], start, end)]
    signups = _empty(frames, "signups", ["signup_date"])
    return {
        "leads": int(_between(people["created_date"], start, end).sum()),
        "mqls": int(_between(people["mql_date"], start, end).sum()),
        "qualified_opportunities": len(qualified),
        "qualified_pipeline": float(qualified["amount"].fillna(0).sum()),
        "signups": int(_between(signups["signup_date"], start, end).sum()),
    }


def new_customers(opps: pd.DataFrame, start, end) -> int:
    """Accounts whose first won new-business opportunity closed in period."""
    won = opps[_bool(opps["is_won"]) & opps["close_date"].notna()
               & (opps["type"].fillna("new_business") == "new_business")]
    first = won.sort_values(["close_date", "opportunity_id"]).drop_duplicates("account_id")
    return int(_between(first["close_date"], start, end).sum())


def cost(frames: dict, start, end, values: dict) -> dict:
    """Spend by function in the period's months, CPL, cost per MQL, new customers, CAC."""
    spend = _empty(frames, "spend", ["month", "function", "amount"])
    months = spend["month"].dt.to_period("M").dt.to_timestamp()
    in_period = spend[(months >= pd.Timestamp(start).to_period("M").to_timestamp())
                      & (months <= end)]
    by_function = in_period.groupby("function")["amount"].sum()
    marketing = float(by_function.get("marketing", 0.0))
    sales = float(by_function.get("sales", 0.0))
    customers = new_customers(frames["opportunities"], start, end)
    return {
        "marketing_spend": marketing,
        "sales_spend": sales,
        "cpl": _ratio(marketing, values["leads"]),
        "cost_per_mql": _ratio(marketing, values["mqls"]),
        "new_customers": customers,
        "cac": _ratio(marketing + sales, customers),
    }


def net_new_arr(frames: dict, start, end) -> float | None:
    """Sum over the period's months of each account's ARR minus its previous month's
    (missing months are 0), on an account x month table up to the ARR as-of month."""
    arr = frames.get("arr")
    if arr is None or arr.empty:
        return None
    arr = arr.assign(month=arr["month"].dt.to_period("M").dt.to_timestamp())
    arr = arr[arr["month"] <= end]
    wide = arr.pivot_table(index="account_id", columns="month", values="arr", aggfunc="sum")
    wide = wide.reindex(columns=pd.date_range(wide.columns.min(), wide.columns.max(), freq="MS"))
    wide = wide.fillna(0.0)
    change = wide - wide.shift(1, axis=1, fill_value=0.0)
    in_period = (change.columns >= start) & (change.columns <= end)
    return float(change.loc[:, in_period].to_numpy().sum())


def _targets(accounts: pd.DataFrame) -> pd.Series:
    """is_target where given, else fit_score >= the ICP threshold (DECISIONS.md)."""
    given = accounts["is_target"].notna() & (accounts["is_target"].astype("string") != "")
    by_score = accounts.get("fit_score", pd.Series(index=accounts.index, dtype=float))
    target = _bool(accounts["is_target"]).where(given, by_score >= ICP_THRESHOLD)
    return accounts.loc[target.fillna(False).astype(bool), "account_id"]


def penetration(frames: dict, start, end) -> float | None:
    """Target accounts with a person touched in period, or a contact on an
    opportunity open during the period / all target accounts."""
    if "accounts" not in frames:
        return None
    targets = set(_targets(frames["accounts"]))
    touches = _empty(frames, "touches", ["person_id", "touch_date"])
    day = touches["touch_date"].dt.normalize()
    touched = touches.loc[_between(day, start, end), "person_id"].unique()
    people = frames["people"]
    engaged = set(people.loc[people["person_id"].isin(touched), "account_id"].dropna())
    opps = frames["opportunities"]
    open_in_period = opps[(opps["created_date"] <= end)
                          & (~_bool(opps["is_closed"]) | (opps["close_date"] >= start))]
    contacts = _empty(frames, "opportunity_contacts", ["opportunity_id"])
    with_contacts = open_in_period["opportunity_id"].isin(contacts["opportunity_id"])
    engaged |= set(open_in_period.loc[with_contacts, "account_id"].dropna())
    return _ratio(len(targets & engaged), len(targets))


def headline(frames: dict, start, end) -> dict:
    """METRIC_IDS -> value for the period [start, end] (inclusive dates)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    values = funnel(frames, start, end)
    values.update(cost(frames, start, end, values))
    values["net_new_arr"] = net_new_arr(frames, start, end)
    values["target_account_penetration"] = penetration(frames, start, end)
    return {mid: values[mid] for mid in METRIC_IDS}


def measure(source_dir: Path, start, end) -> dict:
    """Read the extract and compute the headline: values and seconds spent on each."""
    t0 = time.perf_counter()
    frames = read_extract(source_dir)
    t1 = time.perf_counter()
    values = headline(frames, start, end)
    t2 = time.perf_counter()
    return {"values": values, "read_s": t1 - t0, "compute_s": t2 - t1, "total_s": t2 - t0}


def main(argv: list[str] | None = None) -> None:
    """SRC START END -> one JSON line (values, timings, peak RSS in MB) on stdout."""
    src, start, end = argv or sys.argv[1:]
    result = measure(Path(src), start, end)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
