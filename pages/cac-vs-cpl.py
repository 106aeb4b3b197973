"""CAC vs cost per lead: cheap leads that make expensive customers.

A channel can win on cost per lead and lose on cost per customer. This page puts
CPL, cost per MQL, cost per qualified opportunity and CAC side by side, per channel
and blended, with payback, magic number and LTV:CAC for the same view.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import ui
from gtm import fmt
from gtm.metrics import cost
from gtm.narrative import funnel as find
from gtm.narrative import words

KPIS = ["cpl", "cost_per_mql", "cost_per_qualified_opportunity", "cac", "cac_payback_months",
        "magic_number", "ltv_to_cac"]
LADDER = (("cpl", "Lead", ui.MQL_GREY), ("cost_per_mql", "MQL", ui.MQL_GREY),
          ("cost_per_qualified_opportunity", "Qualified<br>opportunity", ui.PIPELINE_BLUE),
          ("cac", "New customer<br>(CAC)", ui.PIPELINE_BLUE))
LOG_AXIS = {"type": "log", "dtick": 1, "tickprefix": "$", "tickformat": "~s"}
CHANNEL_LADDER = (("cpl", "Cost per lead", "#C9D1D9"), ("cost_per_mql", "Cost per MQL", ui.MQL_GREY),
                  ("cost_per_qualified_opportunity", "Cost per qualified opportunity", "#5B8DB8"),
                  ("marketing_cac", "Marketing CAC", ui.PIPELINE_BLUE))


def channels_only(df: pd.DataFrame) -> pd.DataFrame:
    return df[~df["channel"].isin(["Blended", "unknown"])]


def cpl_vs_cac(df: pd.DataFrame, stamp) -> go.Figure:
    """Scatter: CPL (x) vs marketing CAC (y) per channel, bubble = marketing spend."""
    rows = channels_only(df).dropna(subset=["cpl", "marketing_cac"])
    size = rows["marketing_spend"].clip(lower=0)
    fig = go.Figure(go.Scatter(
        x=rows["cpl"], y=rows["marketing_cac"], mode="markers+text",
        text=[ui.chart_text(find.label(c)) for c in rows["channel"]], textposition="top center",
        marker={"size": size, "sizemode": "area", "sizeref": 2 * max(size.max(), 1) / 60 ** 2,
                "sizemin": 6, "color": ui.PIPELINE_BLUE, "opacity": 0.75},
        customdata=rows["marketing_spend"],
        hovertemplate="%{text}<br>CPL %{x:$,.0f}<br>CAC %{y:$,.0f}<br>spend %{customdata:$,.0f}"
                      "<extra></extra>", cliponaxis=False))
    fig.update_xaxes(title="cost per lead", showgrid=True, rangemode="tozero")
    fig.update_yaxes(title="marketing CAC", rangemode="tozero")
    fig.update_layout(showlegend=False)
    return ui.style_finding(fig, find.cheap_leads(df), stamp, width=58, height=460, money=("x", "y"))


def no_customer_note(df: pd.DataFrame) -> str:
    names = [find.label(c) for c in channels_only(df).query("new_customers == 0")["channel"]]
    return ("Not on the chart (no new customer, CAC n/a): " + ", ".join(names) + ".") if names else ""


def ladder(values: dict, stamp) -> go.Figure:
    """Blended unit costs from a lead to a customer (log scale)."""
    rows = [(name, values.get(mid), colour) for mid, name, colour in LADDER]
    fig = go.Figure(go.Bar(x=[r[0] for r in rows], y=[r[1] for r in rows],
                           marker_color=[r[2] for r in rows],
                           text=[fmt.money(r[1]) for r in rows], textposition="outside",
                           cliponaxis=False))
    fig.update_yaxes(**LOG_AXIS, title="cost per unit (log scale)")
    fig.update_layout(margin_b=80)  # two-line step labels above the as-of note
    return ui.style_finding(fig, find.cost_ladder(values), stamp, width=58, height=460)


def channel_ladder(df: pd.DataFrame, stamp) -> go.Figure:
    """Per channel: CPL, cost per MQL, per qualified opportunity, marketing CAC (log)."""
    rows = channels_only(df)
    names = [ui.chart_text(find.label(c)) for c in rows["channel"]]
    fig = go.Figure()
    for column, name, colour in CHANNEL_LADDER:
        fig.add_bar(x=names, y=rows[column], name=name, marker_color=colour,
                    hovertemplate="%{x}: %{y:$,.0f}<extra>" + name + "</extra>")
    fig.update_layout(barmode="group", bargap=0.25)
    fig.update_yaxes(**LOG_AXIS, title="cost (log scale)")
    return ui.style_finding(fig, find.lead_to_customer(df), stamp, width=130, height=440)


def trend(df: pd.DataFrame, partial: frozenset, stamp) -> go.Figure:
    """CPL (top, grey) and blended CAC (bottom, blue) by month, each on its own scale."""
    months = [words.month_label(m, partial) for m in df["month"]]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.16,
                        subplot_titles=("Cost per lead", "CAC (blended)"))
    for row, column, colour in ((1, "cpl", ui.MQL_GREY), (2, "cac", ui.PIPELINE_BLUE)):
        fig.add_bar(x=months, y=df[column], marker_color=colour, row=row, col=1,
                    text=[fmt.money(v) for v in df[column]], textposition="outside",
                    cliponaxis=False)
        fig.update_yaxes(tickprefix="$", tickformat="~s", rangemode="tozero", row=row, col=1)
    fig.update_layout(showlegend=False)
    return ui.style_finding(fig, find.cost_trend(df, partial), stamp, width=40, height=460)


def channel_table(df: pd.DataFrame) -> None:
    money = {c: st.column_config.NumberColumn(c.replace("_", " "), format="$%,.0f")
             for c in ("marketing_spend", "cpl", "cost_per_mql", "cost_per_qualified_opportunity",
                       "marketing_cac")}
    ui.table(df, "cost by channel", key="download-cost-channel",
             column_config={**money, "cpl": st.column_config.NumberColumn("CPL", format="$%,.0f"),
                            "marketing_cac": st.column_config.NumberColumn(
                                "marketing CAC", format="$%,.0f")})


def spend_note(flt) -> None:
    """DECISIONS.md "Filters": spend carries no region, segment or motion."""
    active = [name for name, values in (("region", flt.regions), ("segment", flt.segments),
                                        ("motion", flt.motions)) if values]
    if active:
        st.info(f"Spend is not narrowed by the {' / '.join(active)} filter (the spend file has no "
                f"{' or '.join(active)}): every cost here divides the period's whole spend by the "
                "filtered leads, MQLs, opportunities and customers.", icon=":material/info:")


info = ui.dataset_info()
ui.header("CAC vs cost per lead",
          "Cheap leads can make expensive customers: unit costs from lead to customer, per "
          "channel and blended.", info)
ui.need_tables(info, ["opportunities"], "new customers, CAC and payback")

flt, settings = ui.current_filter(), ui.current_settings()
stamp = ui.period_stamp()
with st.spinner("Computing unit costs…"):
    now, before = ui.headlines(KPIS)
spend_note(flt)
ui.kpi_row(KPIS[:4], now, before, info)
ui.kpi_row(KPIS[4:], now, before, info)
ui.delta_caption(info, "CAC is blended (marketing + sales spend); by channel it is marketing "
                 "CAC (channel marketing spend / new customers whose first won deal came from "
                 f"the channel). Gross margin {settings.gross_margin:.0%}.")

if ui.need_tables(info, ["spend"], "cost per lead, CAC and payback"):
    with st.spinner("Computing unit costs by channel…"):
        by_channel = ui.view(cost.by_channel)
        by_month = ui.view(cost.by_month)
    left, right = st.columns(2)
    with left:
        ui.chart(cpl_vs_cac, by_channel, stamp, key="chart-cpl-cac")
        st.caption(no_customer_note(by_channel) + " Bubble size = marketing spend.")
    with right:
        ui.chart(ladder, now, stamp, key="chart-ladder")
    ui.chart(channel_ladder, by_channel, stamp, key="chart-channel-ladder")
    left, right = st.columns([2, 3])
    with left:
        ui.chart(trend, by_month, ui.partial_months(by_month["month"]), stamp,
                 key="chart-cost-trend")
    with right:
        st.subheader("Unit costs by channel", anchor=False)
        channel_table(by_channel)
