"""The canonical CRM extract (data contract v2) as data.

Every other module reads table and column definitions from here, so the loader,
the validation messages, the DuckDB schema and the user docs cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

# Logical types of the contract and the DuckDB type each becomes.
SQL_TYPES = {
    "text": "varchar",
    "date": "date",
    "timestamp": "timestamp",
    "integer": "bigint",
    "number": "double",
    "money": "double",
    "boolean": "boolean",
}

BUYING_ROLES = (
    "economic_buyer",
    "champion",
    "decision_maker",
    "technical_evaluator",
    "influencer",
    "user",
    "procurement",
    "legal",
    "other",
)
OPPORTUNITY_TYPES = ("new_business", "expansion", "renewal")
SPEND_FUNCTIONS = ("marketing", "sales")
DEMAND_TYPES = ("create", "harvest")
CURRENCY_MEANING = ("ISO 4217 code of the row's amounts (empty: the dataset currency); "
                    "converted to the dataset currency at load with currency_rates")
MONEY_DATES = {"opportunities": ("close_date", "created_date"), "spend": ("month",),
               "arr": ("month",)}  # the date that picks a dated rate, first present wins


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of SQL_TYPES
    required: bool = False
    unique: bool = False
    non_negative: bool = False
    allowed: tuple[str, ...] = ()  # accepted values (lowercase) for coded text
    meaning: str = ""
    open_ended: bool = False  # an end date: a far-future one (9999-12-31) means "no end"

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    meaning: str = ""
    exports: str = ""  # which Salesforce / HubSpot export lights the table up

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _t(name, meaning, *columns, required=False, exports=""):
    return Table(name, tuple(columns), required, meaning, exports)


C = Column

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _t(
            "accounts",
            "companies in the CRM",
            C("account_id", "text", True, True, meaning="CRM account id"),
            C("name", "text", meaning="account name"),
            C("industry", "text"),
            C("employees", "integer", non_negative=True, meaning="headcount"),
            C("annual_revenue", "money", non_negative=True),
            C("region", "text", meaning="e.g. NA, EMEA, APAC"),
            C("segment", "text", meaning="e.g. SMB, Mid-Market, Enterprise"),
            C("is_target", "boolean", meaning="on the agreed target-account list"),
            C("fit_score", "number", meaning="ICP fit, 0-100"),
        ),
        _t(
            "people",
            "leads and contacts in one table",
            C("person_id", "text", True, True, meaning="lead or contact id"),
            C("account_id", "text", meaning="matched account; empty for unmatched leads"),
            C("created_date", "date", True, meaning="entered the CRM"),
            C("channel", "text", True, meaning="lead source / first-touch channel"),
            C("title", "text", meaning="job title"),
            C("buying_role", "text", allowed=BUYING_ROLES),
            C("mql_date", "date", meaning="when the legacy process marked the person an MQL"),
            C("disqualified_date", "date"),
            C("disqualified_reason", "text"),
            required=True,
            exports="Lead.csv and Contact.csv from a Salesforce export, or HubSpot's contacts "
            "export",
        ),
        _t(
            "touches",
            "engagements",
            C("person_id", "text", True, meaning="who engaged"),
            C("touch_date", "timestamp", True, meaning="when"),
            C("channel", "text", True),
            C("campaign_id", "text"),
            C("touch_type", "text"),
        ),
        _t(
            "campaigns",
            "marketing campaigns",
            C("campaign_id", "text", True, True),
            C("name", "text"),
            C("channel", "text"),
            C("demand_type", "text", allowed=DEMAND_TYPES),
            C("start_date", "date"),
            C("end_date", "date"),
        ),
        _t(
            "spend",
            "sales and marketing spend by month",
            C("month", "date", True, meaning="first day of the month the money was spent"),
            C("function", "text", True, allowed=SPEND_FUNCTIONS),
            C("channel", "text"),
            C("campaign_id", "text"),
            C("amount", "money", True, non_negative=True),
            C("currency", "text", meaning=CURRENCY_MEANING),
        ),
        _t(
            "opportunities",
            "deals",
            C("opportunity_id", "text", True, True),
            C("account_id", "text", meaning="the deal's account; a deal without one counts in "
              "pipeline and win rates, not as a customer (a warning names it)"),
            C("created_date", "date", True, meaning="Stage 0: starts the velocity clock"),
            C("type", "text", allowed=OPPORTUNITY_TYPES),
            C("stage", "text", True, meaning="current stage name"),
            C("amount", "money", non_negative=True, meaning="ARR value of the deal"),
            C("close_date", "date"),
            C("is_closed", "boolean", True),
            C("is_won", "boolean", True),
            C("channel", "text", meaning="source channel of the deal"),
            C("source_person_id", "text"),
            C("qualified_date", "date"),
            C("lost_reason", "text"),
            C("currency", "text", meaning=CURRENCY_MEANING),
            exports="Opportunity.csv from a Salesforce export, or HubSpot's deals export",
        ),
        _t(
            "opportunity_stages",
            "stage history",
            C("opportunity_id", "text", True),
            C("stage", "text", True),
            C("entered_date", "date", True),
        ),
        _t(
            "stages",
            "the stage list in pipeline order",
            C("stage", "text", True, True),
            C("sort_order", "integer", True),
            C("is_closed", "boolean"),
            C("is_won", "boolean"),
        ),
        _t(
            "opportunity_contacts",
            "the buying group on a deal",
            C("opportunity_id", "text", True),
            C("person_id", "text", True),
            C("role", "text", allowed=BUYING_ROLES),
            C("is_primary", "boolean"),
        ),
        _t(
            "arr",
            "monthly recurring-revenue snapshots",
            C("account_id", "text", True),
            C("month", "date", True, meaning="first day of the month"),
            C("arr", "money", True, non_negative=True, meaning="ARR at month end"),
            C("currency", "text", meaning=CURRENCY_MEANING),
        ),
        _t(
            "signups",
            "product-led signups",
            C("signup_id", "text", True, True),
            C("signup_date", "date", True),
            C("activated_date", "date", meaning='reached the "aha moment"'),
            C("account_id", "text"),
            C("person_id", "text"),
            C("channel", "text"),
        ),
        _t(
            "currency_rates",
            "exchange rates to the dataset currency",
            C("currency", "text", True, meaning="ISO 4217 code, e.g. EUR"),
            C("rate", "number", True, meaning="units of this currency per one unit of the "
              "dataset currency (greater than 0)"),
            C("start_date", "date", meaning="a dated rate applies to rows dated on or after"),
            C("end_date", "date", meaning="... and before this date (empty, or a far-future "
              "date such as Salesforce's 9999-12-31: open-ended)", open_ended=True),
            exports="CurrencyType.csv and DatedConversionRate.csv from a Salesforce export",
        ),
    )
}

REQUIRED_TABLES = tuple(name for name, t in TABLES.items() if t.required)

# References checked after loading: (table, column, referenced table, referenced column).
# A dangling reference is reported; those marked fatal refuse the load.
REFERENCES = (
    ("opportunities", "account_id", "accounts", "account_id", True),
    ("people", "account_id", "accounts", "account_id", False),
    ("touches", "person_id", "people", "person_id", False),
    ("touches", "campaign_id", "campaigns", "campaign_id", False),
    ("spend", "campaign_id", "campaigns", "campaign_id", False),
    ("opportunities", "source_person_id", "people", "person_id", False),
    ("opportunity_stages", "opportunity_id", "opportunities", "opportunity_id", False),
    ("opportunity_contacts", "opportunity_id", "opportunities", "opportunity_id", False),
    ("opportunity_contacts", "person_id", "people", "person_id", False),
    ("arr", "account_id", "accounts", "account_id", False),
    ("signups", "account_id", "accounts", "account_id", False),
    ("signups", "person_id", "people", "person_id", False),
)


def create_table_sql(table: Table) -> str:
    """DDL of one canonical table (names come from this module, never from input)."""
    cols = ", ".join(f"{c.name} {c.sql_type}" for c in table.columns)
    return f"create table {table.name} ({cols})"
