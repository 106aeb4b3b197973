"""Salesforce exports (Data Loader / API field names and report labels) -> canonical.

Why: a Salesforce org is where most B2B funnels live. The column mapping below lists,
for each standard object, its API names (Data Loader: Id, StageName, IsWon, CloseDate)
and its report labels (Stage, Close Date, Opportunity Type); what a mapping cannot say
is code here: leads and contacts become one people table (a converted lead is its
contact, counted once, keeping the lead's creation date and source), contact roles
become buying roles, campaign members become touches, and Campaign ActualCost stands
in for spend when no spend file is given. Record ids are made 18-character, so a
report (15-character ids) and a Data Loader file (18) join.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from gtm.importers import canonical as cn
from gtm.importers.canonical import Output, StageList, code, frames
from gtm.importers.mapping import FILE, FileMap, Mapping
from gtm.importers.read import LINE
from gtm.load.validate import Message

MQL = ("MQL_Date__c", "MQL Date", "*mql*", "Marketing_Qualified_Date__c", "*marketingqualified*")
PEOPLE_DATES = ("created_date", "mql_date", "disqualified_date")
DISQUALIFIED = {"disqualified_date": ("Disqualified_Date__c", "Disqualified Date",
                                      "Unqualified_Date__c", "Unqualified Date"),
                "disqualified_reason": ("Disqualified_Reason__c", "Unqualified_Reason__c",
                                        "Disqualified Reason", "Unqualified Reason")}
DEFAULT_STAGES = StageList(
    ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
     "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
     "Negotiation/Review", "Closed Won", "Closed Lost"], {"Closed Won"}, {"Closed Lost"})
ID_FIELDS = ("person_id", "account_id", "opportunity_id", "campaign_id", "lead_id",
             "contact_id", "converted_contact_id", "converted_account_id", "source_person_id")
EMPTY_IDS = ("000000000000000", "000000000000000AAA")  # an empty lookup in a Data Export
OBJECT_NAME = re.compile(r"[A-Z][A-Za-z0-9]*(?:__[A-Za-z0-9]+)*(?:__[a-zA-Z]+)?")
AMOUNTS = ("Amount (converted)", "Amount", "Opportunity Amount")  # report: converted first
CURRENCY = {"Amount (converted)": ("Amount (converted) Currency",),
            "Amount": ("CurrencyIsoCode", "Amount Currency", "Opportunity Currency",
                       "Currency ISO Code", "Currency"),
            "Opportunity Amount": ("Opportunity Currency", "CurrencyIsoCode", "Currency")}


def names_an_object(stem: str) -> bool:
    """True for a Data Export file name (Case, User, SBQQ__Quote__c): a Salesforce object.
    Report exports (report1712345678901), extract.csv and the like say nothing."""
    return bool(OBJECT_NAME.fullmatch(stem))


def _fm(name, table, signature, columns, **kw) -> FileMap:
    names = (name.lower(), name.lower() + "s", name.lower() + "es")
    return FileMap(name, table, columns, match=names, signature=signature, **kw)


def mapping() -> Mapping:
    """The built-in Salesforce mapping (order matters: the most specific signatures first)."""
    return Mapping("salesforce", [
        _fm("OpportunityContactRole", "opportunity_contacts",
            (("OpportunityId", "ContactId", "Role"), ("Opportunity ID", "Contact ID", "Role"),
             ("Opportunity ID", "Contact ID", "Contact Role")),
            {"opportunity_id": ("OpportunityId", "Opportunity ID"),
             "person_id": ("ContactId", "Contact ID"), "role": ("Role", "Contact Role"),
             "is_primary": ("IsPrimary", "Primary", "Is Primary")},
            required=("opportunity_id", "person_id")),
        _fm("OpportunityHistory", "opportunity_stages",
            (("OpportunityId", "StageName"), ("Opportunity ID", "To Stage"),
             ("Opportunity ID", "From Stage")),
            {"opportunity_id": ("OpportunityId", "Opportunity ID"),
             "stage": ("StageName", "To Stage", "Stage"),
             "entered_date": ("CreatedDate", "Last Modified", "Edit Date", "Created Date")},
            dates=("entered_date",), required=("opportunity_id", "stage", "entered_date")),
        _fm("CampaignMember", "touches",
            (("CampaignId", "LeadId"), ("CampaignId", "ContactId"), ("Campaign ID", "Lead ID"),
             ("Campaign ID", "Contact ID")),
            {"campaign_id": ("CampaignId", "Campaign ID"), "lead_id": ("LeadId", "Lead ID"),
             "contact_id": ("ContactId", "Contact ID"), "status": ("Status", "Member Status"),
             "responded": ("HasResponded", "Responded"),
             "first_responded_date": ("FirstRespondedDate", "First Responded Date"),
             "created_date": ("CreatedDate", "Created Date", "Member First Associated")},
            dates=("first_responded_date", "created_date"), required=("campaign_id",)),
        _fm("OpportunityStage", "stages", (("MasterLabel", "SortOrder"), ("ApiName", "SortOrder")),
            {"stage": ("ApiName", "MasterLabel", "Stage Name"), "label": ("MasterLabel",),
             "sort_order": ("SortOrder", "Sort Order"), "is_closed": ("IsClosed", "Closed"),
             "is_won": ("IsWon", "Won")}, required=("stage", "sort_order")),
        _fm("Opportunity", "opportunities",
            (("Id", "StageName"), ("Opportunity ID", "Stage"), ("Opportunity ID", "Close Date")),
            {"opportunity_id": ("Id", "Opportunity ID"), "account_id": ("AccountId", "Account ID"),
             "created_date": ("CreatedDate", "Created Date", "Create Date"),
             "type": ("Type", "Opportunity Type"), "stage": ("StageName", "Stage"),
             "amount": AMOUNTS, "currency": tuple(dict.fromkeys(sum(CURRENCY.values(), ()))),
             "close_date": ("CloseDate", "Close Date"),
             "is_closed": ("IsClosed", "Closed"), "is_won": ("IsWon", "Won"),
             "channel": ("LeadSource", "Lead Source", "Opportunity Source"),
             "source_person_id": ("ContactId", "Contact ID"),
             "qualified_date": ("Qualified_Date__c", "SQO_Date__c", "Qualified Date"),
             "lost_reason": ("Loss_Reason__c", "Lost_Reason__c", "Closed_Lost_Reason__c",
                             "Loss Reason", "Lost Reason")},
            dates=("created_date", "close_date", "qualified_date"), money=("amount",),
            required=("opportunity_id", "account_id", "created_date", "stage")),
        _fm("Lead", "people",
            (("Id", "IsConverted"), ("Id", "ConvertedContactId"), ("Lead ID",),
             ("Id", "Company", "LeadSource")),
            {"person_id": ("Id", "Lead ID"),
             "created_date": ("CreatedDate", "Create Date", "Created Date"),
             "channel": ("LeadSource", "Lead Source"), "title": ("Title",), "mql_date": MQL,
             "is_converted": ("IsConverted", "Converted"),
             "converted_contact_id": ("ConvertedContactId", "Converted Contact ID"),
             "converted_account_id": ("ConvertedAccountId", "Converted Account ID"),
             **DISQUALIFIED},
            dates=PEOPLE_DATES, required=("person_id", "created_date"), ambiguous=("mql_date",)),
        _fm("Contact", "people", (("Id", "AccountId", "LastName"), ("Contact ID",)),
            {"person_id": ("Id", "Contact ID"), "account_id": ("AccountId", "Account ID"),
             "created_date": ("CreatedDate", "Created Date", "Create Date"),
             "channel": ("LeadSource", "Lead Source"), "title": ("Title",), "mql_date": MQL,
             **DISQUALIFIED},
            dates=PEOPLE_DATES, required=("person_id", "created_date"), ambiguous=("mql_date",)),
        _fm("Campaign", "campaigns",
            (("Id", "Name", "ActualCost"), ("Id", "Name", "StartDate"),
             ("Campaign ID", "Campaign Name")),
            {"campaign_id": ("Id", "Campaign ID"), "name": ("Name", "Campaign Name"),
             "type": ("Type", "Campaign Type"), "channel": ("Channel__c", "Channel"),
             "demand_type": ("Demand_Type__c", "Demand Type"),
             "start_date": ("StartDate", "Start Date"), "end_date": ("EndDate", "End Date"),
             "actual_cost": ("ActualCost", "Actual Cost in Campaign", "Actual Cost"),
             "currency": ("CurrencyIsoCode", "Actual Cost in Campaign Currency",
                          "Actual Cost Currency")},
            dates=("start_date", "end_date"), money=("actual_cost",), required=("campaign_id",)),
        _fm("CurrencyType", "currency_rates", (("IsoCode", "ConversionRate", "IsCorporate"),),
            {"currency": ("IsoCode", "ISO Code", "Currency ISO Code"),
             "rate": ("ConversionRate", "Conversion Rate"),
             "is_corporate": ("IsCorporate", "Corporate Currency", "Corporate"),
             "is_active": ("IsActive", "Active")}, required=("currency", "rate")),
        _fm("DatedConversionRate", "currency_rates",
            (("IsoCode", "ConversionRate", "StartDate", "NextStartDate"),),
            {"currency": ("IsoCode", "ISO Code"), "rate": ("ConversionRate", "Conversion Rate"),
             "start_date": ("StartDate", "Start Date"),
             "end_date": ("NextStartDate", "Next Start Date")},
            dates=("start_date", "end_date"), required=("currency", "rate", "start_date")),
        _fm("Account", "accounts",
            (("Id", "Name", "Industry"), ("Id", "Name", "NumberOfEmployees"),
             ("Id", "Name", "BillingCountry"), ("Account ID", "Account Name", "Industry"),
             ("Account ID", "Account Name", "Employees"),
             ("Account ID", "Account Name", "Billing Country")),
            {"account_id": ("Id", "Account ID"), "name": ("Name", "Account Name"),
             "industry": ("Industry",), "employees": ("NumberOfEmployees", "Employees"),
             "annual_revenue": ("AnnualRevenue", "Annual Revenue"),
             "region": ("Region__c", "Region", "Sales Region"),
             "country": ("BillingCountry", "Billing Country", "ShippingCountry"),
             "segment": ("Segment__c", "Segment", "Customer Segment"),
             "is_target": ("Target_Account__c", "Is_Target__c", "ABM_Target__c",
                           "Target Account"),
             "fit_score": ("Fit_Score__c", "ICP_Score__c", "Fit Score", "ICP Score"),
             "currency": ("CurrencyIsoCode", "Annual Revenue Currency")},
            money=("annual_revenue",), required=("account_id",)),
    ])


# --- ids -------------------------------------------------------------------------------

SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def id18(value):
    """A 15-character (case-sensitive) record id -> its 18-character form; the empty
    lookup 000000000000000(AAA) -> None."""
    if isinstance(value, str) and value in EMPTY_IDS:
        return None
    if not isinstance(value, str) or len(value) != 15 or not value.isalnum():
        return value
    flags = [sum(1 << i for i, ch in enumerate(value[k:k + 5]) if "A" <= ch <= "Z")
             for k in (0, 5, 10)]
    return value + "".join(SUFFIX[f] for f in flags)


def _ids(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in ID_FIELDS:
        if col in frame:
            frame[col] = pd.Series([id18(v) for v in frame[col]], index=frame.index,
                                   dtype=object)
    return frame


def _get(extracts, name, messages: list[Message] | None = None) -> pd.DataFrame | None:
    frame = frames(extracts, name)
    return None if frame is None else _currencies(_ids(frame), messages)


ISO = re.compile(r"[A-Za-z]{3}")


def _currencies(frame: pd.DataFrame, messages) -> pd.DataFrame:
    """CurrencyIsoCode '000' (records older than multi-currency, in real Data Exports) is
    no currency: the amount is in the corporate currency. Said once per file."""
    if "currency" not in frame:
        return frame
    odd = frame["currency"].notna() & ~frame["currency"].astype(str).str.fullmatch(ISO)
    if odd.any() and messages is not None:
        first = frame[odd].iloc[0]
        messages.append(Message("warning", first[FILE], int(first[LINE]), "CurrencyIsoCode",
                                f"'{first['currency']}' is not a currency code ({int(odd.sum())} "
                                "rows): read as the corporate currency"))
    frame.loc[odd, "currency"] = None
    return frame


def _truthy(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "y", "t")


# --- assembling ---------------------------------------------------------------------------

def assemble(extracts, chosen: Mapping, out: Output, messages: list[Message],
             provided=frozenset()) -> None:
    _report_currencies(extracts)
    rates = _rates(_get(extracts, "CurrencyType"), _get(extracts, "DatedConversionRate"), out)
    accounts = _get(extracts, "Account", messages)
    if accounts is not None:
        out.add("accounts", _accounts(accounts, rates))
    roles = _get(extracts, "OpportunityContactRole")
    people, lead_person = _people(_get(extracts, "Lead"), _get(extracts, "Contact"), roles)
    if people is not None:
        out.add("people", people)
    if roles is not None:
        roles["role"] = [code(v, cn.ROLES) for v in roles["role"]]
        out.add("opportunity_contacts", roles)
    stages = _stages(_get(extracts, "OpportunityStage"), out, provided)
    _opportunities(_get(extracts, "Opportunity", messages), _get(extracts, "OpportunityHistory"),
                   stages, out, messages)
    campaigns = _get(extracts, "Campaign", messages)
    if campaigns is not None:
        _campaigns(campaigns, out, messages, spend="spend" not in provided)
    members = _get(extracts, "CampaignMember")
    if members is not None:
        out.add("touches", _touches(members, lead_person, campaigns))


def _report_currencies(extracts) -> None:
    """A report's 'Amount (converted)' is in the corporate currency: its currency is the
    'Amount (converted) Currency' column, never the deal's own 'Amount Currency'."""
    for e in extracts:
        header = e.columns.get("amount")
        if e.filemap.name == "Opportunity" and header in CURRENCY:
            own = next((c for c in CURRENCY[header] if c in e.raw.columns), None)
            if own:  # the currency column that belongs to the amount column used
                e.frame["currency"] = e.raw[own].values
                e.columns["currency"] = own
            elif header == "Amount (converted)":  # the corporate currency
                e.frame["currency"] = None
                e.columns.pop("currency", None)


def _rates(static, dated, out: Output) -> dict[str, float]:
    """currency_rates from CurrencyType (undated, IsCorporate) and DatedConversionRate;
    returns the static rates (for the account revenue converted here)."""
    parts = []
    if static is not None:
        corporate = [c for c, flag in zip(static["currency"], static.get(
            "is_corporate", [None] * len(static)), strict=True) if _truthy(flag)]
        out.currency = corporate[0] if corporate else out.currency
        parts.append(static)
    if dated is not None:
        dated = dated.copy()
        dated["end_date"] = [None if isinstance(d, str) and d.startswith("9999") else d
                             for d in dated.get("end_date", [None] * len(dated))]
        parts.append(dated)
    for part in parts:
        out.add("currency_rates", part)
    if static is None:
        return {}
    return {c: float(r) for c, r in zip(static["currency"], static["rate"], strict=True)
            if isinstance(c, str) and cn.number(r)}


def _accounts(frame: pd.DataFrame, rates: dict[str, float] | None = None) -> pd.DataFrame:
    if "currency" in frame and "annual_revenue" in frame and rates:
        frame["annual_revenue"] = [
            (float(v) / rates[c]) if cn.number(v) and c in rates else v
            for v, c in zip(frame["annual_revenue"], frame["currency"], strict=True)]
    if "country" in frame:
        derived = [cn.region(c) for c in frame["country"]]
        frame["region"] = frame["region"].fillna(pd.Series(derived, index=frame.index)) \
            if "region" in frame else derived
    return frame


def _people(leads, contacts, roles) -> tuple[pd.DataFrame | None, dict]:
    """Contacts, plus leads: a converted lead is its contact (earliest date, first source)."""
    lead_person: dict = {}
    parts = []
    contacts = contacts.copy() if contacts is not None else None
    if leads is not None:
        leads, lead_person = _leads(leads, contacts)
        parts.append(leads)
    if contacts is not None:
        parts.insert(0, _with_roles(contacts, roles))
    if not parts:
        return None, lead_person
    people = pd.concat(parts, ignore_index=True)
    people["channel"] = [cn.channel(v) for v in people["channel"]] if "channel" in people \
        else "unknown"
    return people, lead_person


def _leads(leads: pd.DataFrame, contacts: pd.DataFrame | None):
    """Leads not already counted as contacts; merges converted ones into their contact."""
    converted = [_truthy(c) or bool(t) for c, t in zip(
        leads.get("is_converted", pd.Series([None] * len(leads))),
        leads.get("converted_contact_id", pd.Series([None] * len(leads))), strict=True)]
    target = [t if conv and isinstance(t, str) else None for conv, t in zip(
        converted, leads.get("converted_contact_id", pd.Series([None] * len(leads))),
        strict=True)]
    lead_person = {lid: t or lid for lid, t in zip(leads["person_id"], target, strict=True)}
    known = set(contacts["person_id"]) if contacts is not None else set()
    merged = [t in known for t in target]
    if contacts is not None and any(merged):
        _merge_into_contacts(contacts, leads[merged], [t for t, m in zip(target, merged,
                                                                          strict=True) if m])
    keep = leads[[not m for m in merged]].copy()
    keep_target = [t for t, m in zip(target, merged, strict=True) if not m]
    keep["person_id"] = [t or p for t, p in zip(keep_target, keep["person_id"], strict=True)]
    if "converted_account_id" in keep:
        keep["account_id"] = keep["converted_account_id"]
    return keep, lead_person


def _merge_into_contacts(contacts, leads, targets) -> None:
    """A converted lead's history belongs to its contact: earliest created/MQL date,
    the lead's source when the contact has none."""
    where = {pid: i for i, pid in zip(contacts.index, contacts["person_id"], strict=True)}
    for (_, lead), contact_id in zip(leads.iterrows(), targets, strict=True):
        i = where[contact_id]
        for col in ("created_date", "mql_date"):
            values = [v for v in (contacts.at[i, col] if col in contacts else None,
                                  lead.get(col)) if isinstance(v, str)]
            if values:
                contacts.loc[i, col] = min(values)
        for col in ("channel", "title", "disqualified_date", "disqualified_reason"):
            if col in lead and isinstance(lead[col], str) and not (
                    col in contacts and isinstance(contacts.at[i, col], str)):
                contacts.loc[i, col] = lead[col]


def _with_roles(contacts: pd.DataFrame, roles: pd.DataFrame | None) -> pd.DataFrame:
    """A contact's buying role: their most frequent role on opportunities."""
    if roles is None:
        return contacts
    coded = pd.DataFrame({"person_id": roles["person_id"],
                          "role": [code(v, cn.ROLES) for v in roles["role"]]}).dropna()
    if coded.empty:
        return contacts
    top = {pid: Counter(group).most_common(1)[0][0]  # ties: the first listed
           for pid, group in coded.groupby("person_id", sort=False)["role"]}
    contacts["buying_role"] = contacts["person_id"].map(top)
    return contacts


def _stages(stage_file, out: Output, provided) -> StageList:
    if stage_file is None:
        return DEFAULT_STAGES
    stage_file = stage_file.assign(sort_order=pd.to_numeric(stage_file["sort_order"],
                                                            errors="coerce"))
    stage_file = stage_file.sort_values("sort_order", kind="stable")
    if "stages" not in provided:
        out.add("stages", stage_file)
    order = list(stage_file["stage"])
    flags = {s: (_truthy(c), _truthy(w)) for s, c, w in zip(
        order, stage_file.get("is_closed", [None] * len(order)),
        stage_file.get("is_won", [None] * len(order)), strict=True)}
    return StageList(order, {s for s, (c, w) in flags.items() if w},
                     {s for s, (c, w) in flags.items() if c and not w})


def _opportunities(opps, history, stages: StageList, out: Output, messages) -> None:
    if opps is None:
        return
    header = next((e for e in (opps.attrs.get("account_header"),) if e), "AccountId")
    cn.no_account(opps, messages, header, "has no AccountId: it counts in pipeline and win "
                  "rates but not as a customer; set the account in Salesforce and export "
                  "again to count it")
    opps["type"] = [code(v, cn.TYPES) for v in opps.get("type", [None] * len(opps))]
    opps["channel"] = [code(v, cn.CHANNELS) for v in opps.get("channel", [None] * len(opps))]
    cn.closed_flags(opps, stages, "StageName", messages)
    out.add("opportunities", opps)
    if history is not None:
        out.add("opportunity_stages", _entries(history))
    if "stages" not in out.tables and all(stages.knows(s) for s in _all_stages(opps, history)):
        default = stages.table()
        default[FILE], default[LINE] = "Salesforce default stages", 0
        out.add("stages", default)


def _all_stages(opps, history) -> set[str]:
    found = set(opps["stage"].dropna())
    return found | set(history["stage"].dropna()) if history is not None else found


def _entries(history: pd.DataFrame) -> pd.DataFrame:
    """History rows where the stage changed (amount edits repeat the stage)."""
    ordered = history.sort_values(["opportunity_id", "entered_date", LINE], kind="stable")
    previous = ordered.groupby("opportunity_id")["stage"].shift()
    return ordered[ordered["stage"] != previous]


def _campaigns(campaigns: pd.DataFrame, out: Output, messages, spend: bool) -> None:
    own = campaigns.get("channel", pd.Series([None] * len(campaigns), index=campaigns.index))
    campaigns["channel"] = [code(c, cn.CHANNELS) if isinstance(c, str) else
                            code(t, cn.CHANNELS) for c, t in
                            zip(own, campaigns.get("type", [None] * len(campaigns)), strict=True)]
    out.add("campaigns", campaigns)
    if spend and "actual_cost" in campaigns:
        out.add("spend", _spend(campaigns, messages))


def _spend(campaigns: pd.DataFrame, messages) -> pd.DataFrame:
    """ActualCost as marketing spend in the campaign's start month (no spend file given)."""
    costs = campaigns[campaigns["actual_cost"].notna()].copy()
    when = costs["start_date"].fillna(costs.get("end_date")) if "start_date" in costs \
        else costs.get("end_date", pd.Series([None] * len(costs), index=costs.index))
    for _, row in costs[when.isna()].iterrows():
        messages.append(Message("warning", row[FILE], int(row[LINE]), "ActualCost",
                                f"campaign '{row['campaign_id']}' has a cost but no start or "
                                "end date; its cost is not counted as spend"))
    costs = costs[when.notna()]
    costs["month"] = [f"{str(d)[:7]}-01" for d in when[when.notna()]]
    costs["function"] = "marketing"
    costs["amount"] = costs["actual_cost"]
    return costs


def _touches(members: pd.DataFrame, lead_person: dict, campaigns) -> pd.DataFrame:
    """One touch per campaign member who responded (or was added, when the export has no
    response fields), dated by FirstRespondedDate, else CreatedDate."""
    members = members.copy()
    contact = members.get("contact_id", pd.Series([None] * len(members), index=members.index))
    lead = members.get("lead_id", pd.Series([None] * len(members), index=members.index))
    members["person_id"] = [c if isinstance(c, str) else lead_person.get(x, x)
                            for c, x in zip(contact, lead, strict=True)]
    first = members.get("first_responded_date")
    members["touch_date"] = first.fillna(members.get("created_date")) if first is not None \
        else members.get("created_date")
    if "responded" in members:
        firsts = members["first_responded_date"] if first is not None else [None] * len(members)
        members = members[[_truthy(r) or isinstance(f, str)
                           for r, f in zip(members["responded"], firsts, strict=True)]]
    channels = {} if campaigns is None else dict(zip(campaigns["campaign_id"],
                                                     campaigns["channel"], strict=True))
    members["channel"] = [channels.get(c) or "unknown" for c in members["campaign_id"]]
    members["touch_type"] = [code(v, {}) for v in members.get("status", [None] * len(members))]
    return members
