"""Target market and demand: how much of the agreed account list we reach, at what cost,
and whether spend creates new demand or harvests demand that already exists.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from gtm import fmt
from gtm.metrics import market
from gtm.narrative import accounts as fa

KPIS = ["target_account_penetration", "cost_per_target_account_reached"]
TREND_MONTHS = 12
MONEY = "$%,.0f"  # exact dollars in tables; charts read $1.2M
DEMAND_COLOURS = {"Demand creation": ui.PIPELINE_BLUE, "Demand harvest": ui.ACCENT,
                  "Unassigned": ui.MQL_GREY}


def kpis(info: dict, trend) -> None:
    now, before = ui.headlines(KPIS)
    (extra,) = ui.kpi_row(KPIS, now, before, info, extra=1)
    targets = trend["target_accounts"].iloc[-1] if len(trend) else None
    extra.metric("Target accounts", fmt.count(targets), border=True, height="stretch",
                       help="Accounts marked is_target (or with fit_score at or above the ICP "
                       "threshold) in the current filter.")


def penetration_figure(trend: pd.DataFrame, start, end, stamp) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=trend["month"], y=trend["penetration"], mode="lines+markers+text",
        line={"color": ui.PIPELINE_BLUE, "width": 3}, name="Penetration",
        text=[fmt.percent(v) for v in trend["penetration"]], textposition="top center",
        customdata=trend[["engaged_targets", "target_accounts"]],
        hovertemplate="%{x|%b %Y}: %{customdata[0]} of %{customdata[1]} target accounts"
                      "<extra></extra>"))
    fig.add_vrect(x0=start, x1=end, fillcolor=ui.MQL_GREY, opacity=0.12, line_width=0,
                  annotation_text="selected period", annotation_position="bottom left")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title="Target accounts engaged")
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    return ui.style(fig, fa.penetration_finding(trend), stamp)


def penetration_chart(trend, stamp) -> None:
    flt = ui.current_filter()
    ui.chart(penetration_figure, trend, flt.start, flt.end, stamp, key="penetration")
    st.caption("Share of target accounts with an engaged person in each calendar month "
               "(a touch in the month or a contact on a deal open in it). The headline counts "
               "the whole selected period, so it is higher than any single month.")


def reach_chart(info: dict, stamp) -> None:
    if not ui.need_tables(info, ["spend", "touches"], "cost per target account reached"):
        return
    df = ui.view(market.cost_per_target_account_reached)
    ui.chart(reach_figure, df, stamp, key="reach")
    ui.table(df, "cost per target account reached", key="download-reach", column_config={
        "channel": "Channel",
        "marketing_spend": st.column_config.NumberColumn("Marketing spend", format=MONEY),
        "target_accounts_reached": "Target accounts reached",
        "cost_per_target_account_reached": st.column_config.NumberColumn(
            "Cost per target reached", format=MONEY)})


def reach_figure(df: pd.DataFrame, stamp) -> go.Figure:
    priced = df[df["cost_per_target_account_reached"].notna()].sort_values(
        "cost_per_target_account_reached", ascending=False)
    fig = go.Figure(go.Bar(
        y=[ui.chart_text(fa.label(c)) for c in priced["channel"]],
        x=priced["cost_per_target_account_reached"],
        orientation="h", marker_color=ui.PIPELINE_BLUE, cliponaxis=False,
        text=[f"{fmt.money(c)} · {n} account{'' if n == 1 else 's'}" for c, n in
              zip(priced["cost_per_target_account_reached"], priced["target_accounts_reached"],
                  strict=True)], textposition="outside"))
    top = priced["cost_per_target_account_reached"].max() if len(priced) else 0
    fig.update_xaxes(range=[0, top * 1.5 if top else 1])
    return ui.style(fig, fa.reach_finding(df), stamp, money="x", wrap=52,
                    height=140 + 34 * max(len(priced), 3))


def demand_figure(df: pd.DataFrame, stamp) -> go.Figure:
    mix = fa.demand_mix(df)
    fig = go.Figure()
    for demand_type, part in mix.groupby("demand_type", sort=False):
        values = [fmt.money(v) if m in ("Spend", "Qualified pipeline") else fmt.count(v)
                  for m, v in zip(part["measure"], part["value"], strict=True)]
        fig.add_bar(x=part["measure"], y=part["share"], name=demand_type,
                    marker_color=DEMAND_COLOURS.get(demand_type, ui.MQL_GREY),
                    text=[fmt.percent(s) for s in part["share"]], customdata=values,
                    hovertemplate="%{x}: %{customdata} (%{text})<extra>" + demand_type
                    + "</extra>", textposition="outside", cliponaxis=False, constraintext="none")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title="Share of the period's total")
    return ui.style(fig, fa.demand_finding(df), stamp, height=420, wrap=52)


def demand_chart(stamp) -> None:
    df = ui.view(market.demand_split)
    ui.chart(demand_figure, df, stamp, key="demand")
    ui.table(df, "demand creation vs harvest", key="download-demand", column_config={
        "demand_type": "Demand type",
        "spend": st.column_config.NumberColumn("Marketing spend", format=MONEY),
        "leads": "Leads",
        "qualified_pipeline": st.column_config.NumberColumn("Qualified pipeline",
                                                            format=MONEY),
        "qualified_opportunities": "Qualified opportunities",
        "new_customers": "New customers"})
    st.caption("Demand type from the campaign (first touch for leads), else the channel's "
               "default: events, content, outbound, webinars, partners and paid social create "
               "demand; paid search, email, organic, referral and direct harvest it.")


info = ui.dataset_info()
ui.header("Target market and demand", "Reach of the agreed target-account list, its cost by "
          "channel, and whether spend creates demand or harvests it.", info)
if ui.need_tables(info, ["accounts"], "the target market"):
    stamp = ui.period_stamp()
    trend = ui.view(market.penetration_by_month,
                    flt=fa.trailing_filter(ui.current_filter(), TREND_MONTHS))
    kpis(info, trend)
    penetration_chart(trend, stamp)
    left, right = st.columns(2)
    with left:
        reach_chart(info, stamp)
    with right:
        demand_chart(stamp)
