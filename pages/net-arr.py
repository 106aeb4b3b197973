"""Net ARR: where recurring revenue came from and where it went.

Growth measured on customers, not leads: the ARR bridge of the selected period as a
waterfall, the monthly or quarterly movements over the last periods, the 12-month net
and gross retention, and the same by segment.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from gtm import fmt
from gtm.metrics import arr
from gtm.narrative import accounts as fa

FLOW_KPIS = ["net_new_arr", "new_arr", "expansion_arr", "reactivation_arr", "contraction_arr",
             "churned_arr"]
RETENTION_KPIS = ["nrr_12m", "grr_12m", "quick_ratio"]
TRAILING = {"month": 12, "quarter": 8}
# gains green, losses red; the lesser flows of each side in lighter shades
FLOW_STYLE = {"new": (ui.GAIN_GREEN, 1.0), "expansion": (ui.GAIN_GREEN, 0.6),
              "reactivation": (ui.GAIN_GREEN, 0.3), "contraction": (ui.LOSS_RED, 0.5),
              "churn": (ui.LOSS_RED, 1.0)}


def tint(colour: str, alpha: float) -> str:
    """#RRGGBB at the given opacity, as an rgba() the legend shows too."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def kpis(info: dict) -> None:
    now, before = ui.headlines(FLOW_KPIS + RETENTION_KPIS)
    ui.kpi_row(FLOW_KPIS, now, before, info)
    ui.kpi_row(RETENTION_KPIS, now, before, info)


def waterfall_chart(bridge: dict, stamp) -> go.Figure:
    steps = fa.waterfall_steps(bridge)
    fig = go.Figure(go.Waterfall(
        x=steps["step"], y=steps["value"], measure=steps["measure"],
        text=[fmt.money(v) for v in steps["value"]], textposition="outside",
        increasing={"marker": {"color": ui.GAIN_GREEN}},
        decreasing={"marker": {"color": ui.LOSS_RED}},
        totals={"marker": {"color": ui.PIPELINE_BLUE}},
        connector={"line": {"color": ui.MQL_GREY, "width": 1}}, cliponaxis=False))
    low = min(bridge["starting_arr"], bridge["ending_arr"])
    high = max(bridge["starting_arr"], bridge["ending_arr"]) + bridge["new"] \
        + bridge["reactivation"] + bridge["expansion"]
    fig.update_yaxes(range=[low * 0.9, high * 1.04], title="ARR")
    return ui.style(fig, fa.bridge_finding(bridge), stamp, money="y", height=420)


def waterfall(grain: str, stamp) -> None:
    bridge = arr.period_bridge(ui.view(arr.bridge, grain))
    if bridge is None:
        st.info("No ARR snapshots fall in this period: pick a later period.")
        return
    ui.chart(waterfall_chart, bridge, stamp, key="waterfall")
    st.caption("The y axis does not start at zero, so the movements are visible against "
               "the whole base.")


def movements_chart(df: pd.DataFrame, grain: str, stamp) -> go.Figure:
    fig = go.Figure()
    for flow in ("new", "expansion", "reactivation", "contraction", "churn"):
        colour, alpha = FLOW_STYLE[flow]
        sign = -1 if flow in ("contraction", "churn") else 1
        fig.add_bar(x=df["label"], y=sign * df[flow], name=fa.FLOW_LABELS[flow],
                    marker={"color": tint(colour, alpha)})
    net = df["new"] + df["reactivation"] + df["expansion"] - df["contraction"] - df["churn"]
    fig.add_scatter(x=df["label"], y=net, name="Net new ARR", mode="lines+markers",
                    line={"color": ui.PIPELINE_BLUE, "width": 2})
    fig.update_layout(barmode="relative")
    fig.update_xaxes(type="category")
    return ui.style(fig, fa.movements_finding(df, grain), stamp, money="y", height=420)


def movements(grain: str, stamp) -> None:
    window = fa.trailing_filter(ui.current_filter(), TRAILING[grain], grain)
    df = ui.view(arr.bridge, grain, flt=window)
    if not df.empty:
        ui.chart(movements_chart, df, grain, stamp, key="movements")


def segment_chart(df: pd.DataFrame, stamp) -> go.Figure:
    segments = [ui.chart_text(s) for s in df["segment"]]
    fig = go.Figure()
    fig.add_bar(x=segments, y=df["nrr_12m"], name="NRR (12 months)",
                marker_color=ui.PIPELINE_BLUE, text=[fmt.percent(v) for v in df["nrr_12m"]],
                textposition="outside", cliponaxis=False)
    fig.add_bar(x=segments, y=df["grr_12m"], name="GRR (12 months)",
                marker_color=ui.MQL_GREY, text=[fmt.percent(v) for v in df["grr_12m"]],
                textposition="outside", cliponaxis=False)
    fig.add_hline(y=1, line={"color": ui.ACCENT, "dash": "dash", "width": 1},
                  annotation_text="100 %: the base kept", annotation_position="top right")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return ui.style(fig, fa.segment_finding(df), stamp)


def by_segment(stamp) -> None:
    df = ui.view(arr.by_segment)
    if df.empty:
        return
    ui.chart(segment_chart, df, stamp, key="segments")
    money = {c: st.column_config.NumberColumn(fa.FLOW_LABELS.get(c, "Net new ARR"),
                                              format="$%,.0f")
             for c in (*arr.FLOWS, "net_new_arr")}
    percent = {c: st.column_config.NumberColumn(label, format="percent")
               for c, label in (("nrr_12m", "NRR (12 months)"), ("grr_12m", "GRR (12 months)"))}
    ui.table(df, "net ARR by segment", key="download-segments",
             column_config={"segment": "Segment", **money, **percent})


info = ui.dataset_info()
ui.header("Net ARR", "Growth from customers: new, expansion and reactivation ARR against "
          "contraction and churn, and how much of last year's base we kept.", info)
if ui.need_tables(info, ["arr"], "Net ARR"):
    stamp = ui.period_stamp()
    kpis(info)
    grain = st.radio("Grain", ["Month", "Quarter"], key="grain", bind="query-params",
                     horizontal=True, help="Bridge and movements by calendar month or quarter.")
    grain = grain.lower()
    waterfall(grain, stamp)
    movements(grain, stamp)
    st.subheader("By segment", anchor=False)
    by_segment(stamp)
