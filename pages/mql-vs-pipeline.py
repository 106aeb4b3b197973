"""MQLs vs qualified pipeline: the volume lens beside the quality lens.

The page a CMO opens to see which channels the MQL count flatters: both lenses by
month and by channel, the channel ranking under each, the qualified stage behind the
pipeline lens, and signups vs activated signups for the product-led motion.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

import gtm.metrics
import ui
from gtm import fmt
from gtm.metrics import funnel, targets
from gtm.metrics.base import FACT_REASONS, facts
from gtm.narrative import funnel as find
from gtm.narrative import targets as target_find
from gtm.narrative import words

MQL_KPIS = ["leads", "mqls", "mql_to_customer_rate"]
PIPELINE_KPIS = ["qualified_opportunities", "qualified_pipeline", "qualified_win_rate"]


def lens_by_month(df: pd.DataFrame, partial: frozenset, stamp) -> go.Figure:
    months = [words.month_label(m, partial) for m in df["month"]]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14,
                        subplot_titles=("MQLs", "Qualified pipeline"))
    fig.add_bar(x=months, y=df["mqls"], name="MQLs", marker_color=ui.MQL_GREY,
                text=df["mqls"], textposition="outside", row=1, col=1)
    fig.add_bar(x=months, y=df["qualified_pipeline"], name="Qualified pipeline",
                marker_color=ui.PIPELINE_BLUE, row=2, col=1,
                text=[fmt.money(v) for v in df["qualified_pipeline"]], textposition="outside")
    fig.update_yaxes(tickprefix="$", tickformat="~s", row=2, col=1)
    fig.update_yaxes(rangemode="tozero")
    fig.update_traces(cliponaxis=False)
    fig.update_layout(showlegend=False)
    return ui.style_finding(fig, find.lens_by_month(df, partial), stamp, height=480)


def mqls_by_month(df: pd.DataFrame, partial: frozenset, stamp) -> go.Figure:
    """MQLs alone, for an extract that cannot tell which deals are qualified."""
    months = [words.month_label(m, partial) for m in df["month"]]
    fig = go.Figure(go.Bar(x=months, y=df["mqls"], name="MQLs", marker_color=ui.MQL_GREY,
                           text=df["mqls"], textposition="outside", cliponaxis=False))
    fig.update_yaxes(rangemode="tozero")
    return ui.style_finding(fig, find.mqls_by_month(df, partial), stamp, height=480)


def lens_by_channel(df: pd.DataFrame, stamp) -> go.Figure:
    df = words.top_n(df, ["qualified_pipeline", "mqls"], ["mqls", "qualified_pipeline",
                                                          "mql_share", "pipeline_share"])
    df = df.sort_values("pipeline_share", na_position="first")
    names = [ui.chart_text(find.label(c)) for c in df["channel"]]
    fig = go.Figure()
    fig.add_bar(y=names, x=df["mql_share"], name="Share of MQLs", orientation="h",
                marker_color=ui.MQL_GREY, text=[find.share(v) for v in df["mql_share"]])
    fig.add_bar(y=names, x=df["pipeline_share"], name="Share of qualified pipeline",
                orientation="h", marker_color=ui.PIPELINE_BLUE,
                text=[find.share(v) for v in df["pipeline_share"]])
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickformat=".0%", showgrid=True)
    return ui.style_finding(fig, find.lens_by_channel(df), stamp, height=max(480, 52 * len(df) + 150))


def ranking_slope(df: pd.DataFrame, stamp) -> go.Figure:
    """One line per channel from its MQL rank to its pipeline rank (flattered: accent)."""
    fig = go.Figure()
    ends = ["Rank by MQLs", "Rank by qualified pipeline"]
    df = df.nsmallest(words.TOP_N, "rank_by_mqls", keep="first").reset_index(drop=True)
    left = words.tie_offsets(df["rank_by_mqls"])
    right = words.tie_offsets(df["rank_by_pipeline"])
    for i, r in enumerate(df.itertuples()):
        name = ui.chart_text(find.label(r.channel))
        fig.add_scatter(x=ends, y=[left[i], right[i]], mode="lines+markers+text",
                        line={"color": ui.ACCENT if r.flattered else "#C9D1D9",
                              "width": 3 if r.flattered else 1.5},
                        marker={"size": 10, "color": [ui.MQL_GREY, ui.PIPELINE_BLUE]},
                        text=[f"{name} ", f" {name}"], textposition=["middle left", "middle right"],
                        customdata=[[name, r.rank_by_mqls], [name, r.rank_by_pipeline]],
                        showlegend=False,
                        hovertemplate="%{customdata[0]}: %{x} %{customdata[1]}<extra></extra>")
    fig.update_yaxes(autorange="reversed", dtick=1, title="rank (1 = best)", showgrid=False)
    fig.update_xaxes(range=[-0.8, 1.8])
    return ui.style_finding(fig, find.lens_ranking(df), stamp, width=48,
                  height=max(420, 38 * len(df) + 160))


def stage_chart(qs, threshold: float, stamp) -> go.Figure:
    rates = qs.win_rates
    colours = [ui.ACCENT if s == qs.stage else ui.PIPELINE_BLUE for s in rates["stage"]]
    fig = go.Figure(go.Bar(x=[ui.chart_text(s) for s in rates["stage"]], y=rates["win_rate"],
                           marker_color=colours,
                           text=[find.share(v) for v in rates["win_rate"]],
                           textposition="outside", cliponaxis=False, name="Win rate"))
    fig.add_hline(y=threshold, line_dash="dash", line_color=ui.MQL_GREY,
                  annotation_text=f"auto threshold {find.share(threshold)}",
                  annotation_position="top left")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", title="won / closed that reached it")
    title = find.qualified_stage(qs.stage, rates, threshold)
    return ui.style_finding(fig, title, stamp, width=75, height=400)


def activation_chart(df: pd.DataFrame, days: int, partial: frozenset, stamp) -> go.Figure:
    months = [words.month_label(m, partial) for m in df["month"]]
    fig = go.Figure()
    fig.add_bar(x=months, y=df["signups"], name="Signups", marker_color=ui.MQL_GREY,
                text=df["signups"])
    fig.add_bar(x=months, y=df["activated_signups"], name=f"Activated within {days} days",
                marker_color=ui.PIPELINE_BLUE, text=df["activated_signups"])
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(barmode="group")
    return ui.style_finding(fig, find.activation(df, days), stamp, width=70, height=400)


TARGET_KPIS = ["mqls", "engaged_targets", "engaged_target_accounts", "mql_noise_share"]


def targets_by_month(df: pd.DataFrame, stamp) -> go.Figure:
    """MQLs (muted) beside engaged targets (strong) per month, engaged target accounts as a
    line (metrics.md v2: the count that replaces MQLs)."""
    months = [find.month(m) for m in df["month"]]
    fig = go.Figure()
    fig.add_bar(x=months, y=df["mqls"], name="MQLs", marker_color=ui.MQL_GREY,
                text=df["mqls"], textposition="outside", cliponaxis=False)
    fig.add_bar(x=months, y=df["engaged_targets"], name="Engaged targets",
                marker_color=ui.PIPELINE_BLUE, text=df["engaged_targets"],
                textposition="outside", cliponaxis=False)
    fig.add_scatter(x=months, y=df["engaged_target_accounts"], name="Engaged target accounts",
                    mode="lines+markers", line={"color": ui.ACCENT, "width": 3})
    fig.update_layout(barmode="group")
    fig.update_yaxes(rangemode="tozero", title="people (accounts for the line)")
    return ui.style_finding(fig, target_find.by_month_finding(df), stamp, height=420)


def targets_section(info: dict, stamp) -> None:
    """Targets where MQLs were: engaged targets and their accounts by month beside MQLs, and
    the MQL noise share (MQLs that are not target people)."""
    st.subheader("Targets where MQLs were", anchor=False)
    now, before = ui.headlines(TARGET_KPIS)
    ui.kpi_row(TARGET_KPIS, now, before, info)
    if not ui.need_tables(info, ["accounts"], "engaged targets"):
        return
    df = ui.view(targets.by_month)
    left, right = st.columns([3, 2])
    with left:
        ui.chart(targets_by_month, df, stamp, key="chart-targets-month")
    with right:
        st.markdown(f"**{ui.esc(target_find.targets_vs_mqls(now))}**")
        ui.table(df, "mqls and engaged targets by month", key="download-targets-month",
                 column_config={
                     "month": st.column_config.DateColumn("month", format="MMM YYYY"),
                     "mqls": "MQLs", "noise_mqls": "MQLs not target people",
                     "engaged_targets": "engaged targets",
                     "engaged_target_accounts": "engaged target accounts",
                     "mql_noise_share": st.column_config.NumberColumn("MQL noise share",
                                                                      format="percent")})
        st.caption("A target person is a person of a target account who matches the target "
                   "persona (Targets page); engaged: a touch in the month or on a deal created "
                   "in it. People engaged in several months count in each.")


def ranking_table(df: pd.DataFrame) -> None:
    ui.table(df, "channel ranking MQL vs pipeline", key="download-ranking", column_config={
        "mql_customers": st.column_config.NumberColumn(
            "MQLs that became customers", help="MQLs of the period whose account won a "
            "new-business deal created on or after the MQL date, by the data as-of date"),
        "mql_to_customer_rate": st.column_config.NumberColumn("MQL-to-customer rate",
                                                              format="percent"),
        "won_customers": st.column_config.NumberColumn(
            "new customers", help="Accounts whose first won new-business deal came from the "
            "channel and closed in the period"),
        "qualified_pipeline": st.column_config.NumberColumn("qualified pipeline", format="$%,.0f"),
        "marketing_cac": st.column_config.NumberColumn("marketing CAC", format="$%,.0f"),
        "rank_by_mqls": "rank by MQLs", "rank_by_pipeline": "rank by pipeline",
        "rank_by_cac": "rank by CAC (1 = cheapest)",
        "flattered": st.column_config.CheckboxColumn("flattered by MQLs"),
    })


def _pipeline_sections(ranking, qs, settings, info, stamp) -> None:
    """The channel ranking and the qualified stage: both read deals."""
    st.subheader("Channel ranking under each lens", anchor=False)
    flattered = find.flattered_channels(ranking)
    st.markdown("A channel is *flattered by the MQL lens* when it ranks at least max(2, n/4) places "
                "better by MQLs than by qualified pipeline or by marketing CAC."
                + (f" This period: **{ui.esc(flattered)}**." if flattered else ""))
    left, right = st.columns([2, 3])
    with left:
        if ranking["rank_by_mqls"].nunique() > 1 and ranking["rank_by_pipeline"].nunique() > 1:
            ui.chart(ranking_slope, ranking, stamp, key="chart-ranking")
        else:  # one channel, or every channel tied on one lens: nothing to draw
            st.info(find.lens_ranking(ranking), icon=":material/info:")
    with right:
        ranking_table(ranking)
        st.caption("Marketing CAC is empty (n/a) for a channel with no new customer in the period; "
                   "such a channel ranks last on CAC.")

    st.subheader("The qualified stage", anchor=False)
    st.markdown(f"**{ui.esc(qs.stage or 'none')}** · {ui.esc(qs.how)}. Win rate by stage over the "
                "whole dataset (not filtered): the share of closed deals that reached each stage and "
                "were won.")
    left, right = st.columns([3, 2])
    with left:
        if qs.win_rates.empty:  # no open stage at all: an empty chart says nothing
            st.info(find.qualified_stage(qs.stage, qs.win_rates, settings.qualified_threshold),
                    icon=":material/info:")
        else:
            ui.chart(stage_chart, qs, settings.qualified_threshold, ui.data_stamp(info),
                     key="chart-stages")
    with right:
        ui.table(qs.win_rates, "win rate by stage", key="download-stages", column_config={
            "win_rate": st.column_config.NumberColumn("win rate", format="percent"),
            "reached_closed": "closed that reached it", "reached_won": "won that reached it",
            "sort_order": "order"})


info = ui.dataset_info()
ui.header("MQLs vs qualified pipeline",
          "The volume lens (MQLs, muted) beside the quality lens (qualified pipeline, strong): "
          "which channels does the MQL count flatter?", info)
deals = ui.need_tables(info, ["opportunities"], "the qualified pipeline lens")

flt, settings = ui.current_filter(), ui.current_settings()
stamp = ui.period_stamp()
has_signups = bool((info.get("tables") or {}).get("signups"))
with st.spinner("Computing both lenses…"):
    now, before = ui.headlines(MQL_KPIS + PIPELINE_KPIS + ["activation_rate"])
    known = ui.view(facts)
    qs = ui.cached(gtm.metrics.resolve_qualified_stage, settings)
    by_month = ui.view(funnel.by_month)
    by_channel = ui.view(funnel.by_channel)
    ranking = ui.view(funnel.channel_ranking)

ui.kpi_row(MQL_KPIS + (["activation_rate"] if has_signups else []), now, before, info)
ui.kpi_row(PIPELINE_KPIS, now, before, info)
ui.delta_caption(info, f"Qualified = reached **{ui.esc(qs.stage or 'a supplied qualified date')}**"
                 " or later." if deals else "")

partial = ui.partial_months(by_month["month"])
if not deals:  # the notice above says what to add; the volume lens alone
    ui.chart(mqls_by_month, by_month, partial, stamp, key="chart-mqls-month")
elif not known["qualification"]:
    st.info(f"The pipeline lens is empty: {ui.esc(FACT_REASONS['qualification'])}. Add the "
            "stage history, or qualified dates, to see which MQLs turn into qualified "
            "pipeline.", icon=":material/info:")
    ui.chart(mqls_by_month, by_month, partial, stamp, key="chart-mqls-month")
else:
    left, right = st.columns(2)
    with left:
        ui.chart(lens_by_month, by_month, partial, stamp, key="chart-lens-month")
    with right:
        ui.chart(lens_by_channel, by_channel, stamp, key="chart-lens-channel")

targets_section(info, stamp)

if deals:
    _pipeline_sections(ranking, qs, settings, info, stamp)

st.subheader("Product-led: signups vs activated signups", anchor=False)
left, right = st.columns([3, 2])
with left:
    if ui.need_tables(info, ["signups"], "signups vs activated signups"):
        ui.chart(activation_chart, by_month, settings.activation_days,
                 ui.partial_months(by_month["month"]), stamp, key="chart-activation")
with right:
    st.markdown("**Both lenses by month**")
    ui.table(by_month, "mqls and pipeline by month", key="download-lens-month", column_config={
        "month": st.column_config.DateColumn("month", format="MMM YYYY"),
        "qualified_pipeline": st.column_config.NumberColumn("qualified pipeline",
                                                            format="$%,.0f")})
