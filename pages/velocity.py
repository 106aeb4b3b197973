"""Velocity and fail-fast: how fast pipeline qualifies, closes, and says no.

Speed is a quality signal: a slow stage-0 clock, a long road to "no" and pipeline
that has not moved in months all inflate the forecast. This page shows the clocks,
the pipeline movement of the period, the stale deals to chase, and why leads are
disqualified, by channel, as feedback to marketing.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from gtm import fmt
from gtm.metrics import velocity
from gtm.narrative import funnel as find
from gtm.narrative import words

CLOCK_KPIS = ["stage0_days_median", "stage0_days_p75", "sales_cycle_days_median",
              "sales_velocity_per_day"]
NO_KPIS = ["time_to_no_days_median", "time_to_no_people_days_median", "stale_pipeline_amount",
           "stale_pipeline_count"]
# The label is what a link carries (?flow=Qualified+only), so keep it short and stable.
FLOWS = ("All deals", "Qualified only")
STEP_LABELS = {"opening": "Open at start", "created": "Created", "qualified": "Qualified",
               "won": "Won", "lost": "Lost", "closing": "Open at end"}
HEAT = [[0, "#F5F7FA"], [1, "#3E4C59"]]  # people (the MQL lens): greys


def stage0_chart(df: pd.DataFrame, partial: frozenset, stamp) -> go.Figure:
    months = [words.month_label(m, partial) for m in df["month"]]
    fig = go.Figure()
    fig.add_bar(x=months, y=df["stage0_days_median"], name="Median", marker_color=ui.PIPELINE_BLUE,
                text=[fmt.days(v) for v in df["stage0_days_median"]], textposition="outside",
                cliponaxis=False)
    fig.add_scatter(x=months, y=df["stage0_days_p75"], name="75th percentile", mode="markers",
                    marker={"symbol": "line-ew-open", "size": 40, "color": ui.ACCENT,
                            "line": {"width": 3}})
    fig.update_yaxes(title="days from created to qualified", rangemode="tozero")
    return ui.style_finding(fig, find.slowest_stage0(df), stamp, height=420)


def cycle_chart(df: pd.DataFrame, partial: frozenset, stamp) -> go.Figure:
    months = [words.month_label(m, partial) for m in df["month"]]
    fig = go.Figure(go.Bar(x=months, y=df["sales_cycle_days_median"], name="Median sales cycle",
                           marker_color=ui.PIPELINE_BLUE, customdata=df["won"],
                           text=[fmt.days(v) for v in df["sales_cycle_days_median"]],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x}: %{y} days, %{customdata} won<extra></extra>"))
    fig.update_yaxes(title="days from qualified to won", rangemode="tozero")
    return ui.style_finding(fig, find.cycle_range(df), stamp, height=420)


def time_to_no_chart(df: pd.DataFrame, values: dict, stamp) -> go.Figure:
    fig = go.Figure()
    for kind, name, colour in (("person", "Disqualified leads", ui.MQL_GREY),
                               ("opportunity", "Lost deals", ui.PIPELINE_BLUE)):
        fig.add_histogram(x=df.loc[df["kind"] == kind, "days"], name=name, marker_color=colour,
                          xbins={"start": 0, "size": 7}, opacity=0.8)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(ticksuffix=" days", rangemode="tozero")
    fig.update_yaxes(title="count (weekly bins)")
    return ui.style_finding(fig, find.time_to_no(values), stamp, height=420)


def waterfall_chart(df: pd.DataFrame, stamp) -> go.Figure:
    steps = df[df["kind"] != "note"]
    sign = steps["kind"].map({"total": 1, "increase": 1, "decrease": -1})
    measure = ["absolute", "relative", "relative", "relative", "total"]
    by_count = int(df["amount_known"].sum()) == 0  # no amounts in the extract: draw deals
    values = steps["count"] if by_count else steps["amount"].fillna(0)
    text = [f"{c:,} deals" if by_count else f"{find.amount_text(a, c)} · {c:,} deals"
            for a, c in zip(steps["amount"], steps["count"], strict=True)]
    fig = go.Figure(go.Waterfall(
        x=[STEP_LABELS.get(s, s) for s in steps["step"]], y=values * sign,
        measure=measure, text=text,
        textposition="outside", cliponaxis=False, connector={"line": {"color": "#C9D1D9"}},
        totals={"marker": {"color": ui.PIPELINE_BLUE}},
        increasing={"marker": {"color": "#5B8DB8"}}, decreasing={"marker": {"color": ui.ACCENT}}))
    fig.update_layout(showlegend=False)
    return ui.style_finding(fig, find.pipeline_movement(df), stamp, width=75, height=440,
                            money=() if by_count else "y")


def notes(df: pd.DataFrame) -> str:
    rows = df.set_index("step")
    pushed, overdue = rows.loc["pushed_out"], rows.loc["overdue"]
    pushed_amount = find.amount_text(pushed.amount, pushed["count"])
    overdue_amount = find.amount_text(overdue.amount, overdue["count"])
    return (f"Of the pipeline open at the end, {pushed_amount} ({pushed['count']:,} deals) had "
            f"an expected close date inside the period and {overdue_amount} "
            f"({overdue['count']:,} deals) is overdue (expected close on or before the end).")


def reasons_chart(df: pd.DataFrame, stamp) -> go.Figure:
    grid = df.pivot_table(index="channel", columns="disqualified_reason", values="people",
                          aggfunc="sum", fill_value=0)
    grid = grid.loc[grid.sum(axis=1).sort_values().index,
                    grid.sum(axis=0).sort_values(ascending=False).index]
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=[ui.chart_text(r) for r in grid.columns],
        y=[ui.chart_text(find.label(c)) for c in grid.index],
        colorscale=HEAT, text=grid.values, texttemplate="%{text}", showscale=False,
        hovertemplate="%{y} · %{x}: %{z} people<extra></extra>"))
    fig.update_xaxes(side="bottom")
    return ui.style_finding(fig, find.disqualification(df), stamp, width=110,
                  height=max(380, 34 * len(grid) + 160))


def stale_table(df: pd.DataFrame) -> None:
    ui.table(df, "stale pipeline", key="download-stale", height=min(420, 38 + 35 * len(df)),
             column_config={
                 "opportunity_id": st.column_config.TextColumn("opportunity", width="small"),
                 "amount": st.column_config.NumberColumn("amount", format="$%,.0f"),
                 "days_since_change": st.column_config.NumberColumn("days idle", width="small"),
                 "close_date": st.column_config.DateColumn("expected close")})


info = ui.dataset_info()
ui.header("Velocity and fail-fast",
          "How fast pipeline qualifies and closes, how fast a no arrives, and what has stopped "
          "moving.", info)
deals = ui.need_tables(info, ["opportunities"], "how fast deals qualify and close")

flt, settings = ui.current_filter(), ui.current_settings()
stamp = ui.period_stamp()
with st.spinner("Timing the pipeline…"):
    now, before = ui.headlines(CLOCK_KPIS + NO_KPIS + ["sales_cycle_days_median"])
    no = ui.view(velocity.time_to_no)
if deals:  # without deals only the people's side (time to no, disqualification) is known
    ui.kpi_row(CLOCK_KPIS, now, before, info)
ui.kpi_row(NO_KPIS, now, before, info)
ui.delta_caption(info, "New-business deals only; medians interpolate. Open is judged as of the "
                 "period end.")

if deals:
    stage0 = ui.view(velocity.stage0_by_month)
    cycle = ui.view(velocity.cycle_by_month)
    left, right = st.columns(2)
    with left:
        ui.chart(stage0_chart, stage0, ui.partial_months(stage0["month"]), stamp,
                 key="chart-stage0")
    with right:
        ui.chart(cycle_chart, cycle, ui.partial_months(cycle["month"]), stamp,
                 key="chart-cycle")

    st.subheader("Pipeline movement", anchor=False)
    flow = st.segmented_control("New-business pipeline", FLOWS, default=FLOWS[0], key="flow",
                                bind="query-params", required=True,
                                help="Qualified only: a deal enters the pipeline on its "
                                "qualified date.")
    waterfall = ui.view(velocity.pipeline_waterfall, flow == FLOWS[1])
    ui.chart(waterfall_chart, waterfall, stamp, key="chart-waterfall")
    st.caption(notes(waterfall) + " Opening + created − won − lost = closing, in amount and "
               "deals.")

left, right = st.columns(2)
with left:
    ui.chart(time_to_no_chart, no, now, stamp, key="chart-time-to-no")
if deals:
    with right:
        st.markdown(f"**{ui.esc(find.stale(now, settings.stale_days))}**")
        stale_table(ui.view(velocity.stale_list, 200))

st.subheader("Why leads are disqualified, by channel", anchor=False)
reasons = ui.view(velocity.disqualification_reasons)
if reasons.empty:
    st.info("No lead was disqualified in this period.", icon=":material/info:")
else:
    ui.chart(reasons_chart, reasons, stamp, key="chart-reasons")
