"""HubSpot exports (contacts, companies, deals; export labels or internal names) -> canonical.

Why: HubSpot portals export one file per object with either labels ('Create Date',
'Deal Stage', 'Became a Marketing Qualified Lead Date') or internal names (createdate,
dealstage, hs_lifecyclestage_marketingqualifiedlead_date). The mapping below lists
both. What a column mapping cannot say is code here: deal stage history comes from the
"Date entered '<stage> (<pipeline>)'" / hs_v2_date_entered_<stage> columns, internal
stage ids become their labels, 'Associated Company IDs' hold several ids (the first is
the account), and a deal's associated contacts become its buying group.
"""

from __future__ import annotations

import re

import pandas as pd

from gtm.importers import canonical as cn
from gtm.importers import dates
from gtm.importers.canonical import Output, StageList, code, first_id, frames
from gtm.importers.mapping import FILE, FileMap, Mapping, norm
from gtm.importers.read import LINE
from gtm.load.skip import RowMessage
from gtm.load.validate import Message

COMPANY = ("Associated Company IDs (Primary)", "Associated Company ID",
           "Associated Company IDs", "associatedcompanyid", "Company ID")
RECORD = ("Record ID", "hs_object_id")
MQL = ("Became a Marketing Qualified Lead Date", "hs_lifecyclestage_marketingqualifiedlead_date",
       "hs_v2_date_entered_marketingqualifiedlead",
       "Date entered 'Marketing Qualified Lead (Lifecycle Stage Pipeline)'")
PIPELINE = [("appointmentscheduled", "Appointment Scheduled"),
            ("qualifiedtobuy", "Qualified To Buy"),
            ("presentationscheduled", "Presentation Scheduled"),
            ("decisionmakerboughtin", "Decision Maker Bought-In"),
            ("contractsent", "Contract Sent"), ("closedwon", "Closed Won"),
            ("closedlost", "Closed Lost")]
LABELS = {norm(k): v for k, v in PIPELINE} | {norm(v): v for _, v in PIPELINE}
ENTERED = (re.compile(r"date entered ['\"‘’]?(.+?)['\"‘’]?$", re.I),
           re.compile(r"hs(?:_v2)?_date_entered_(.+)$", re.I))


EXPORT_NAME = re.compile(r"hubspot-crm-exports-.+", re.I)


def names_an_object(stem: str) -> bool:
    """True for a HubSpot export's own file name (hubspot-crm-exports-all-tickets-...)."""
    return bool(EXPORT_NAME.fullmatch(stem))


def _company_currency(parts) -> None:
    """'Amount in company currency' is already converted: its currency is the portal's."""
    for e in parts:
        if norm(e.columns.get("amount", "")) in ("amountincompanycurrency",
                                                 "amountinhomecurrency"):
            e.frame["currency"] = None
            e.columns.pop("currency", None)


def mapping() -> Mapping:
    """The built-in HubSpot mapping (deals first: their headers name companies too)."""
    return Mapping("hubspot", [
        FileMap("deals", "opportunities", {
            "opportunity_id": ("Record ID", "Deal ID", "hs_object_id"), "account_id": COMPANY,
            "contacts": ("Associated Contact IDs", "Associated Contact ID",
                         "associatedcontactid"),
            "created_date": ("Create Date", "createdate"), "type": ("Deal Type", "dealtype"),
            "stage": ("Deal Stage", "dealstage"),
            "amount": ("Amount in company currency", "amount_in_home_currency", "Amount",
                       "amount"),
            "currency": ("Currency", "deal_currency_code", "Deal Currency"),
            "close_date": ("Close Date", "closedate"),
            "is_closed": ("Is Deal Closed?", "Is Closed", "hs_is_closed"),
            "is_won": ("Is Closed Won", "hs_is_closed_won"),
            "channel": ("Original Source Type", "Original Traffic Source", "hs_analytics_source"),
            "lost_reason": ("Closed Lost Reason", "closed_lost_reason")},
            match=("*deal*",), signature=(("Record ID", "Deal Stage"), ("hs_object_id", "dealstage"),
                                          ("Deal ID", "Deal Stage", "Pipeline")),
            dates=("created_date", "close_date"), money=("amount",),
            required=("opportunity_id", "account_id", "created_date", "stage")),
        FileMap("contacts", "people", {
            "person_id": ("Record ID", "Contact ID", "hs_object_id", "vid"),
            "account_id": COMPANY, "created_date": ("Create Date", "createdate"),
            "channel": ("Original Source", "Original Traffic Source", "hs_analytics_source"),
            "title": ("Job Title", "jobtitle"), "buying_role": ("Buying Role", "hs_buying_role"),
            "mql_date": MQL,
            "disqualified_date": ("Disqualified Date", "Unqualified Date"),
            "disqualified_reason": ("Disqualification Reason",
                                    "hs_lead_disqualification_reason")},
            match=("*contact*",),
            signature=(("Record ID", "Lifecycle Stage"), ("hs_object_id", "lifecyclestage"),
                       ("Record ID", "Email"), ("hs_object_id", "email")),
            dates=("created_date", "mql_date", "disqualified_date"),
            required=("person_id", "created_date"), ambiguous=("mql_date",)),
        FileMap("companies", "accounts", {
            "account_id": ("Record ID", "Company ID", "hs_object_id"),
            "name": ("Company name", "name"), "industry": ("Industry", "industry"),
            "employees": ("Number of Employees", "numberofemployees"),
            "annual_revenue": ("Annual Revenue", "annualrevenue"),
            "region": ("Region", "Sales Region"),
            "country": ("Country/Region", "Country", "country"),
            "segment": ("Segment", "Company Segment", "Customer Segment"),
            "is_target": ("Target Account", "Is Target Account", "hs_is_target_account"),
            "fit_score": ("ICP Fit Score", "Fit Score")},
            match=("*compan*",),
            signature=(("Record ID", "Company name"), ("Company ID", "Company name"),
                       ("Record ID", "Company Domain Name"), ("hs_object_id", "domain")),
            money=("annual_revenue",), required=("account_id",)),
    ])


def assemble(extracts, chosen: Mapping, out: Output, messages: list[Message],
             provided=frozenset()) -> None:
    companies = frames(extracts, "companies")
    if companies is not None:
        out.add("accounts", _accounts(companies))
    contacts = frames(extracts, "contacts")
    if contacts is not None:
        out.add("people", _people(contacts))
    deal_parts = [e for e in extracts if e.filemap.name == "deals"]
    if deal_parts:
        _deals(deal_parts, contacts, out, messages, provided)


def _accounts(companies: pd.DataFrame) -> pd.DataFrame:
    if "country" in companies:
        derived = pd.Series([cn.region(c) for c in companies["country"]], index=companies.index)
        companies["region"] = companies["region"].fillna(derived) if "region" in companies \
            else derived
    return companies


def _people(contacts: pd.DataFrame) -> pd.DataFrame:
    if "account_id" in contacts:
        contacts["account_id"] = [first_id(v) for v in contacts["account_id"]]
    contacts["channel"] = [cn.channel(v) for v in contacts.get("channel", [None] * len(contacts))]
    if "buying_role" in contacts:
        contacts["buying_role"] = [code(v, cn.ROLES) for v in contacts["buying_role"]]
    return contacts


def _deals(parts, contacts, out: Output, messages, provided) -> None:
    _company_currency(parts)
    deals = pd.concat([e.frame for e in parts], ignore_index=True)
    deals["account_id"] = [first_id(v) for v in deals["account_id"]]
    header = parts[0].columns.get("account_id", "account_id")
    cn.no_account(deals, messages, header, "has no associated company: it counts in pipeline "
                  "and win rates but not as a customer; associate it with a company in "
                  "HubSpot and export again to count it")
    deals["stage"] = [_label(s) for s in deals["stage"]]
    deals["type"] = [code(v, cn.TYPES) for v in deals.get("type", [None] * len(deals))]
    deals["channel"] = [code(v, cn.CHANNELS) for v in deals.get("channel", [None] * len(deals))]
    history, extra = _history(parts, messages)
    stages = StageList([s for _, s in PIPELINE[:5]] + [s for s in extra if s not in LABELS.values()]
                       + ["Closed Won", "Closed Lost"], {"Closed Won"}, {"Closed Lost"})
    cn.closed_flags(deals, stages, parts[0].columns.get("stage", "Deal Stage"), messages)
    out.add("opportunities", deals)
    if history is not None:
        out.add("opportunity_stages", history)
    used = set(deals["stage"].dropna()) | (set(history["stage"]) if history is not None else set())
    if "stages" not in provided and all(stages.knows(s) for s in used):
        table = stages.table()
        table[FILE], table[LINE] = "HubSpot default pipeline", 0
        out.add("stages", table)
    if "contacts" in deals:
        out.add("opportunity_contacts", _deal_contacts(deals, contacts))


def _label(stage):
    """An internal stage id or a label -> the default pipeline's label (else as written)."""
    return LABELS.get(norm(stage), stage) if isinstance(stage, str) else stage


def _entered_stage(header: str) -> str | None:
    for pattern in ENTERED:
        m = pattern.match(header.strip())
        if m:
            name = re.sub(r"\s*\([^)]*\)\s*$", "", m.group(1).strip("'\"‘’ "))
            return _label(name)
    return None


def _history(parts, messages) -> tuple[pd.DataFrame | None, list[str]]:
    """One row per (deal, 'Date entered' column with a date), stages in column order."""
    rows, order = [], []
    for e in parts:
        for col in e.raw.columns:
            stage = _entered_stage(str(col))
            if stage is None or norm(col) in {norm(m) for m in MQL}:
                continue
            order.append(stage)
            parsed, problems = dates.parse_column(list(e.raw[col]), None, list(e.raw[LINE]))
            for i, text in problems[:5]:
                line = int(e.raw[LINE].iloc[i]) if i is not None else None
                kind = Message if i is None or dates.column_level(text) else RowMessage
                messages.append(kind("error", e.file, line, col, text))
            for deal, when, line in zip(e.frame["opportunity_id"], parsed, e.raw[LINE],
                                        strict=True):
                if when:
                    rows.append((deal, stage, when, e.file, int(line)))
    if not rows:
        return None, list(dict.fromkeys(order))
    frame = pd.DataFrame(rows, columns=["opportunity_id", "stage", "entered_date", FILE, LINE])
    return frame.drop_duplicates(["opportunity_id", "stage"]), list(dict.fromkeys(order))


def _deal_contacts(deals: pd.DataFrame, contacts: pd.DataFrame | None) -> pd.DataFrame:
    roles = {} if contacts is None or "buying_role" not in contacts else dict(
        zip(contacts["person_id"], contacts["buying_role"], strict=True))
    rows = [(deal, pid.strip(), roles.get(pid.strip()), file, line)
            for deal, ids, file, line in zip(deals["opportunity_id"], deals["contacts"],
                                             deals[FILE], deals[LINE], strict=True)
            if isinstance(ids, str) for pid in ids.split(";") if pid.strip()]
    return pd.DataFrame(rows, columns=["opportunity_id", "person_id", "role", FILE, LINE])
