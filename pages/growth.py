"""Growth equation: what a revenue goal takes, and whether the market holds it.

Marketing drags these sliders in pipeline reviews and pastes the link into QBR decks, so
every slider and the solve-for choice is bound to the URL and starts at the historical value
of the current filters. All arithmetic is gtm.plan.growth's; this page reads state and renders.
"""

import math
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from gtm import fmt
from gtm.metrics.growth_inputs import historical, monthly_history
from gtm.narrative import findings
from gtm.plan import check as funnel_check
from gtm.plan import growth
from gtm.plan.growth import FIELD_LABELS, SOLVE_FOR, format_field
from ui.links import Param, notices

BIND = "query-params"
FORMATS = {"money": "$%,d", "percent": "%.1f %%", "count": "%,d", "decimal": "%.2f per account"}
FLOAT_KINDS = ("percent", "decimal")  # sliders that hold fractions (URL values like 38.5, 0.4)
_CHECKED = "_growth_link_checked"
BAND_TILES = (("p10", "P10 (low case)"), ("p50", "P50 (median)"), ("p90", "P90 (high case)"))


@st.cache_data(max_entries=64, show_spinner=False)
def _forecast(history: pd.DataFrame) -> tuple[dict, float | None]:
    """The forecast band and the trailing 12 months it is compared with (once per history,
    not on every slider move)."""
    return growth.forecast_band(history), growth.trailing_new_arr(history)


def _link_notices(specs: dict) -> list[str]:
    """Link values the page will ignore (checked once per session, before the widgets)."""
    if st.session_state.get(_CHECKED):
        return []
    st.session_state[_CHECKED] = True
    raw = {k: st.query_params.get_all(k) for k in (*growth.SLIDER_KEYS.values(), "solve")}
    labels = tuple(FIELD_LABELS[n] for n in SOLVE_FOR)
    labels += SOLVE_FOR  # solve=budget is accepted too (see _accept_short_solve)
    params = [Param(s.key, "float" if s.kind in FLOAT_KINDS else "int", low=s.low, high=s.high)
              for s in specs.values()]
    params.append(Param(growth.SOLVE_KEY, "choice", labels,
                        unknown="expected one of " + ", ".join(SOLVE_FOR)))
    found = notices({k: v for k, v in raw.items() if v}, params)
    solve = (raw.get("solve") or [None])[-1]
    if raw.get("budget") and solve not in (FIELD_LABELS["revenue_goal"], "revenue_goal"):
        found.append(f"Ignored budget={raw['budget'][-1]} from the link: it only applies when "
                     "solving for the revenue goal.")
    return found


def _slider(spec: growth.Slider, disabled: bool = False):
    cast = float if spec.kind in FLOAT_KINDS else int
    shown = format_field(spec.name, spec.historical)
    value = st.slider(spec.label, cast(spec.low), cast(spec.high), cast(spec.default),
                      cast(spec.step), format=FORMATS[spec.kind], key=spec.key, bind=BIND,
                      disabled=disabled,
                      help=f"{growth.SLIDER_HELP[spec.name]} Historical value in the current "
                      f"filters: {shown}.")
    if spec.note:
        st.caption(f":material/info: {spec.note}")
    return value


def _accept_short_solve() -> bool:
    """A hand-written link may name the quantity (solve=budget): take it as its label."""
    raw = st.query_params.get_all(growth.SOLVE_KEY)
    if raw and raw[-1] in SOLVE_FOR and growth.SOLVE_KEY not in st.session_state:
        st.session_state[growth.SOLVE_KEY] = raw[-1]
        return True
    return False


def _inputs(specs: dict) -> tuple[str, dict]:
    """The solve-for choice and every slider value shown for it."""
    # the default index is left out when the link's short name set the value (no double source)
    index = None if _accept_short_solve() else SOLVE_FOR.index(growth.DEFAULT_SOLVE_FOR)
    solve_for = st.radio("Solve for", SOLVE_FOR, index=index,
                         format_func=FIELD_LABELS.get, key=growth.SOLVE_KEY, bind=BIND,
                         help="The quantity computed from the others: every mode works "
                         "forward from the revenue goal, except the revenue goal itself, "
                         "which works back from the acquisition budget.")
    values = {}
    hidden = "revenue_goal" if solve_for == "revenue_goal" else "budget"  # output / unused
    for name, spec in specs.items():
        if name != hidden:
            values[name] = _slider(spec)
    return solve_for, values


TILES = (*SOLVE_FOR, "excess_ratio")


def _tiles(plan: growth.Plan) -> None:
    """The plan in numbers, three to a row; the solved quantity says so."""
    columns = st.columns(3)
    for index, name in enumerate(TILES):
        columns[index % 3].metric(FIELD_LABELS[name], format_field(name, plan.value(name)),
                                  delta="solved" if name == plan.solve_for else None,
                                  delta_color="off", delta_arrow="off", border=True)


def _feasibility(plan: growth.Plan) -> None:
    sentence = plan.notes[-1]
    if plan.feasible is False:
        st.error(f"**The plan needs more buyers than exist.** {sentence}",
                 icon=":material/warning:")
    elif plan.feasible:
        st.success(sentence, icon=":material/check_circle:")
    else:
        st.warning(sentence, icon=":material/help:")


def _funnel_chart(plan: growth.Plan, stamp) -> go.Figure:
    names = ["customers", "qualified_opportunities", "engaged_targets", "people_needed"]
    labels = [FIELD_LABELS[n] for n in names] + ["Addressable people (the market)"]
    values = [plan.value(n) for n in names] + [plan.addressable_people]
    over = plan.feasible is False
    colours = [ui.PIPELINE_BLUE] * 3 + [ui.ACCENT if over else ui.PIPELINE_BLUE, ui.MQL_GREY]
    text = [format_field(n, plan.value(n)) for n in names]
    text.append(format_field("addressable_people", plan.addressable_people))
    fig = go.Figure(go.Bar(y=labels, x=[0 if v is None else v for v in values],
                           orientation="h", marker_color=colours, text=text,
                           textposition="outside", cliponaxis=False, hoverinfo="skip"))
    if plan.addressable_people is not None:
        fig.add_vline(x=plan.addressable_people, line_dash="dash", line_color=ui.MQL_GREY)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(rangemode="tozero")
    return ui.style(fig, findings.growth(plan), stamp, height=340, wrap=85)


def _tornado_chart(rows: list[dict], output: str, stamp) -> go.Figure:
    fig = go.Figure()
    for side, colour, name in (("low", ui.MQL_GREY, "Input −10 %"),
                               ("high", ui.PIPELINE_BLUE, "Input +10 %")):
        fig.add_trace(go.Bar(
            y=[r["label"] for r in rows], x=[(r[side] or 0) - r["base"] for r in rows],
            base=[r["base"] for r in rows], orientation="h", name=name, marker_color=colour,
            text=[format_field(output, r[side]) for r in rows], textposition="outside",
            cliponaxis=False, hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    if rows:
        fig.add_vline(x=rows[0]["base"], line_color=ui.ACCENT)
        ends = [r[side] for r in rows for side in ("low", "high") if r[side] is not None]
        pad = (max(ends) - min(ends)) * 0.35 or 1
        fig.update_xaxes(range=[min(ends) - pad, max(ends) + pad])
    money = "x" if growth.FIELD_UNITS[output] == "usd" else ()
    fig = ui.style(fig, findings.tornado(rows, output), stamp, money=money, height=300, wrap=54)
    fig.update_layout(barmode="overlay", legend={"y": -0.12, "yanchor": "top", "x": 0,
                                                 "xref": "container", "orientation": "h"})
    return fig


def _band_chart(band: dict, trailing, stamp) -> go.Figure:
    fig = go.Figure()
    ahead = f"Next {band['months_ahead']} months (forecast)"
    if trailing is not None:
        fig.add_trace(go.Bar(y=["Last 12 months (actual)"], x=[trailing], orientation="h",
                             marker_color=ui.MQL_GREY, text=[format_field(
                                 "revenue_goal", trailing)], textposition="inside",
                             hoverinfo="skip"))
    fig.add_trace(go.Bar(y=[ahead], x=[band["p90"] - band["p10"]], base=[band["p10"]],
                         orientation="h", marker_color=ui.PIPELINE_BLUE, opacity=0.85,
                         hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        y=[ahead] * 3, x=[band["p10"], band["p50"], band["p90"]], mode="markers",
        marker={"symbol": "line-ns-open", "size": 30, "color": "white", "line": {"width": 3}},
        hovertext=[f"{k.upper()} {format_field('revenue_goal', band[k])}"
                   for k in ("p10", "p50", "p90")], hoverinfo="text"))
    fig.update_xaxes(range=[0, max(band["p90"], trailing or 0) * 1.15])
    fig.update_yaxes(autorange="reversed")
    fig = ui.style(fig, findings.forecast(band, trailing), stamp, money="x", height=280, wrap=54)
    fig.update_layout(showlegend=False, bargap=0.45)
    return fig


# --- the market from the target definition (metrics.md v2) -----------------------------------

MARKET_BASES = ("Target accounts x buying-group size", "Target people")  # a link's values


def _market_basis(hist: dict) -> dict:
    """The historical inputs with the market the user picked: target accounts x group size,
    or the target people (the active definition's persona, people the CRM knows)."""
    basis = st.radio("Market from", MARKET_BASES, key="mbasis", bind=BIND, horizontal=True,
                     help="Target accounts follow the active target definition (Targets page). "
                     "Target people: people of target accounts who match its persona.")
    if basis != MARKET_BASES[1]:
        return hist
    people = hist.get("target_people")
    why = {**(hist.get("why") or {})}
    if not people:
        why["addressable_people"] = ("no target person is in the data (add accounts.csv "
                                     "with target accounts, and their people)")
    return {**hist, "addressable_people": float(people) if people else None, "why": why}


# --- checking a plan written in the old vocabulary (metrics.md v2) ------------------------------

FIELD_EXAMPLE = {"ptopname": "visitors", "ptop": "265000", "psql": "26000", "psal": "2600",
                 "pcust": "", "pmarket": 7500}
PLAN_STEPS = (("psql", "SQL"), ("psal", "SAL"), ("pcust", "customers"))


def _field_example() -> None:
    st.session_state.update(FIELD_EXAMPLE)


def _plan_inputs(default_market) -> dict:
    cols = st.columns([1, 1, 1, 1, 1, 1])
    top_name = cols[0].selectbox("Top of the funnel", funnel_check.TOP_NAMES, key="ptopname",
                                 bind=BIND)
    values = {"top_name": top_name,
              "top": cols[1].text_input(f"{top_name} (volume)", key="ptop", bind=BIND,
                                        placeholder="265000")}
    for column, (key, name) in zip(cols[2:5], PLAN_STEPS, strict=True):
        values[name] = column.text_input(f"{name} (volume or rate %)", key=key, bind=BIND,
                                         placeholder="26000 or 10%")
    market = cols[5].number_input("Market (people)", min_value=0, value=None, step=100,
                                  key="pmarket", bind=BIND,
                                  placeholder=fmt.count(default_market) if default_market
                                  else "people", help="The people who would ever buy; empty: "
                                  "the growth equation's addressable people.")
    values["market"] = default_market if market is None else float(market)
    return values


def _checked(values: dict):
    """The plan check, or the sentence that refuses the inputs."""
    if not (values["top"] or "").strip():
        return None, None
    try:
        top, rate = funnel_check.parse_value(values["top"], values["top_name"])
        if top is None:
            raise ValueError(f"{values['top_name']}: the top of the funnel is a volume")
        steps = [funnel_check.Step(name, *funnel_check.parse_value(values[name], name))
                 for _, name in PLAN_STEPS if (values[name] or "").strip()]
        return funnel_check.check(top, steps, values["market"], values["top_name"]), None
    except ValueError as exc:
        return None, str(exc)


def _check_chart(result, stamp) -> go.Figure:
    rows = list(result.rows)
    colours = [ui.ACCENT if r.over else ui.PIPELINE_BLUE for r in rows]
    fig = go.Figure(go.Bar(y=[r.name for r in rows], x=[r.volume for r in rows],
                           orientation="h", marker_color=colours, cliponaxis=False,
                           text=[f"{fmt.count(r.volume)} · {funnel_check.factor_text(r)}"
                                 for r in rows], textposition="outside", hoverinfo="skip"))
    volumes = [r.volume for r in rows if r.volume > 0] + ([result.market] if result.market
                                                           else [])
    if result.market:  # the line under the bars' labels, its name above the plot
        fig.add_vline(x=result.market, line_dash="dash", line_color=ui.MQL_GREY, layer="below")
        fig.add_annotation(x=math.log10(result.market), xref="x", y=1, yref="paper",
                           yanchor="bottom", showarrow=False, font={"color": ui.MQL_GREY},
                           text=f"market: {fmt.count(result.market)} people")
    fig.update_yaxes(autorange="reversed")
    low, high = (min(volumes), max(volumes)) if volumes else (1, 10)
    fig.update_xaxes(type="log", title="people (log scale)", dtick=1, tickformat="~s",
                     range=[math.log10(low) - 0.4, math.log10(high) + 1.6])
    return ui.style(fig, funnel_check.verdict(result), stamp, height=320, wrap=70)


def _target_plan(plan: growth.Plan, inputs: growth.PlanInputs, result) -> str:
    """The target-based plan for the same revenue: the brought plan's customers x the sale
    price when it names customers, else the growth equation's revenue goal."""
    customers = next((r.volume for r in result.rows if r.name == "customers"), None)
    if customers is not None and inputs.sale_price:
        revenue = customers * inputs.sale_price
        plan = growth.solve(replace(inputs, revenue_goal=revenue, budget=None),
                            "engaged_targets")
    people = plan.people_needed
    if people is None or plan.revenue_goal is None:
        return ("The target-based plan for the same revenue is n/a: " + plan.notes[-1])
    market = result.market
    of = f" of {fmt.count(market)} people"
    share = ("" if not market else f", {fmt.percent(people / market)} of the market{of}"
             if people <= market else f", {people / market:.1f}x the market{of}")
    return (f"The target-based plan for the same {format_field('revenue_goal', plan.revenue_goal)}"
            f": {fmt.count(plan.customers)} customers from "
            f"{fmt.count(plan.qualified_opportunities)} qualified opportunities at "
            f"{fmt.count(plan.engaged_targets)} engaged target accounts, "
            f"{fmt.count(people)} engaged people{share}.")


def plan_check(plan: growth.Plan, inputs: growth.PlanInputs) -> None:
    st.subheader("Check a plan written in the old vocabulary", anchor=False)
    st.markdown("Enter the plan someone brought (visitors, leads or MQLs, then SQLs, SALs, "
                "customers: volumes, or rates from the step before like `10%`) and see it "
                "against the market step by step.")
    values = _plan_inputs(plan.addressable_people)
    st.button("Try the field example", on_click=_field_example, icon=":material/science:")
    result, problem = _checked(values)
    if problem:
        st.error(ui.esc(problem), icon=":material/error:")
        return
    if result is None:
        return
    sentence = funnel_check.verdict(result)
    box = st.error if result.feasible is False else st.success if result.feasible else st.warning
    box(ui.esc(sentence), icon=":material/warning:" if result.feasible is False else None)
    left, right = st.columns(2)
    with left:
        ui.chart(_check_chart, result, ui.period_stamp(), key="growth_check")
    with right:
        rows = [{"step": r.name, "volume": r.volume,
                 "rate from the step before": "top of the funnel" if r.given == "top"
                 else fmt.percent(r.rate),
                 "against the market": funnel_check.factor_text(r)} for r in result.rows]
        ui.table(pd.DataFrame(rows), "plan check", key="download-plan-check", column_config={
            "volume": st.column_config.NumberColumn(format="%,.0f")})
        for note in funnel_check.notes(result):
            st.caption(ui.esc(note))
        st.markdown(f"**{ui.esc(_target_plan(plan, inputs, result))}**")


def main() -> None:
    info = ui.dataset_info()
    ui.header("Growth equation", "What a revenue goal takes (customers, qualified "
              "opportunities, engaged target accounts, budget) and whether the market holds "
              "it. Every slider starts at the historical value of the current filters.", info)
    if not ui.need_tables(info, ["opportunities"], "the growth equation"):
        return
    with st.spinner("Reading the historical inputs…"):
        hist = ui.view(historical)
    hist = _market_basis(hist)
    specs = growth.sliders(hist)
    for text in _link_notices(specs):  # link text is hostile: escaped (test_hostile_urls)
        st.info(ui.esc(text), icon=":material/link_off:")
    _planner(specs, hist)
    _forecast_row()


@st.fragment
def _planner(specs: dict, hist: dict) -> None:
    """The sliders and everything they move: a slider reruns this fragment only (not the
    frame, the sidebar, the page header or the forecast, which no slider moves)."""
    left, right = st.columns([1, 3], gap="medium")
    with left:
        solve_for, values = _inputs(specs)
    entered = {name for name, spec in specs.items() if spec.key in st.query_params}
    inputs = growth.plan_inputs(specs, values, int(hist["group_size"]), solve_for, entered)
    plan = growth.solve(inputs, solve_for)
    with right:
        _tiles(plan)
        _feasibility(plan)
        if plan.value("customers") is None:  # nothing to draw: bars of n/a say nothing
            st.info(findings.growth(plan), icon=":material/calculate:")
        else:
            ui.chart(_funnel_chart, plan, ui.period_stamp(), key="growth_funnel")
            ui.chart(_tornado_chart, growth.sensitivity(inputs, solve_for), solve_for,
                     ui.period_stamp(), key="growth_tornado")
    plan_check(plan, inputs)  # its inputs rerun this fragment too: it reads the plan
    ui.refresh_share_link()  # the sidebar's link did not rerun with the fragment


def _forecast_row() -> None:
    """What the history alone forecasts, beside the plan (the sliders do not move it)."""
    history = ui.view(monthly_history)
    band, trailing = _forecast(history)
    if band["p50"] is None:
        st.info(findings.forecast(band, trailing), icon=":material/query_stats:")
        return
    chart, tiles = st.columns([3, 2], gap="large")
    with chart:
        ui.chart(_band_chart, band, trailing, ui.period_stamp(), key="growth_band")
    with tiles:
        for column, (key, what) in zip(st.columns(3), BAND_TILES, strict=True):
            column.metric(what, format_field("revenue_goal", band[key]), border=True,
                          help=f"New ARR over the next {band['months_ahead']} months.")
        st.caption("Monte Carlo bootstrap (5,000 runs) of the monthly qualified volume, "
                   "win rate and deal size of the last 24 months, drawn independently.")

main()
