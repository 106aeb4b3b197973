"""Writing canonical tables from converted exports, and mapping messages back to them.

Why a module of its own: every importer ends the same way. Its tables are written as
canonical CSVs (people.csv, opportunities.csv, ...) that the loader checks as usual,
and each written row remembers the export file and line it came from, so a loader
message about "opportunities.csv line 5, account_id" is shown to the user as
"Opportunity.csv line 12, column AccountId", the file they actually have. The coded
values every CRM spells its own way (lead sources, opportunity types, buying roles,
stage lists) are normalised here too, once for all sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gtm.contract import TABLES
from gtm.importers.mapping import BAD, FILE, Extract, RowMessage, mark, norm
from gtm.importers.read import LINE
from gtm.load.validate import Message

# Lead sources, campaign types and HubSpot original sources -> channels (norm() keys).
CHANNELS = {
    "advertisement": "display", "bannerads": "display", "display": "display",
    "paidsearch": "paid_search", "ppc": "paid_search", "googleads": "paid_search",
    "adwords": "paid_search", "sem": "paid_search",
    "organicsearch": "organic_search", "seo": "organic_search",
    "tradeshow": "events", "conference": "events", "seminarinternal": "events",
    "seminarpartner": "events", "event": "events", "events": "events", "webinar": "events",
    "email": "email", "emailmarketing": "email", "directmail": "direct_mail",
    "partner": "partner", "partners": "partner", "partnerreferral": "partner",
    "referralprogram": "referral", "employeereferral": "referral",
    "externalreferral": "referral", "referrals": "referral", "wordofmouth": "referral",
    "telemarketing": "outbound", "purchasedlist": "outbound", "outbound": "outbound",
    "coldcall": "outbound", "socialmedia": "social", "organicsocial": "social",
    "social": "social", "paidsocial": "paid_social", "directtraffic": "direct",
    "web": "web", "website": "web", "content": "content", "publicrelations": "pr",
    "offlinesources": "offline", "offline": "offline", "othercampaigns": "other_campaigns",
    "aireferrals": "ai_referral", "phoneinquiry": "phone_inquiry",
}
TYPES = {  # Salesforce Type picklist, HubSpot dealtype, common custom values
    "newcustomer": "new_business", "newbusiness": "new_business", "new": "new_business",
    "newlogo": "new_business", "netnew": "new_business",
    "existingcustomerupgrade": "expansion", "existingbusiness": "expansion",
    "upsell": "expansion", "upgrade": "expansion", "expansion": "expansion",
    "crosssell": "expansion", "addon": "expansion",
    "existingcustomerreplacement": "renewal", "existingcustomerdowngrade": "renewal",
    "renewal": "renewal",
}
ROLES = {  # Salesforce contact roles, HubSpot hs_buying_role values and labels
    "economicbuyer": "economic_buyer", "budgetholder": "economic_buyer",
    "decisionmaker": "decision_maker", "evaluator": "technical_evaluator",
    "technicalbuyer": "technical_evaluator", "technicalevaluator": "technical_evaluator",
    "businessuser": "user", "enduser": "user", "user": "user",
    "executivesponsor": "champion", "champion": "champion", "influencer": "influencer",
    "procurement": "procurement", "legal": "legal", "legalandcompliance": "legal",
    "blocker": "other", "other": "other",
}
REGIONS = {  # billing country -> region, when the export has no region field
    "NA": ("us", "usa", "unitedstates", "unitedstatesofamerica", "canada", "ca", "mexico"),
    "EMEA": ("uk", "gb", "unitedkingdom", "greatbritain", "england", "ireland", "germany",
             "de", "deutschland", "france", "fr", "spain", "italy", "netherlands", "belgium",
             "sweden", "norway", "denmark", "finland", "switzerland", "austria", "poland",
             "portugal", "israel", "uae", "unitedarabemirates", "southafrica"),
    "APAC": ("australia", "au", "newzealand", "japan", "jp", "china", "india", "singapore",
             "hongkong", "southkorea", "korea"),
    "LATAM": ("brazil", "argentina", "chile", "colombia", "peru"),
}
COUNTRY_REGION = {c: region for region, names in REGIONS.items() for c in names}


def code(value, table: dict[str, str]) -> str | None:
    """A coded value through table, else lowercase with underscores (None stays None)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).split(";")[0].strip()
    if not text:
        return None
    return table.get(norm(text), "_".join(text.lower().replace("-", " ").split()))


def channel(value) -> str:
    return code(value, CHANNELS) or "unknown"


def region(country) -> str | None:
    return COUNTRY_REGION.get(norm(country)) if isinstance(country, str) else None


def first_id(value) -> str | None:
    """The first id of a 'Associated Company IDs' cell ('123;456' -> '123')."""
    if not isinstance(value, str):
        return None
    return next((part.strip() for part in value.split(";") if part.strip()), None)


def number(value) -> bool:
    """True for a value that reads as a finite number ('12.5', 3)."""
    try:
        return value is not None and float(value) == float(value) and abs(float(value)) < 1e300
    except (TypeError, ValueError):
        return False


def frames(extracts: list[Extract], name: str) -> pd.DataFrame | None:
    """Every extract of one object, concatenated (None when none)."""
    found = [e.frame for e in extracts if e.filemap.name == name]
    return pd.concat(found, ignore_index=True) if found else None


# --- stages ----------------------------------------------------------------------------

@dataclass
class StageList:
    order: list[str]
    won: set[str]
    lost: set[str]

    def knows(self, stage: str) -> bool:
        return norm(stage) in {norm(s) for s in self.order}

    def flags(self, stage: str) -> tuple[str, str] | None:
        """(is_closed, is_won) as text for a known stage, None for an unknown one."""
        if not self.knows(stage):
            return None
        won = norm(stage) in {norm(s) for s in self.won}
        lost = norm(stage) in {norm(s) for s in self.lost}
        return ("true" if won or lost else "false"), ("true" if won else "false")

    def table(self) -> pd.DataFrame:
        rows = [(s, i + 1, *self.flags(s)) for i, s in enumerate(self.order)]
        return pd.DataFrame(rows, columns=["stage", "sort_order", "is_closed", "is_won"])


def closed_flags(opps: pd.DataFrame, stages: StageList | None, stage_col: str,
                 messages: list[Message]) -> None:
    """Fill is_closed / is_won from the stage list where the export has no flags;
    a deal whose stage is not on the list is an error saying what to add."""
    for flag in ("is_closed", "is_won"):
        if flag not in opps:
            opps[flag] = None
    need = opps["is_closed"].isna() | opps["is_won"].isna()
    unknown: dict[str, tuple] = {}
    for i in opps.index[need]:
        got = stages.flags(opps.at[i, "stage"]) if stages and opps.at[i, "stage"] else None
        if got is None:
            unknown.setdefault(opps.at[i, "stage"], (opps.at[i, FILE], opps.at[i, LINE]))
            continue
        for flag, value in zip(("is_closed", "is_won"), got, strict=True):
            if pd.isna(opps.at[i, flag]):
                opps.at[i, flag] = value
    for stage, (file, line) in unknown.items():
        known = ", ".join(stages.order) if stages else "none given"
        text = (f"stage '{stage}' is not a known stage (known: {known}), and the file has no "
                "closed/won columns, so the deal cannot be counted; add the stage list export "
                "(or a stages file), or list it under stages:/won_stages:/lost_stages: in a "
                "mapping")
        messages.append(RowMessage("error", file, int(line), stage_col, text))
        for i in opps.index[need & (opps["stage"] == stage)]:
            mark(opps, list(opps.index).index(i), stage_col, text)


def no_account(deals: pd.DataFrame, messages: list[Message], header: str, text: str) -> None:
    """Deals without an account: a warning naming each line (5 and a count); they count in
    pipeline and win rates, not in customer counts (a customer is an account)."""
    empty = deals[deals["account_id"].isna()]
    for _, row in empty.head(5).iterrows():
        messages.append(Message("warning", row[FILE], int(row[LINE]), header,
                                f"deal '{row['opportunity_id']}' {text}"))
    if len(empty) > 5:
        messages.append(Message("warning", empty[FILE].iloc[0], None, header,
                                f"{len(empty)} deals in all have no account"))


def leave_out(out: Output, messages: list[Message]) -> list[Message]:
    """--skip-bad-rows: drop the rows marked BAD from every table; their RowMessage errors
    become 'left out' entries (file, line, column, reason), one per row."""
    left = []
    for table, frame in out.tables.items():
        if BAD not in frame:
            continue
        bad = frame[BAD].notna()
        for _, row in frame[bad].iterrows():
            header, reason = str(row[BAD]).split("\t", 1)
            left.append(Message("left out", row[FILE], int(row[LINE]), header, reason))
        out.tables[table] = frame[~bad].drop(columns=[BAD])
    seen = {(m.file, m.line) for m in left}
    left += [Message("left out", m.file, m.line, m.column, m.text) for m in messages
             if isinstance(m, RowMessage) and m.line is not None and (m.file, m.line) not in seen]
    messages[:] = [m for m in messages if not isinstance(m, RowMessage)]
    return sorted(left, key=lambda m: (m.file or "", m.line or 0))


# --- writing and provenance ------------------------------------------------------------

@dataclass
class Output:
    """Canonical tables being built: columns of the contract plus _file and _line."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> field -> header
    currency: str | None = None  # the export's corporate currency, when it names one

    def add(self, table: str, frame: pd.DataFrame) -> None:
        keep = [c for c in TABLES[table].column_names if c in frame] + [FILE, LINE] + \
            ([BAD] if BAD in frame else [])
        part = frame[keep]
        old = self.tables.get(table)
        self.tables[table] = part if old is None else pd.concat([old, part], ignore_index=True)

    def note(self, extracts: list[Extract]) -> None:
        for e in extracts:
            self.columns[e.file] = dict(e.columns)


def write(out: Output, out_dir: Path) -> dict[str, list[tuple[str, int]]]:
    """Write each table as <table>.csv; return where each written row came from."""
    out_dir.mkdir(parents=True, exist_ok=True)
    origins = {}
    for table, frame in out.tables.items():
        cols = [c for c in TABLES[table].column_names if c in frame]
        clean = frame[cols].map(_one_line)
        clean.to_csv(out_dir / f"{table}.csv", index=False)
        origins[table] = list(zip(frame[FILE], frame[LINE].astype(int), strict=True))
    return origins


def _one_line(value):
    if isinstance(value, str):
        return " ".join(value.split())
    return value


def explain(messages: list[Message], origins: dict, columns: dict) -> list[Message]:
    """Loader messages about written canonical files, re-addressed to the export files."""
    return [_explain(m, origins, columns) for m in messages]


def _explain(m: Message, origins: dict, columns: dict) -> Message:
    table = (m.file or "").rsplit(".", 1)[0]
    rows = origins.get(table)
    if not rows or not m.file or not m.file.endswith(".csv"):
        return m
    if m.line is None or m.line < 2 or m.line - 2 >= len(rows):
        files = list(dict.fromkeys(f for f, _ in rows))
        if len(files) == 1 and m.line is None:  # a count about one export file
            column = columns.get(files[0], {}).get(m.column, m.column)
            return type(m)(m.severity, files[0], None, column, f"{m.text} ({table}.{m.column})"
                           if m.column else m.text)
        return type(m)(m.severity, m.file, m.line, m.column,
                       f"{m.text} (built from {', '.join(files)})")
    file, line = rows[m.line - 2]
    column = columns.get(file, {}).get(m.column, m.column)
    return type(m)(m.severity, file, line, column, f"{m.text} ({table}.{m.column})"
                   if m.column else m.text)
