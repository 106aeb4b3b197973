"""The Targets page's draft: one YAML document bound to the URL, edited by the page's widgets.

Why one document: the draft a team is building must reopen from a link pasted in a deck, and
round-trip through a file to `python -m gtm targets apply` and back. So the draft *is* the
YAML text of the `icp` text area (bound to the URL); the rule builder, the remove button, the
tier and persona editors and the upload rewrite that text (callbacks, before the next run),
and everything the page computes reads the definition parsed from it (gtm/icp.py). With no
`icp` in the link the draft is the active definition, or a starter that reproduces the v1
rule. Applying a draft writes a new dataset version (gtm.load.targets.apply).
"""

from __future__ import annotations

import functools
import hashlib

import streamlit as st

from gtm import icp
from gtm.load import definitions, store
from gtm.load import targets as apply_targets
from gtm.metrics import targets
from ui import auth, data_access

DRAFT_KEY = "icp"
_PENDING = "_icp_pending"  # the YAML to show after an apply (the widget exists by then)
_NOTICE = "_icp_notice"  # what the last callback did, shown once
NO_DEFINITION = "none"  # the v1 rule, in the version pickers
DRAFT = "draft"


def _history(cur) -> list[definitions.Entry]:
    return definitions.history(cur)


def history() -> list[definitions.Entry]:
    """Every change of the target definition in the published dataset, oldest first."""
    return data_access.cached(_history)


def active() -> tuple[icp.Definition | None, definitions.Entry | None]:
    entries = history()
    entry = entries[-1] if entries and entries[-1].yaml is not None else None
    return (None if entry is None else _read(entry.yaml)), entry


def fields() -> dict[str, str]:
    """The dataset's account fields, name -> kind."""
    frame = data_access.cached(targets.fields)
    return dict(zip(frame["field"], frame["kind"], strict=True))


def field_frame():
    return data_access.cached(targets.fields)


def starter(threshold: float) -> icp.Definition:
    """The first draft: the v1 rule written as weighted rules, so a team starts from the
    target accounts every page counts today. is_target true (2 points), fit_score at or over
    the ICP threshold (1), is_target empty (1): of 4 points, a listed account scores 50 or
    75, an unlisted one with a high score 50, everyone else 25 or 0; tier B from 50."""
    return icp.Definition("The v1 rule as a definition", (
        icp.Rule("is_target", "in", ("true",), weight=2.0),
        icp.Rule("fit_score", ">=", low=float(threshold)),
        icp.Rule("is_target", "is empty")))


def default_text(threshold: float) -> str:
    definition, entry = active()
    return entry.yaml if entry is not None else _starter_text(float(threshold))


@functools.lru_cache(maxsize=16)
def _starter_text(threshold: float) -> str:
    return icp.to_yaml(starter(threshold))


def prepare() -> None:
    """Before the draft's widget is drawn: a YAML an apply left pending becomes the draft."""
    if _PENDING in st.session_state:
        st.session_state[DRAFT_KEY] = st.session_state.pop(_PENDING)


def parse(text: str) -> tuple[icp.Definition | None, list[str]]:
    """The draft, or the sentences that refuse it (each naming its rule)."""
    return _parse(text or "", tuple(fields().items()))


@functools.lru_cache(maxsize=128)
def _parse(text: str, fields: tuple) -> tuple[icp.Definition | None, list[str]]:
    """Parsing YAML costs milliseconds on every rerun: once per text and dataset fields."""
    try:
        return icp.parse(text, dict(fields)), []
    except icp.DefinitionError as exc:
        return None, exc.problems


@functools.lru_cache(maxsize=64)
def _read(text: str) -> icp.Definition:
    return icp.parse(text)


def digest(text: str) -> str:
    """A short hash of the draft: the editors' keys change with it, so they show its values."""
    return hashlib.sha1((text or "").encode("utf-8")).hexdigest()[:10]


def notice() -> str | None:
    return st.session_state.pop(_NOTICE, None)


def _current() -> icp.Definition | None:
    definition, _ = parse(st.session_state.get(DRAFT_KEY) or "")
    return definition


def _store(definition: icp.Definition, message: str) -> None:
    st.session_state[DRAFT_KEY] = icp.to_yaml(definition)
    st.session_state[_NOTICE] = message


# --- callbacks: each rewrites the draft's YAML ------------------------------------------------


def add_rule(field: str) -> None:
    """The rule builder's values as a new rule (refused with the reason in the notice)."""
    state = st.session_state
    op = state.get("rule_op")
    values = list(state.get("rule_values") or [])
    values += [v.strip() for v in (state.get("rule_more") or "").split(",") if v.strip()]
    item = {"field": field, "op": op, "weight": state.get("rule_weight") or 1}
    if op == "between":
        item["values"] = [state.get("rule_low"), state.get("rule_high")]
    elif op == ">=":
        item["value"] = state.get("rule_low")
    elif op == "<=":
        item["value"] = state.get("rule_high")
    elif op in icp.LIST_OPS:
        item["values"] = values
    draft = _current()
    if draft is None:
        state[_NOTICE] = "Fix the draft's YAML first: the rule was not added."
        return
    try:
        rule = icp.from_dict({**icp.to_dict(draft), "rules": [item]}, fields()).rules[0]
    except icp.DefinitionError as exc:
        state[_NOTICE] = "The rule was not added: " + "; ".join(exc.problems)
        return
    _store(icp.with_rule(draft, rule), f"Added rule {len(draft.rules) + 1}: {rule.text()}.")


def remove_rule() -> None:
    draft, number = _current(), st.session_state.get("rule_remove")
    if draft is None or not number:
        return
    if len(draft.rules) == 1:
        st.session_state[_NOTICE] = "A definition needs at least one rule: add another first."
        return
    rule = draft.rules[int(number) - 1]
    _store(icp.without_rule(draft, int(number)), f"Removed rule {number}: {rule.text()}.")


def update_settings(key: str) -> None:
    """The name, tiers, target tier and persona editors (keys suffixed by the draft's hash)."""
    state, draft = st.session_state, _current()
    if draft is None:
        return
    doc = {**icp.to_dict(draft), "name": state.get(f"name_{key}"),
           "tiers": {"A": state.get(f"tier_a_{key}"), "B": state.get(f"tier_b_{key}")},
           "target_tier": state.get(f"target_{key}"),
           "persona": {"buying_roles": list(state.get(f"roles_{key}") or []),
                       "title_keywords": [k.strip() for k in
                                          (state.get(f"titles_{key}") or "").split(",")
                                          if k.strip()]}}
    try:
        _store(icp.from_dict(doc, fields()), "Updated the draft's name, tiers and persona.")
    except icp.DefinitionError as exc:
        state[_NOTICE] = "Not updated: " + "; ".join(exc.problems)


def upload() -> None:
    """A YAML file becomes the draft (checked when the page parses it)."""
    file = st.session_state.get("icp_upload")
    if file is None:
        return
    if file.size > icp.MAX_BYTES:
        st.session_state[_NOTICE] = (f"{file.name} is {file.size:,} bytes; a target definition "
                                     f"is at most {icp.MAX_BYTES // 1024} KB.")
        return
    st.session_state[DRAFT_KEY] = file.getvalue().decode("utf-8-sig", errors="replace")
    st.session_state[_NOTICE] = f"Loaded {file.name} as the draft."


# --- applying -------------------------------------------------------------------------------


def who() -> str:
    """Who applies a definition: the signed-in account, else the app's own user."""
    if auth.auth_configured():
        try:
            email = st.user.to_dict().get("email")
        except Exception:  # no signed-in user in this context
            email = None
        if email:
            return str(email)
    return "app user (no sign-in)"


def apply(definition: icp.Definition | None, note: str, report) -> apply_targets.Applied:
    """Make the draft (None: the v1 rule) the active definition; the page shows it after."""
    result = apply_targets.apply(definition, who(), note, store.default_db_path(), report)
    data_access.clear_caches()
    st.session_state[_PENDING] = icp.to_yaml(definition) if definition is not None else ""
    return result


def version_options() -> dict[str, str]:
    """The version pickers' labels (what a link carries) -> codes: the v1 rule, each version
    of the history ('version 2: ICP 2027'), the draft."""
    options = {"the v1 rule (is_target, else fit_score)": NO_DEFINITION}
    options.update({f"version {e.version}: {e.name}": str(e.version) for e in history()
                    if e.yaml is not None})
    options["the draft"] = DRAFT
    return options


def version(code: str, draft: icp.Definition | None) -> icp.Definition | None:
    if code == DRAFT:
        return draft
    entry = next((e for e in history() if str(e.version) == code), None)
    return None if entry is None or entry.yaml is None else _read(entry.yaml)
