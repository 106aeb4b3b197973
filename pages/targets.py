"""Targets: define the ideal customer, test it against what closed and stayed, count targets.

The page a team builds its target definition on (metrics.md v2): the evidence for a rule
(each value of a field with its accounts, win rate, average deal and new customers), the
draft's rules, tiers and persona, how many accounts and people it makes targets and how
their outcomes compare with the rest before anyone saves it, tiers A/B/C side by side, two
versions side by side, and the account and people lists for sales follow-up. The draft is
one YAML document bound to the URL (ui/targets.py); all numbers are gtm.metrics.targets'.
"""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import ui
from gtm import fmt, icp
from gtm.contract import BUYING_ROLES
from gtm.metrics import targets
from gtm.narrative import targets as say
from ui import targets as draft_state
from ui.download import with_na
from ui.frame import progress_callback

KPIS = ["target_people", "engaged_targets", "engaged_target_accounts", "mql_noise_share"]
BIND = "query-params"
MONEY = "$%,.0f"
OUTCOME_CONFIG = {
    "group": "Group", "accounts": "Accounts in view", "new_customers": "New customers",
    "customer_rate": st.column_config.NumberColumn("New-customer rate", format="percent"),
    "closed_qualified": "Qualified deals closed",
    "qualified_win_rate": st.column_config.NumberColumn("Qualified win rate", format="percent"),
    "won_deals": "Deals won",
    "avg_won_amount": st.column_config.NumberColumn("Average won amount", format=MONEY),
    "sales_cycle_days": st.column_config.NumberColumn("Sales cycle (median days)",
                                                      format="%.1f"),
    "nrr_12m": st.column_config.NumberColumn("NRR (12 months)", format="percent"),
    "target": st.column_config.CheckboxColumn("Target tier"),
}


# --- charts ---------------------------------------------------------------------------------


def outcome_bars(df: pd.DataFrame, title: str, stamp, width: int = 62) -> go.Figure:
    """Qualified win rate and new-customer rate per group (tiers, targets vs the rest)."""
    names = [ui.chart_text(str(g)[:1].upper() + str(g)[1:]) for g in df["group"]]
    fig = go.Figure()
    fig.add_bar(x=names, y=df["qualified_win_rate"], name="Qualified win rate",
                marker_color=ui.PIPELINE_BLUE,
                text=[fmt.percent(v) if not fmt.is_missing(v) else fmt.NA
                      for v in df["qualified_win_rate"]])
    fig.add_bar(x=names, y=df["customer_rate"], name="New-customer rate",
                marker_color=ui.ACCENT,
                text=[fmt.percent(v) if not fmt.is_missing(v) else fmt.NA
                      for v in df["customer_rate"]])
    fig.update_traces(textposition="outside", cliponaxis=False)
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return ui.style_finding(fig, title, stamp, width=width, height=380)


def evidence_bars(df: pd.DataFrame, labels: list[str], title: str, stamp) -> go.Figure:
    shown = df.assign(label=[ui.chart_text(v) for v in labels]).iloc[::-1]  # CRM values
    fig = go.Figure(go.Bar(
        y=shown["label"], x=shown["qualified_win_rate"].fillna(0), orientation="h",
        marker_color=[ui.MQL_GREY if fmt.is_missing(v) else ui.PIPELINE_BLUE
                      for v in shown["qualified_win_rate"]],
        text=[f"{fmt.percent(r) if not fmt.is_missing(r) else fmt.NA} · {a:,} accounts"
              for r, a in zip(shown["qualified_win_rate"], shown["accounts"], strict=True)],
        textposition="outside", cliponaxis=False, hoverinfo="skip"))
    fig.update_xaxes(tickformat=".0%", range=[0, 1.3], tickvals=[0, 0.25, 0.5, 0.75, 1],
                     title="Qualified win rate")
    return ui.style(fig, title, stamp, height=max(320, 30 * len(df) + 120), wrap=110)


# --- sections -------------------------------------------------------------------------------


def status(info: dict, definition, entry) -> None:
    label = None if entry is None else entry.label
    st.markdown(ui.esc(say.definition_status(definition, label,
                                             ui.current_settings().icp_threshold)))
    now, before = ui.headlines(KPIS + ["mqls"])
    ui.kpi_row(KPIS, now, before, info)
    st.caption(ui.esc(say.targets_vs_mqls(now)) + " Tiles follow the active definition; "
               "the sections below test the draft.")


def yaml_editor(threshold: float) -> str:
    """The draft as YAML (bound to the URL), with download, upload and what refuses it."""
    draft_state.prepare()
    with st.expander("The draft as YAML: edit, download, upload", icon=":material/code:"):
        text = st.text_area("Target definition (YAML)", draft_state.default_text(threshold),
                            key=draft_state.DRAFT_KEY, bind=BIND, height=300,
                            help="Rules (field, op, values, weight), tiers (where A and B "
                            "start), target_tier and an optional persona. The same file "
                            "`python -m gtm targets apply FILE` takes.")
        left, right = st.columns(2)
        with left:
            ui.text_download("Download YAML", text or "", "target-definition.yaml",
                             key="download-icp")
        right.file_uploader("Upload a definition", type=["yaml", "yml"], key="icp_upload",
                            on_change=draft_state.upload, label_visibility="collapsed")
    return text


def rules_table(definition: icp.Definition, counts: list[int]) -> None:
    rows = [{"rule": i, "weight": r.weight, "share of points": r.weight / definition.points,
             "accounts matching": counts[i - 1] if i <= len(counts) else 0, "what": r.text()}
            for i, r in enumerate(definition.rules, 1)]  # the text last: it may be cut
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
        "rule": st.column_config.NumberColumn(width="small"),
        "what": st.column_config.TextColumn("rule text", width="large"),
        "share of points": st.column_config.NumberColumn("share", format="percent",
                                                         width="small"),
        "weight": st.column_config.NumberColumn(width="small"),
        "accounts matching": st.column_config.NumberColumn("accounts", width="small")})
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.selectbox("Remove a rule", [r["rule"] for r in rows], key="rule_remove",
                   format_func=lambda n: f"{n}: {definition.rules[n - 1].text()}")
    right.button("Remove", on_click=draft_state.remove_rule, icon=":material/delete:")


def settings_editor(definition: icp.Definition, key: str) -> None:
    with st.popover("Name, tiers and persona", icon=":material/tune:"):
        st.text_input("Name", definition.name, key=f"name_{key}")
        a, b, t = st.columns(3)
        a.number_input("A from fit", 1.0, 100.0, float(definition.tier_a), 5.0, key=f"tier_a_{key}")
        b.number_input("B from fit", 1.0, 100.0, float(definition.tier_b), 5.0, key=f"tier_b_{key}")
        t.selectbox("Targets: tier", icp.TIERS, icp.TIERS.index(definition.target_tier),
                    key=f"target_{key}", help="Target accounts are at this tier or above.")
        st.multiselect("Persona: buying roles", list(BUYING_ROLES),
                       list(definition.persona.roles), key=f"roles_{key}")
        st.text_input("Persona: title contains (comma separated)",
                      ", ".join(definition.persona.title_keywords), key=f"titles_{key}")
        st.button("Update the draft", on_click=draft_state.update_settings, args=(key,))


def preview(definition: icp.Definition, counts: dict, stamp) -> None:
    people = ui.view(targets.draft_people, definition)
    cols = st.columns(3)
    cols[0].metric("Draft targets", fmt.count(counts["draft_targets"]), border=True,
                   help="Target accounts of the view under the draft.")
    cols[1].metric("Target people", fmt.count(people["target_people"]), border=True,
                   help=f"People of the draft's target accounts who match its persona "
                   f"({definition.persona.text()}), created by the period end.")
    cols[2].metric("Engaged", fmt.count(people["engaged_targets"]), border=True,
                   help=f"At {fmt.count(people['engaged_target_accounts'])} target accounts: "
                   "a touch in period or on a deal created in it.")
    st.caption(say.draft_change(counts))  # not a tile delta: those compare periods
    outcomes = ui.view(targets.target_outcomes, definition)
    ui.chart(outcome_bars, outcomes, say.targets_vs_rest(outcomes, "Draft targets"), stamp,
             48, key="chart-targets-rest")


def evidence(info: dict, definition, stamp) -> None:
    frame = draft_state.field_frame()
    names = list(frame["field"])
    default = names.index("industry") if "industry" in names else 0
    field = st.selectbox("Field", names, index=default, key="field", bind=BIND,
                         help="Any column of the accounts, the extra columns of the export "
                         "too (kept in raw_accounts).")
    kind, filled = frame.set_index("field").loc[field, ["kind", "accounts"]]
    st.caption(f"{ui.esc(field)}: {kind}, {filled:,} accounts with a value.")
    numeric = kind == "number"
    df = ui.view(targets.evidence, field, numeric)
    labels = [say.value_label(r, numeric) for r in df.to_dict("records")]
    ui.chart(evidence_bars, df, labels, say.evidence_finding(df, field, numeric), stamp,
             key="chart-evidence")
    shown = df.drop(columns=["low", "high"]).assign(value=labels)
    ui.table(shown, f"evidence {field}", key="download-evidence",
             column_config={**OUTCOME_CONFIG, "value": field})
    rule_builder(field, kind, df, labels)


def rule_builder(field: str, kind: str, df: pd.DataFrame, labels: list[str]) -> None:
    ops = icp.OPERATORS if kind == "number" else tuple(o for o in icp.OPERATORS
                                                       if o not in icp.NUMBER_OPS)
    st.markdown(f"**Add a rule on {ui.esc(field)}**")
    a, b, c = st.columns([1, 3, 1])
    op = a.selectbox("Operator", ops, key="rule_op")
    if op in icp.LIST_OPS:
        values = [v for v in df["value"] if v not in (targets.NO_VALUE, targets.OTHER)]
        b.multiselect("Values", values if not kind == "number" else [], key="rule_values")
        b.text_input("Other values (comma separated)", key="rule_more")
    elif op in icp.NUMBER_OPS:
        low, high = df["low"].min(), df["high"].max()
        if op in ("between", ">="):
            b.number_input("From", value=float(low) if not fmt.is_missing(low) else 0.0,
                           key="rule_low")
        if op in ("between", "<="):
            b.number_input("To", value=float(high) if not fmt.is_missing(high) else 0.0,
                           key="rule_high")
    c.number_input("Weight (points)", 0.5, 1000.0, 1.0, 0.5, key="rule_weight")
    st.button("Add rule", on_click=draft_state.add_rule, args=(field,), type="primary",
              icon=":material/add:")


def tiers(definition: icp.Definition, stamp) -> None:
    df = ui.view(targets.tier_outcomes, definition)
    left, right = st.columns(2)
    with left:
        ui.chart(outcome_bars, df, say.tiers_finding(df), stamp, key="chart-tiers")
    ui.table(df, "outcomes by tier", key="download-tiers",
             column_config={**OUTCOME_CONFIG, "group": "Tier"})
    with right:
        st.caption(f"Tier A from a fit of {definition.tier_a:g}, B from {definition.tier_b:g}, "
                   f"C below; targets: {definition.targets_text()}. Outside: accounts with no "
                   "value for any rule's field (they score 0). New customers, win rate, won "
                   "amount and cycle are the period's; NRR is the 12 months to its end.")


def compare(definition, stamp) -> None:
    options = draft_state.version_options()  # label -> code; a link carries the label
    labels = list(options)
    _, entry = draft_state.active()
    before = next((label for label, code in options.items()
                   if entry is not None and code == str(entry.version)), labels[0])
    left, right = st.columns(2)
    a = left.selectbox("From", labels, labels.index(before), key="va", bind=BIND)
    b = right.selectbox("To", labels, len(labels) - 1, key="vb", bind=BIND)
    if draft_state.DRAFT in (options[a], options[b]) and definition is None:
        st.info("The draft does not parse: fix its YAML to compare it.")
        return
    result = ui.view(targets.compare, draft_state.version(options[a], definition),
                     draft_state.version(options[b], definition))
    st.markdown(f"**{ui.esc(say.compare_finding(result, a, b))}**")
    ui.table(result["outcomes"], "versions compared", key="download-compare",
             column_config={**OUTCOME_CONFIG, "group": "Target accounts"})


SHOWN = 200  # accounts listed on the page (the download has every one)
LIST_ORDER = ["account_id", "account", "tier", "fit", "is_target", "target_now", "engaged_people",
              "touches", "last_touch", "open_pipeline", "customer", "region", "segment", "rules"]


def lists(definition: icp.Definition) -> None:
    shown = ui.view(targets.account_list, definition, SHOWN)[LIST_ORDER]
    st.caption(f"Under the draft: targets first, engaged first, then tier and fit (the first "
               f"{SHOWN} accounts; the downloads have every account and every target person).")
    shown, config = with_na(shown, {
        "fit": st.column_config.NumberColumn("fit", format="%.0f"),
        "is_target": st.column_config.CheckboxColumn("target (draft)"),
        "target_now": st.column_config.CheckboxColumn("target now"),
        "engaged_people": "engaged people",
        "open_pipeline": st.column_config.NumberColumn("open pipeline", format=MONEY),
        "last_touch": st.column_config.DateColumn("last touch", format="YYYY-MM-DD")})
    st.dataframe(shown, hide_index=True, width="stretch", height=420, column_config=config)
    left, right = st.columns(2)
    with left:
        ui.deferred_csv("Download every account (CSV)",
                        lambda: ui.view(targets.account_list, definition), "target accounts",
                        key="download-accounts")
    with right:
        ui.deferred_csv("Download the target people (CSV)",
                        lambda: ui.view(targets.people_list, definition), "target people",
                        key="download-people")


def apply_controls(definition, entry) -> None:
    """Apply the draft (or switch off) beside it: a new dataset version every page reads."""
    st.text_input("Why (kept in the history)", key="icp_note",
                  placeholder="what changed and why")
    left, right = st.columns(2)
    active = None if entry is None else draft_state.version(str(entry.version), None)
    same = definition is not None and definition == active
    left.button("Apply the draft", type="primary", disabled=definition is None or same,
                icon=":material/check:", on_click=_request, args=(definition,),
                help="Already the active definition" if same else "Every page then counts "
                "its target accounts and people; the data is not loaded again.")
    right.button("Switch off (back to the v1 rule)", disabled=entry is None,
                 icon=":material/undo:", on_click=_request, args=(None,),
                 help="Target accounts: is_target, else fit_score at or over the threshold.")


def history() -> None:
    entries = draft_state.history()
    if not entries:
        st.info("No target definition was applied yet: every page uses the v1 rule.")
        return
    rows = [{"version": e.version, "definition": e.name or "switched off (the v1 rule)",
             "who": e.who, "when": e.changed_at.replace("T", " ")[:19],
             "what changed": e.change.replace("\n", "; "), "why": e.note}
            for e in reversed(entries)]
    ui.table(pd.DataFrame(rows), "target definition history", key="download-history")
    st.caption("Each change is kept in the dataset (as a new version: a published one is never "
               "changed); `python -m gtm targets show --history` prints the same.")


_REQUEST = "_icp_apply_request"


def _request(definition) -> None:
    """The buttons' callback: the apply runs in the script, with its progress bar; the note is
    the one typed by the time of the click."""
    st.session_state[_REQUEST] = (definition, st.session_state.get("icp_note") or "")


def _apply(definition, note: str) -> None:
    with st.status("Applying the target definition…", expanded=True) as box:
        bar = st.progress(0.0, text="Copying the published dataset")
        try:
            result = draft_state.apply(definition, note, progress_callback(bar))
        except (icp.DefinitionError, ValueError, FileNotFoundError) as exc:
            box.update(label="Not applied", state="error")
            st.error(ui.esc(str(exc)))
            return
        box.update(label="Applied" if result.changed else "Nothing to apply", state="complete")
    st.rerun()


TABS = ("Evidence for a rule", "Tiers A, B, C", "Two versions", "Who is engaged", "History")


def sections(info: dict, definition, stamp) -> None:
    """The heavier views, in tabs that run only when open (the open one is in the URL)."""
    tabs = st.tabs(TABS, key="ttab", bind=BIND)
    views = ((lambda: evidence(info, definition, stamp), False),
             (lambda: tiers(definition, stamp), True),
             (lambda: compare(definition, stamp), False),
             (lambda: lists(definition), True),
             (history, False))
    for tab, (view, needs_draft) in zip(tabs, views, strict=True):
        if not tab.open:
            continue
        with tab:
            if needs_draft and definition is None:
                st.info("Fix the draft's YAML to see this.", icon=":material/error:")
            else:
                view()


def draft_section(definition, problems: list[str], text: str, entry, stamp) -> None:
    st.subheader("The draft", anchor=False)
    if definition is None:
        st.error("The draft is refused:\n\n" + "\n".join(f"- {ui.esc(p)}" for p in problems),
                 icon=":material/error:")
        if entry is not None:
            apply_controls(None, entry)
        return
    counts = ui.view(targets.draft_counts, definition)
    left, right = st.columns([1, 1], gap="large")
    with left:
        rules = len(definition.rules)
        st.markdown(f"**{ui.esc(definition.name)}** · {rules} rule{'s' * (rules != 1)}, "
                    f"{definition.points:g} points; targets: {ui.esc(definition.targets_text())}")
        rules_table(definition, counts["rule_counts"])
        settings_editor(definition, draft_state.digest(text))
        apply_controls(definition, entry)
    with right:
        preview(definition, counts, stamp)


def main() -> None:
    info = ui.dataset_info()
    ui.header("Targets", "Targets instead of MQLs: define the ideal customer with weighted "
              "rules, test it against what closed and stayed, and see who is engaged.", info)
    if not ui.need_tables(info, ["accounts"], "target definitions"):
        return
    threshold = ui.current_settings().icp_threshold
    active, entry = draft_state.active()
    status(info, active, entry)
    text = yaml_editor(threshold)
    message = draft_state.notice()
    if message:
        st.toast(ui.esc(message), icon=":material/edit:")
    definition, problems = draft_state.parse(text)
    stamp = ui.period_stamp()
    draft_section(definition, problems, text, entry, stamp)
    sections(info, definition, stamp)
    if _REQUEST in st.session_state:
        _apply(*st.session_state.pop(_REQUEST))


main()
