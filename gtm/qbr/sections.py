"""One slide per page of the app: its headline tiles and its one or two most telling charts,
each titled by the finding sentence the page gives that chart.

Every function reads a gtm.qbr.build.Context (`ctx.run(fn)` is the page's breakdown for this
view, `ctx.tiles(ids)` the page's KPI tiles) and returns a Slide. A page whose tables are
missing returns the page's own "Add X to see ..." slide. Chart data are the breakdown's rows
as the page draws them (same sort, same labels); nothing is recomputed here.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from gtm import fmt, pages
from gtm.metrics import arr, cost, funnel, groups, market, targets, velocity
from gtm.metrics.growth_inputs import historical
from gtm.narrative import accounts as fa
from gtm.narrative import findings
from gtm.narrative import funnel as find
from gtm.narrative import targets as target_find
from gtm.plan import growth
from gtm.qbr.model import (
    ACCENT,
    GAIN_GREEN,
    LIGHT_BLUE,
    LOSS_RED,
    MQL_GREY,
    PIPELINE_BLUE,
    Chart,
    Series,
    Slide,
    Tile,
)

MAX_CATEGORIES = 8  # a slide's bar chart stays legible; the note says what was left out
TREND_MONTHS = 12  # the target-market trend, like its page

MQL_KPIS = ("leads", "mqls", "mql_to_customer_rate", "qualified_opportunities",
            "qualified_pipeline", "qualified_win_rate")
COST_KPIS = ("cpl", "cost_per_mql", "cost_per_qualified_opportunity", "cac",
             "cac_payback_months", "magic_number", "ltv_to_cac")
GROUP_KPIS = ("avg_group_coverage", "avg_role_coverage", "target_account_penetration")
ARR_KPIS = ("net_new_arr", "new_arr", "expansion_arr", "reactivation_arr", "contraction_arr",
            "churned_arr", "nrr_12m", "grr_12m")
VELOCITY_KPIS = ("stage0_days_median", "stage0_days_p75", "sales_cycle_days_median",
                 "sales_velocity_per_day", "time_to_no_days_median", "stale_pipeline_amount")
TARGET_KPIS = ("target_people", "engaged_targets", "engaged_target_accounts", "mql_noise_share")
MARKET_KPIS = ("target_account_penetration", "cost_per_target_account_reached")

# Numbers the charts show that are not registry metrics: defined as the spec defines them.
DEFINITIONS = {
    "Share of MQLs / of qualified pipeline": "A channel's MQLs (or qualified pipeline) in "
    "period / all MQLs (or qualified pipeline) in period.",
    "Marketing CAC by channel": "Channel marketing spend / new customers whose first won "
    "opportunity's channel is that channel.",
    "Win rate by threading": "Closed new-business opportunities bucketed by the number of "
    "distinct contacts on the deal (1, 2-3, 4-6, 7+): won / closed per bucket.",
    "Sales cycle by threading": "Median days from qualified_date to close_date of the won "
    "new-business opportunities of each threading bucket.",
    "Pipeline movement": "New-business pipeline open at the period start, plus created (or "
    "qualified) in period, less won and lost in period, gives the pipeline open at the end "
    "(amount and deals).",
    "Starting / ending ARR": "ARR of every account in the month before the period and in its "
    "last month; the bridge between them is new + reactivation + expansion - contraction - "
    "churn.",
    "Monthly penetration": "Target accounts with an engaged person in the calendar month / "
    "all target accounts.",
    "Demand creation vs demand harvest": "Spend, leads, qualified pipeline and new customers "
    "grouped by the campaign's or channel's demand_type, each as a share of the period's "
    "total.",
    "MQLs and engaged targets by month": "MQLs with mql_date in the month beside the target "
    "people (people of target accounts who match the target persona) engaged in it: a touch "
    "in the month or on a deal created in it.",
    "Target accounts": "Accounts at or above the target tier of the active target definition; "
    "without one, accounts marked is_target (or with fit_score at or above the ICP threshold), "
    "in the current filter.",
    "Signups / activated signups by month": "Signups with signup_date in the month; activated: "
    "with activated_date within the activation window of signup_date.",
}

# What each page needs before it can say anything, and how its "Add X to see ..." reads.
NEEDS = {
    "cac-vs-cpl": (("spend",), "cost per lead, CAC and payback"),
    "growth": (("opportunities",), "the growth equation"),
    "net-arr": (("arr",), "Net ARR"),
    "velocity": (("opportunities",), "velocity and fail-fast"),
    "target-market": (("accounts",), "the target market"),
    "targets": (("accounts",), "targets instead of MQLs"),
}


def slide(ctx, page: pages.PageSpec, finding: str) -> Slide:
    """The slide of one page (or its "Add X to see ..." slide)."""
    key = page.url_path
    missing = _missing(ctx, key)
    if missing is not None:
        return Slide("missing", page.title, key, finding=missing)
    built = BUILDERS[key](ctx, page, finding)
    empty = [c for c in built.charts if _empty(c)]  # e.g. no closed deal: say so
    if not empty:
        return built
    return replace(built, charts=tuple(c for c in built.charts if not _empty(c)),
                   lines=built.lines + tuple(c.title + "." for c in empty))


def _empty(chart: Chart) -> bool:
    """Nothing to draw: no category, or every value missing or zero."""
    return not any(v for s in chart.series for v in s.values if v is not None)


def _missing(ctx, key: str) -> str | None:
    if key == "buying-groups":  # touches or opportunity contacts, either will do
        if ctx.provided.get("touches") or ctx.provided.get("opportunity_contacts"):
            return None
        return pages.need_text(ctx.missing(("touches", "opportunity_contacts")),
                               "buying groups")
    tables, what = NEEDS.get(key, ((), ""))
    missing = ctx.missing(tables)
    return pages.need_text(missing, what) if missing else None


def _terms(ctx, *labels: str) -> None:
    for label in labels:
        ctx.term(label, DEFINITIONS[label])


def _top(df: pd.DataFrame, size: pd.Series, n: int = MAX_CATEGORIES) -> tuple[pd.DataFrame, str]:
    """The n rows of largest size (kept in the frame's order) and a note of what was cut."""
    if len(df) <= n:
        return df, ""
    keep = size.fillna(0).abs().nlargest(n).index
    return df.loc[df.index.isin(keep)], f"The {n} largest of {len(df)} shown."


def _labels(values, formatter) -> tuple[str, ...]:
    return tuple(formatter(v) for v in values)


def _values(column) -> tuple[float | None, ...]:
    return tuple(None if fmt.is_missing(v) else float(v) for v in column)


# --- MQLs vs pipeline -----------------------------------------------------------------------


def mql_vs_pipeline(ctx, page, finding: str) -> Slide:
    has_signups = bool(ctx.provided.get("signups"))
    tiles = ctx.tiles(MQL_KPIS + (("activation_rate",) if has_signups else ()))
    by_channel = ctx.run(funnel.by_channel)
    charts = [_lens_by_channel(ctx, by_channel)]
    if has_signups:
        charts.append(_activation(ctx, ctx.run(funnel.by_month)))
    return Slide("page", page.title, page.url_path, finding, tiles, tuple(charts))


def _lens_by_channel(ctx, df: pd.DataFrame) -> Chart:
    _terms(ctx, "Share of MQLs / of qualified pipeline")
    shown, note = _top(df, df[["mql_share", "pipeline_share"]].max(axis=1))
    shown = shown.sort_values("pipeline_share", ascending=False)
    mql, pipe = _values(shown["mql_share"]), _values(shown["pipeline_share"])
    return Chart("funnel.by_channel", find.lens_by_channel(df), "bar",
                 tuple(find.label(c) for c in shown["channel"]),
                 (Series("Share of MQLs", mql, MQL_GREY),
                  Series("Share of qualified pipeline", pipe, PIPELINE_BLUE)),
                 "share", (_labels(mql, find.share), _labels(pipe, find.share)), note=note)


def _activation(ctx, df: pd.DataFrame) -> Chart:
    _terms(ctx, "Signups / activated signups by month")
    days = ctx.settings.activation_days
    signups, active = _values(df["signups"]), _values(df["activated_signups"])
    return Chart("funnel.by_month", find.activation(df, days), "column",
                 tuple(find.month(m) for m in df["month"]),
                 (Series("Signups", signups, MQL_GREY),
                  Series(f"Activated within {days} days", active, PIPELINE_BLUE)),
                 "count", (_labels(signups, fmt.count), _labels(active, fmt.count)))


# --- CAC vs CPL --------------------------------------------------------------------------------

LADDER = (("cpl", "Lead", MQL_GREY), ("cost_per_mql", "MQL", MQL_GREY),
          ("cost_per_qualified_opportunity", "Qualified opportunity", PIPELINE_BLUE),
          ("cac", "New customer (CAC)", PIPELINE_BLUE))


def cac_vs_cpl(ctx, page, finding: str) -> Slide:
    tiles = ctx.tiles(COST_KPIS)
    values = tuple(ctx.now.get(mid) for mid, _, _ in LADDER)
    ladder = Chart("cost.ladder", find.cost_ladder(ctx.now), "column",
                   tuple(name for _, name, _ in LADDER),
                   (Series("Blended cost per unit", values, PIPELINE_BLUE,
                           tuple(c for _, _, c in LADDER)),),
                   "usd", (_labels(values, fmt.money),))
    return Slide("page", page.title, page.url_path, finding, tiles,
                 (ladder, _cost_by_channel(ctx, ctx.run(cost.by_channel))))


def _cost_by_channel(ctx, df: pd.DataFrame) -> Chart:
    _terms(ctx, "Marketing CAC by channel")
    rows = df[~df["channel"].isin(["Blended", "unallocated"]) & df["cpl"].notna()]
    rows, note = _top(rows, rows["marketing_spend"])
    rows = rows.sort_values(["cpl", "channel"])
    cpl, cac = _values(rows["cpl"]), _values(rows["marketing_cac"])
    no_cac = [find.label(c) for c, v in zip(rows["channel"], cac, strict=True) if v is None]
    if no_cac:
        note = (note + " " if note else "") + ("Marketing CAC n/a (no new customer): "
                                               + ", ".join(no_cac) + ".")
    return Chart("cost.by_channel", find.cheap_leads(df), "bar",
                 tuple(find.label(c) for c in rows["channel"]),
                 (Series("Cost per lead", cpl, MQL_GREY),
                  Series("Marketing CAC", cac, PIPELINE_BLUE)),
                 "usd", (_labels(cpl, fmt.money), _labels(cac, fmt.money)), note=note)


# --- Buying groups --------------------------------------------------------------------------------


def buying_groups(ctx, page, finding: str) -> Slide:
    df = ctx.run(groups.threading)
    shown = df[df["closed"] > 0]
    names = tuple(fa.BUCKET_LABELS[b].replace("a single contact", "1 contact")
                  for b in shown["bucket"])
    _terms(ctx, "Win rate by threading", "Sales cycle by threading")
    rates, days = _values(shown["win_rate"]), _values(shown["median_cycle_days"])
    win = Chart("groups.threading", fa.threading_finding(df), "column", names,
                (Series("Win rate (won / closed)", rates, PIPELINE_BLUE),), "share",
                (tuple(f"{fmt.percent(r)} · {int(w)} of {int(c)}" for r, w, c in
                       zip(rates, shown["won"], shown["closed"], strict=True)),))
    cycle = Chart("groups.threading.cycle", fa.cycle_finding(df), "column", names,
                  (Series("Median days, qualified to won", days, MQL_GREY),), "days",
                  (_labels(days, fmt.days),))
    return Slide("page", page.title, page.url_path, finding, ctx.tiles(GROUP_KPIS),
                 (win, cycle))


# --- Growth equation --------------------------------------------------------------------------------


def growth_plan(ctx, page, finding: str) -> Slide:
    """The plan of the link's sliders (each starts at its historical value, as on the page),
    its numbers, the market check and the funnel chart titled by the plan's finding."""
    hist = ctx.run(historical)
    specs = growth.sliders(hist)
    solve_for = _solve_for(ctx.view.param(growth.SOLVE_KEY))
    shown = {n: s for n, s in specs.items()
             if n != ("revenue_goal" if solve_for == "revenue_goal" else "budget")}
    given = {n: _link_value(s, ctx.view.param(s.key)) for n, s in shown.items()}
    values = {n: s.default if given[n] is None else given[n] for n, s in shown.items()}
    plan = growth.solve(growth.plan_inputs(specs, values, int(hist["group_size"]), solve_for),
                        solve_for)
    for name in (*growth.SOLVE_FOR, *shown, "excess_ratio", "people_needed"):
        ctx.term(growth.label(name), _plan_definition(name))
    tiles = tuple(Tile(growth.label(n), growth.format_field(n, plan.value(n)), plan.value(n),
                       note="solved" if n == solve_for else "")
                  for n in (*growth.SOLVE_FOR, "excess_ratio"))
    dropped = [s for n, s in shown.items()
               if ctx.view.param(s.key) is not None and given[n] is None]
    ignored = tuple(f"Ignored {s.key}={ctx.view.param(s.key)} from the link: outside the "
                    f"slider's {_shown(s, s.low)} to {_shown(s, s.high)}, so it starts at its "
                    "historical value." for s in dropped)
    lines = tuple(_slider_line(s, values[n]) for n, s in shown.items()) + ignored
    # the slide says what this plan takes (the Overview's line is the page's opening plan);
    # its chart, the market check
    return Slide("growth", page.title, page.url_path, findings.growth(plan), tiles,
                 (_plan_chart(plan),), lines)


def _solve_for(raw: str | None) -> str:
    by_label = {growth.FIELD_LABELS[n]: n for n in growth.SOLVE_FOR}
    if raw in growth.SOLVE_FOR:
        return raw
    return by_label.get(raw, growth.DEFAULT_SOLVE_FOR)


def _link_value(spec: growth.Slider, raw: str | None) -> float | None:
    """The link's value when the page would take it (a number in the slider's range), else
    None (the slider then starts at its default, the historical value rounded to its step)."""
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None
    if value is None or not math.isfinite(value) or not spec.low <= value <= spec.high:
        return None
    return value


def _shown(spec: growth.Slider, value: float) -> str:
    return growth.format_field(spec.name, spec.to_plan(value))


def _slider_line(spec: growth.Slider, value: float) -> str:
    history = growth.format_field(spec.name, spec.historical)
    return f"{spec.label}: {_shown(spec, value)} (historical in this view: {history})"


def _plan_definition(name: str) -> str:
    spec = {"customers": "N = revenue goal / average sale price.",
            "qualified_opportunities": "Q = N / qualified win rate.",
            "engaged_targets": "T = Q / target-to-qualified rate.",
            "budget": "B = N x CAC.",
            "people_needed": "Engaged target accounts needed x buying-group size.",
            "excess_ratio": "Engaged people needed / addressable people: above 100 % the "
            "plan needs more buyers than the market holds."}
    return spec.get(name) or growth.SLIDER_HELP.get(name, "")


def _plan_chart(plan: growth.Plan) -> Chart:
    names = ["customers", "qualified_opportunities", "engaged_targets", "people_needed"]
    cats = tuple(growth.label(n) for n in names) + ("Addressable people (the market)",)
    values = tuple(plan.value(n) for n in names) + (plan.addressable_people,)
    over = plan.feasible is False
    colours = (PIPELINE_BLUE,) * 3 + (ACCENT if over else PIPELINE_BLUE, MQL_GREY)
    labels = tuple(growth.format_field(n, plan.value(n)) for n in names)
    labels += (growth.format_field("addressable_people", plan.addressable_people),)
    return Chart("growth.plan", plan.notes[-1], "bar", cats,
                 (Series("The plan against the market", values, PIPELINE_BLUE, colours),),
                 "count", (labels,))


# --- Net ARR ----------------------------------------------------------------------------------------


def net_arr(ctx, page, finding: str) -> Slide:
    grain = "quarter" if (ctx.view.param("grain") or "").lower() == "quarter" else "month"
    bridge = arr.period_bridge(ctx.run(arr.bridge, grain))
    charts = []
    if bridge is not None:
        charts.append(_arr_waterfall(ctx, bridge))
    segments = ctx.run(arr.by_segment)
    if not segments.empty:
        charts.append(_segments(segments))
    return Slide("page", page.title, page.url_path, finding, ctx.tiles(ARR_KPIS), tuple(charts),
                 () if charts else ("No ARR snapshots fall in this period: pick a later period.",))


def _arr_waterfall(ctx, bridge: dict) -> Chart:
    _terms(ctx, "Starting / ending ARR")
    steps = fa.waterfall_steps(bridge)
    values = _values(steps["value"])
    colours = tuple(PIPELINE_BLUE if m != "relative" else (GAIN_GREEN if v >= 0 else LOSS_RED)
                    for m, v in zip(steps["measure"], values, strict=True))
    totals = tuple(i for i, m in enumerate(steps["measure"]) if m != "relative")
    return Chart("arr.bridge", fa.bridge_finding(bridge), "waterfall", tuple(steps["step"]),
                 (Series("ARR", values, PIPELINE_BLUE, colours),), "usd",
                 (_labels(values, fmt.money),), totals=totals,
                 axis_from=0.9 * min(bridge["starting_arr"], bridge["ending_arr"]),
                 note="The value axis does not start at zero, so the movements show against "
                 "the whole base.")


def _segments(df: pd.DataFrame) -> Chart:
    nrr, grr = _values(df["nrr_12m"]), _values(df["grr_12m"])
    return Chart("arr.by_segment", fa.segment_finding(df), "column",
                 tuple(str(s) for s in df["segment"]),
                 (Series("NRR (12 months)", nrr, PIPELINE_BLUE),
                  Series("GRR (12 months)", grr, MQL_GREY)),
                 "share", (_labels(nrr, fmt.percent), _labels(grr, fmt.percent)))


# --- Velocity ----------------------------------------------------------------------------------------

STEP_LABELS = {"opening": "Open at start", "created": "Created", "qualified": "Qualified",
               "won": "Won", "lost": "Lost", "closing": "Open at end"}


def velocity_slide(ctx, page, finding: str) -> Slide:
    qualified_only = ctx.view.param("flow") == "Qualified only"
    movement = ctx.run(velocity.pipeline_waterfall, qualified_only)
    stage0 = ctx.run(velocity.stage0_by_month)
    return Slide("page", page.title, page.url_path, finding, ctx.tiles(VELOCITY_KPIS),
                 (_pipeline(ctx, movement), _stage0(stage0)))


def _pipeline(ctx, df: pd.DataFrame) -> Chart:
    _terms(ctx, "Pipeline movement")
    steps = df[df["kind"] != "note"]
    sign = steps["kind"].map({"total": 1, "increase": 1, "decrease": -1})
    values = _values(steps["amount"] * sign)
    colours = tuple({"total": PIPELINE_BLUE, "increase": LIGHT_BLUE, "decrease": ACCENT}[k]
                    for k in steps["kind"])
    labels = tuple(f"{fmt.money(a)} · {int(c):,} deals"
                   for a, c in zip(steps["amount"], steps["count"], strict=True))
    totals = tuple(i for i, k in enumerate(steps["kind"]) if k == "total")
    return Chart("velocity.pipeline_waterfall", find.pipeline_movement(df), "waterfall",
                 tuple(STEP_LABELS.get(s, s) for s in steps["step"]),
                 (Series("New-business pipeline", values, PIPELINE_BLUE, colours),), "usd",
                 (labels,), totals=totals)


def _stage0(df: pd.DataFrame) -> Chart:
    median, p75 = _values(df["stage0_days_median"]), _values(df["stage0_days_p75"])
    return Chart("velocity.stage0_by_month", find.slowest_stage0(df), "column",
                 tuple(find.month(m) for m in df["month"]),
                 (Series("Median", median, PIPELINE_BLUE),
                  Series("75th percentile", p75, ACCENT)),
                 "days", (_labels(median, fmt.days), _labels(p75, fmt.days)))


# --- Targets ----------------------------------------------------------------------------------


def targets_slide(ctx, page, finding: str) -> Slide:
    """Targets where MQLs were: the v2 tiles and MQLs beside engaged targets by month."""
    df = ctx.run(targets.by_month)
    _terms(ctx, "MQLs and engaged targets by month")
    months = tuple(find.month(m) for m in df["month"])
    mqls, engaged = _values(df["mqls"]), _values(df["engaged_targets"])
    chart = Chart("targets.by_month", target_find.by_month_finding(df), "column", months,
                  (Series("MQLs", mqls, MQL_GREY), Series("Engaged targets", engaged,
                                                          PIPELINE_BLUE)),
                  "count", (_labels(mqls, fmt.count), _labels(engaged, fmt.count)))
    return Slide("page", page.title, page.url_path, finding, ctx.tiles(TARGET_KPIS),
                 (chart,) if len(df) else ())


# --- Target market ----------------------------------------------------------------------------------


def target_market(ctx, page, finding: str) -> Slide:
    trend = ctx.run(market.penetration_by_month,
                    flt=fa.trailing_filter(ctx.flt, TREND_MONTHS))
    targets = trend["target_accounts"].iloc[-1] if len(trend) else None
    _terms(ctx, "Target accounts")
    tiles = ctx.tiles(MARKET_KPIS) + (Tile("Target accounts", fmt.count(targets),
                                           None if targets is None else float(targets)),)
    charts = [_penetration(ctx, trend)] if len(trend) else []
    charts.append(_demand(ctx, ctx.run(market.demand_split)))
    return Slide("page", page.title, page.url_path, finding, tiles, tuple(charts))


def _penetration(ctx, trend: pd.DataFrame) -> Chart:
    _terms(ctx, "Monthly penetration")
    values = _values(trend["penetration"])
    return Chart("market.penetration_by_month", fa.penetration_finding(trend), "line",
                 tuple(find.month(m) for m in trend["month"]),
                 (Series("Target accounts engaged", values, PIPELINE_BLUE),), "share",
                 (_labels(values, fmt.percent),))


def _demand(ctx, df: pd.DataFrame) -> Chart:
    _terms(ctx, "Demand creation vs demand harvest")
    mix = fa.demand_mix(df)
    measures = tuple(dict.fromkeys(mix["measure"]))
    colours = {"Demand creation": PIPELINE_BLUE, "Demand harvest": ACCENT}
    series, labels = [], []
    for demand_type, part in mix.groupby("demand_type", sort=False):
        shares = _values(part.set_index("measure")["share"].reindex(measures))
        series.append(Series(demand_type, shares, colours.get(demand_type, MQL_GREY)))
        labels.append(_labels(shares, fmt.percent))
    return Chart("market.demand_split", fa.demand_finding(df), "column", measures,
                 tuple(series), "share", tuple(labels))


BUILDERS = {
    "mql-vs-pipeline": mql_vs_pipeline,
    "cac-vs-cpl": cac_vs_cpl,
    "buying-groups": buying_groups,
    "growth": growth_plan,
    "net-arr": net_arr,
    "velocity": velocity_slide,
    "target-market": target_market,
    "targets": targets_slide,
}
