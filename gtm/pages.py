"""The page list, defined once, and the sentence a page shows when its data is missing.

app.py registers the list (through ui/nav.py), the Overview links its findings to it, the
benchmark times it and the QBR pack gives each page a slide. It is plain data in gtm, not
in ui, so the pack built by `python -m gtm qbr` names and links the same pages, and says
the same "Add X to see ..." sentence, as the app does.
"""

from __future__ import annotations

from dataclasses import dataclass

from gtm.contract import TABLES


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to app.py
    title: str
    url_path: str  # "" for the default page ("/")
    icon: str
    needs: tuple[str, ...] = ()  # optional tables its Overview finding needs

    @property
    def default(self) -> bool:
        return self.url_path == ""


PAGES = (
    PageSpec("pages/overview.py", "Overview", "", ":material/dashboard:"),
    PageSpec("pages/mql-vs-pipeline.py", "MQLs vs pipeline", "mql-vs-pipeline",
             ":material/filter_alt:", ("opportunities",)),
    PageSpec("pages/targets.py", "Targets", "targets", ":material/ads_click:", ("accounts",)),
    PageSpec("pages/cac-vs-cpl.py", "CAC vs CPL", "cac-vs-cpl", ":material/payments:",
             ("spend",)),
    PageSpec("pages/buying-groups.py", "Buying groups", "buying-groups", ":material/groups:",
             ("opportunity_contacts",)),
    PageSpec("pages/growth.py", "Growth equation", "growth", ":material/calculate:",
             ("opportunities",)),
    PageSpec("pages/net-arr.py", "Net ARR", "net-arr", ":material/trending_up:", ("arr",)),
    PageSpec("pages/velocity.py", "Velocity", "velocity", ":material/speed:",
             ("opportunities",)),
    PageSpec("pages/target-market.py", "Target market", "target-market",
             ":material/my_location:", ("accounts",)),
    PageSpec("pages/data.py", "Data", "data", ":material/database:"),
)
ANALYTIC = tuple(p for p in PAGES if p.path not in ("pages/overview.py", "pages/data.py"))
BY_URL = {p.url_path: p for p in PAGES}


def missing_tables(provided: dict | None, tables) -> list[str]:
    """The tables of `tables` that the dataset does not provide (or provides empty)."""
    provided = provided or {}
    return [t for t in tables if not provided.get(t)]


def table_hint(table: str) -> str:
    """'arr.csv (monthly recurring-revenue snapshots: account_id, month, arr)'."""
    spec = TABLES[table]
    required = ", ".join(c.name for c in spec.columns if c.required)
    exports = f", or {spec.exports}" if spec.exports else ""  # issue 12: the CRM's own export
    return f"{table}.csv ({spec.meaning}: {required}){exports}"


def need_text(missing: list[str], what: str = "this page") -> str:
    """What a page says in place of what it cannot show (ui.layout.need_tables)."""
    files = " and ".join(table_hint(t) for t in missing)
    return (f"Add {files} to see {what}. Load it on the Data page; CSV, XLSX and Parquet "
            "are accepted.")


def light_up_text(missing: list[str]) -> str:
    """The Overview's line for a page whose finding needs a missing table."""
    return f"Add {' and '.join(t + '.csv' for t in missing)} to light this page up."
