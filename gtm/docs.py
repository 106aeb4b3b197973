"""User documentation rendered from the code that enforces it.

docs/data-contract.md comes from gtm.contract and docs/metrics.md from gtm.metrics.registry,
so the documents users read are the rules the loader applies and the definitions
the metrics compute; `python -m gtm docs` rewrites them, a test checks they match.
"""

from __future__ import annotations

from pathlib import Path

from gtm.contract import TABLES
from gtm.load.store import REPO_ROOT
from gtm.metrics.registry import METRICS

DOCS = REPO_ROOT / "docs"

CONTRACT_INTRO = """# The data contract: what you hand Targetline

One folder (or one upload) of files, one file per table, named after the table
(`people.csv`, `opportunities.parquet`, `accounts.xlsx`). CSV, XLSX and Parquet are read.
Column names match case-insensitively after trimming spaces; columns we do not know are
kept in the raw layer (`raw_<table>`) but no metric reads them. Dates are ISO 8601
(`2025-03-31` or `2025-03-31T14:05:00`); money is plain numbers; booleans accept
true/false, yes/no, 1/0. Files may be UTF-8 (with or without BOM), Windows-1252 / Latin-1
or UTF-16 with BOM (Excel's "Unicode text"): the encoding is decided from the whole file.

Only `people` is required (data contract v2). A page whose optional table is missing says
which file, or which Salesforce or HubSpot export, would light it up.

**Money in several currencies.** `opportunities`, `spend` and `arr` may carry a `currency`
column (ISO 4217 code per row; empty means the dataset currency). `currency_rates` gives
the rates, as units of that currency per one unit of the dataset currency; a dated rate
applies to rows dated in [start_date, end_date) (an opportunity's close date, else its
created date; the month of spend and ARR), else the undated rate. Every amount is
converted to the dataset currency at load; the row's currency stays in the table and the
amount as written in `raw_<table>.amount_as_written`. The dataset currency is
`--currency` when given, else the rates' base (the undated rate of 1, Salesforce's
corporate currency), else the one currency the rows use, else USD. Several currencies
without rates are refused naming the file and the currencies; a row whose currency has
no rate is refused naming file, line and currency.

**Bad input.** A file that breaks these rules is refused with a message naming the file,
line and column; the dataset loaded before stays as it was. With `--skip-bad-rows` (or
the button on the Data page after the problems are shown) rows that break a row-level
rule (a required value empty, a value not of its type, a negative amount, a repeated
unique id, an unknown spend function, an opportunity whose account is not in accounts, a
currency without a rate) are left out instead: each is listed with file, line, column and
reason, with a download, and counted per table in the load history. Problems with a whole
file or column always refuse the load.
"""

METRICS_INTRO = """# Metric definitions

Every number Targetline shows, with its id (used in links, `python -m gtm report`
and tests). "In period" means the named date falls inside the selected range; the end of
the range is the "as of" date. A ratio whose denominator is zero shows as "n/a".
Metrics marked *extension* go beyond the core definitions; see DECISIONS.md.
"""


def contract_markdown() -> str:
    parts = [CONTRACT_INTRO]
    for table in TABLES.values():
        need = "required" if table.required else "optional"
        parts.append(f"\n## {table.name} ({need}): {table.meaning}\n")
        if table.exports:
            parts.append(f"From a CRM: {table.exports}.\n")
        parts.append("| column | type | required | meaning |\n|---|---|---|---|")
        for c in table.columns:
            req = "yes, unique" if c.unique else ("yes" if c.required else "")
            meaning = c.meaning + (f" One of: {', '.join(c.allowed)}." if c.allowed else "")
            parts.append(f"| {c.name} | {c.type} | {req} | {meaning.strip()} |")
    return "\n".join(parts) + "\n"


def metrics_markdown() -> str:
    parts = [METRICS_INTRO]
    section = None
    for m in METRICS.values():
        if m.section != section:
            section = m.section
            parts.append(f"\n## {section}\n\n| id | metric | unit | definition |\n|---|---|---|---|")
        ext = " *(extension)*" if m.extension else ""
        parts.append(f"| `{m.id}` | {m.label}{ext} | {m.unit} | {m.definition} |")
    return "\n".join(parts) + "\n"


def write(folder: Path = DOCS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = [(folder / "data-contract.md", contract_markdown()),
           (folder / "metrics.md", metrics_markdown())]
    for path, text in out:
        path.write_text(text, encoding="utf-8")
    return [p for p, _ in out]
