"""Buying groups: are we talking to the whole committee, or betting deals on one contact?

B2B deals are bought by 7 to 11 people; this page shows how many of them (and which
roles) each target account has engaged, how win rate moves with the number of contacts
on a deal, and the open pipeline that hangs on one person.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from gtm import fmt
from gtm.metrics import groups, warm
from gtm.narrative import accounts as fa
from gtm.narrative import targets as target_find
from ui.download import with_na

KPIS = ["avg_group_coverage", "avg_role_coverage", "target_account_penetration"]
HEATMAP_ROWS = 30


def kpis(info: dict, has_contacts: bool) -> None:
    now, before = ui.headlines(KPIS)
    (extra,) = ui.kpi_row(KPIS, now, before, info, extra=1)
    help_text = ("Open new-business deals with at most one contact on the deal at the period "
                 "end: amount.")
    if has_contacts:
        total = groups.single_threaded_summary(ui.view(groups.single_threaded_open))
        shown = fmt.money(total["single_threaded_open_amount"])
    else:  # without the contacts on each deal, every deal would look single-threaded
        shown, help_text = fmt.NA, "n/a: add opportunity_contacts.csv to compute it.\n\n" + help_text
    extra.metric("Single-threaded open pipeline", shown, help=help_text, border=True,
                 height="stretch")


def _thread_names(shown: pd.DataFrame) -> list[str]:
    return [fa.BUCKET_LABELS[b].replace("a single contact", "1 contact") for b in shown["bucket"]]


def win_chart(df: pd.DataFrame, stamp) -> go.Figure:
    shown = df[df["closed"] > 0]
    fig = go.Figure(go.Bar(
        x=_thread_names(shown), y=shown["win_rate"], marker_color=ui.PIPELINE_BLUE,
        text=[f"{fmt.percent(r)}<br>{w} of {c}" for r, w, c in
              zip(shown["win_rate"], shown["won"], shown["closed"], strict=True)],
        textposition="outside", name="Win rate", cliponaxis=False))
    fig.update_yaxes(tickformat=".0%", title="Win rate (won / closed)", rangemode="tozero")
    fig.update_xaxes(title="Contacts on the deal")
    return ui.style(fig, fa.threading_finding(df), stamp, wrap=52)


def cycle_chart(df: pd.DataFrame, stamp) -> go.Figure:
    shown = df[df["closed"] > 0]
    fig = go.Figure(go.Bar(
        x=_thread_names(shown), y=shown["median_cycle_days"], marker_color=ui.MQL_GREY,
        name="Sales cycle", text=[fmt.days(d) for d in shown["median_cycle_days"]],
        textposition="outside", cliponaxis=False))
    fig.update_yaxes(title="Median days, qualified to won", rangemode="tozero")
    fig.update_xaxes(title="Contacts on the deal")
    return ui.style(fig, fa.cycle_finding(df), stamp, wrap=52)


def threading_charts(stamp) -> None:
    df = ui.view(groups.threading)
    left, right = st.columns(2)
    with left:
        ui.chart(win_chart, df, stamp, key="threading-win")
    with right:
        ui.chart(cycle_chart, df, stamp, key="threading-cycle")
    st.caption("Closed new-business deals in the period, by distinct contacts on the deal "
               "(opportunity contacts).")


def heatmap_chart(df: pd.DataFrame, roles: list[str], stamp) -> go.Figure:
    rows = [f"{ui.chart_text(str(a)[:28])} · {fmt.money(v)}" for a, v in
            zip(df["account"], df["open_pipeline"], strict=True)]
    counts = df[roles]
    fig = go.Figure(go.Heatmap(
        z=counts.clip(upper=4).to_numpy(), x=[ui.chart_text(fa.label(r)) for r in roles], y=rows,
        text=counts.to_numpy(), texttemplate="%{text}", zmin=0, zmax=4, xgap=2, ygap=2,
        colorscale=[[0, "#F4C7C3"], [0.125, "#F4C7C3"], [0.125, "#D6E4F0"],
                    [1, ui.PIPELINE_BLUE]],
        showscale=False, hovertemplate="%{y}<br>%{x}: %{text} engaged<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    height = 140 + 26 * len(df)
    return ui.style(fig, fa.heatmap_finding(df, roles), stamp, height=height)


def role_heatmap(stamp) -> None:
    roles = list(ui.current_settings().required_roles)
    df = ui.view(groups.role_heatmap, HEATMAP_ROWS)
    if df.empty:
        st.info(fa.heatmap_finding(df, roles))
        return
    ui.chart(heatmap_chart, df, roles, stamp, key="heatmap")
    st.caption(f"Target accounts with open deals at the period end (up to {HEATMAP_ROWS}), "
               "worst role coverage first, then the largest open pipeline; each cell counts "
               "the engaged people in that role (red: nobody).")


def single_threaded() -> None:
    df = ui.view(groups.single_threaded_open)
    st.subheader(fa.single_threaded_finding(groups.single_threaded_summary(df)), anchor=False)
    if df.empty:
        return
    ui.table(df, "single-threaded open pipeline", key="download-single-threaded",
             column_config={
                 "opportunity_id": "Opportunity", "account_id": "Account id",
                 "account": "Account", "stage": "Stage at period end",
                 "amount": st.column_config.NumberColumn("Amount", format="$%,.0f"),
                 "contacts": "Contacts",
                 "close_date": st.column_config.DateColumn("Close date", format="YYYY-MM-DD")})


WARM_KPIS = ["warm_start_rate", "warm_win_rate", "cold_win_rate"]
WARM_BY = ("segment", "channel")


def warm_chart(df: pd.DataFrame, by: str, stamp) -> go.Figure:
    """Warm against cold win rate per segment or channel, the warm-start rate as a marker."""
    rows = df.iloc[1:]
    names = [ui.chart_text(fa.label(v)) for v in rows[by]]  # segments, channels: data
    fig = go.Figure()
    for column, name, colour in (("warm_win_rate", "Warm starts: win rate", ui.PIPELINE_BLUE),
                                 ("cold_win_rate", "Cold starts: win rate", ui.MQL_GREY)):
        fig.add_bar(x=names, y=rows[column], name=name, marker_color=colour,
                    text=[fmt.percent(v) if not fmt.is_missing(v) else fmt.NA
                          for v in rows[column]], textposition="outside", cliponaxis=False)
    fig.add_scatter(x=names, y=rows["warm_start_rate"], name="Warm-start rate",
                    mode="markers", marker={"symbol": "diamond", "size": 12, "color": ui.ACCENT})
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return ui.style_finding(fig, target_find.warm_segment_finding(df, by), stamp, height=400)


def warm_starts(info: dict, stamp) -> None:
    """Warm starts (metrics.md v2): the share of new deals that start in a warm room, and how
    warm and cold starts close, by segment or channel, with the deals and touches behind it."""
    st.subheader("Warm starts: do deals start in warm rooms?", anchor=False)
    if not ui.need_tables(info, ["opportunities", "touches"], "warm starts"):
        return
    settings = ui.current_settings()
    now, before = ui.headlines(WARM_KPIS)
    by = st.segmented_control("By", WARM_BY, default=WARM_BY[0], key="wby",
                              bind="query-params", required=True)
    df = ui.view(warm.breakdown, by)
    ui.kpi_row(WARM_KPIS, now, before, info)
    total = df.iloc[0]
    st.markdown(f"**{ui.esc(target_find.warm_finding(total))}** Average won deal: warm "
                f"{fmt.money(total['warm_avg_won'])}, cold {fmt.money(total['cold_avg_won'])}; "
                f"sales cycle (median, qualified to won): warm "
                f"{fmt.days(total['warm_cycle_days'])}, cold {fmt.days(total['cold_cycle_days'])}.")
    sales = ", ".join(settings.sales_channels) or "none"
    st.caption(f"Warm start: at least {settings.warm_people} people of the account made at "
               f"least {settings.warm_touches} touches in the {settings.warm_days} days before "
               f"the deal was created, on channels other than the sales-owned ones "
               f"({ui.esc(sales)}). Change these in the sidebar settings.")
    left, right = st.columns([3, 2])
    with left:
        ui.chart(warm_chart, df, by, stamp, key="chart-warm")
    with right:
        ui.table(df, f"warm starts by {by}", key="download-warm", column_config={
            "warm_start_rate": st.column_config.NumberColumn("warm-start rate", format="percent"),
            "warm_win_rate": st.column_config.NumberColumn("warm win rate", format="percent"),
            "cold_win_rate": st.column_config.NumberColumn("cold win rate", format="percent"),
            "warm_avg_won": st.column_config.NumberColumn("warm avg won", format="$%,.0f"),
            "cold_avg_won": st.column_config.NumberColumn("cold avg won", format="$%,.0f")})
    warm_audit()


AUDIT_SHOWN = 300  # deals listed on the page (warm first); the downloads have every one


def warm_audit() -> None:
    deals = ui.view(warm.audit)  # warm first, then the most touches
    shown = deals.head(AUDIT_SHOWN)
    st.markdown("**Behind each figure: the deals, and the touches that made them warm**")
    more = (f" (the first {AUDIT_SHOWN:,} of {len(deals):,}, warm first; the download has "
            "every one)" if len(deals) > AUDIT_SHOWN else "")
    st.caption(f"{len(deals):,} deals created or closed in the period{more}.")
    shown, config = with_na(shown, {
        "created_date": st.column_config.DateColumn("created", format="YYYY-MM-DD"),
        "close_date": st.column_config.DateColumn("close", format="YYYY-MM-DD"),
        "is_warm": st.column_config.CheckboxColumn("warm start"),
        "window_people": "people in the window", "window_touches": "touches in the window",
        "amount": st.column_config.NumberColumn(format="$%,.0f")})
    st.dataframe(shown, hide_index=True, width="stretch", height=300, column_config=config)
    left, right = st.columns(2)
    with left:
        ui.deferred_csv("Download every deal (CSV)", lambda: ui.view(warm.audit),
                        "warm start audit", key="download-warm-audit")
    with right:
        ui.deferred_csv("Download every deal's touches (CSV)",
                        lambda: ui.view(warm.window_touches), "warm start touches",
                        key="download-warm-touches")
    options = deals["opportunity_id"].head(AUDIT_SHOWN).tolist()
    if not options:
        return
    pick = st.selectbox("Touches in the window of", options, key="wopp", bind="query-params")
    st.dataframe(ui.view(warm.window_touches, pick), hide_index=True, width="stretch",
                 column_config={"touch_day": st.column_config.DateColumn(
                     "touch day", format="YYYY-MM-DD")})


info = ui.dataset_info()
ui.header("Buying groups", "Whole buying committees engaged, not single leads: coverage of "
          "target accounts, win rate by threading, pipeline hanging on one contact.", info)
provided = info.get("tables") or {}
if provided.get("touches") or provided.get("opportunity_contacts"):
    stamp = ui.period_stamp()
    has_contacts = bool(provided.get("opportunity_contacts"))
    kpis(info, has_contacts)
    if ui.need_tables(info, ["opportunity_contacts"], "win rate by threading and the open "
                      "pipeline that hangs on one contact"):
        threading_charts(stamp)
    role_heatmap(stamp)
    if has_contacts:
        single_threaded()
    warm_starts(info, stamp)
else:
    ui.need_tables(info, ["touches", "opportunity_contacts"], "buying groups")
