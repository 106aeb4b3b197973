"""Money in several currencies (data contract v2): the dataset currency, rate checks, and
the SQL that converts every amount at load.

Why at load: the metrics sum `amount`, `arr` and spend; converting once while the typed
tables are written keeps every metric query unchanged and makes "summed across currencies
unconverted" impossible. The row's own currency stays in the typed table (`currency`) and
the amount as written stays in the raw layer (`raw_<table>.amount_as_written`), so any
converted figure can be traced back. A rate is "units of this currency per one unit of
the dataset currency"; a dated rate applies to rows dated in [start_date, end_date)
(Salesforce's DatedConversionRate, by an opportunity's close date), else the undated rate
(CurrencyType).
"""

from __future__ import annotations

from gtm.contract import MONEY_DATES, TABLES
from gtm.load.validate import EXAMPLES, Message, ident, trimmed

RATES = "_rates"  # temp table: rate_currency, rate_value, rate_start, rate_end (typed)
ALL = 1 << 62  # "no limit" for a bound LIMIT


def money_tables(files: dict) -> list:
    """The provided files whose table has money and a currency column given."""
    return [rf for name, rf in files.items() if name in MONEY_DATES and "currency" in rf.columns]


def build_rates(con, files: dict) -> None:
    """The typed rate table the conversion reads (empty without currency_rates)."""
    rf = files.get("currency_rates")
    con.execute(f"drop table if exists {RATES}")
    if rf is None:
        con.execute(f"create temp table {RATES} (rate_currency varchar, rate_value double, "
                    "rate_start date, rate_end date)")
        return
    con.execute(
        f"""create temp table {RATES} as select
              upper({_rate_col(rf, 'currency')}) as rate_currency,
              try_cast({_rate_col(rf, 'rate')} as double) as rate_value,
              try_cast(substr({_rate_col(rf, 'start_date')}, 1, 10) as date) as rate_start,
              try_cast(substr({_rate_col(rf, 'end_date')}, 1, 10) as date) as rate_end
            from {ident(rf.raw_table)}""")  # noqa: S608


def _rate_col(rf, name: str) -> str:
    """SQL for a column of the rates file (NULL when the file has none)."""
    return trimmed(rf.columns[name]) if name in rf.columns else "null"


def row_date(rf) -> str:
    """SQL for the date that picks a dated rate (close date, else created date, ...)."""
    cols = [f"try_cast(substr({trimmed(rf.columns[c])}, 1, 10) as date)"
            for c in MONEY_DATES[rf.table.name] if c in rf.columns]
    return f"coalesce({', '.join(cols)})" if cols else "cast(null as date)"


def rate_sql(code: str, day: str) -> str:
    """SQL: the rate of currency `code` on `day`: a dated rate covering it, else undated."""
    return (f"coalesce((select max_by(r.rate_value, r.rate_start) from {RATES} r where "
            f"r.rate_currency = {code} and r.rate_start <= {day} and "
            f"(r.rate_end is null or {day} < r.rate_end)), "
            f"(select max(r.rate_value) from {RATES} r where r.rate_currency = {code} "
            "and r.rate_start is null))")


def factor_sql(rf, dataset: str) -> str:
    """SQL: what an amount of this row multiplies by to be in the dataset currency."""
    code, day = f"upper({trimmed(rf.columns['currency'])})", row_date(rf)
    base = rate_sql(literal(dataset), day)
    return (f"(case when {code} is null or {code} = {literal(dataset)} then 1.0 "
            f"else coalesce({base}, 1.0) / {rate_sql(code, day)} end)")


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def found_currencies(con, files: dict) -> dict[str, list[str]]:
    """file -> the distinct currency codes its rows use."""
    out = {}
    for rf in money_tables(files):
        rows = con.execute(
            f"select distinct upper({trimmed(rf.columns['currency'])}) as c "  # noqa: S608
            f"from {ident(rf.raw_table)} where c is not null order by c").fetchall()
        out[rf.file] = [r[0] for r in rows]
    return out


def dataset_currency(con, files: dict, requested: str | None) -> str:
    """The requested currency; else the rates' base (the undated rate of 1, Salesforce's
    corporate currency); else the one currency every row uses; else USD."""
    if requested:
        return requested.upper()
    base = con.execute(f"select min(rate_currency) from {RATES} where rate_value = 1 and "
                       "rate_start is null").fetchall()[0][0]
    if base:
        return base
    used = {c for codes in found_currencies(con, files).values() for c in codes}
    return used.pop() if len(used) == 1 else "USD"


def checks(con, files: dict, dataset: str) -> tuple[list[Message], list[Message]]:
    """(whole-file errors, row errors): several currencies and no rates refuse the file;
    a row whose currency has no rate is a row error naming file, line and currency."""
    whole, rows = [], []
    has_rates = "currency_rates" in files
    if has_rates:
        rows += bad_rates(con, files["currency_rates"])
    for rf in money_tables(files):
        codes = [c for c in found_currencies(con, files)[rf.file] if c != dataset]
        if not codes:
            continue
        if not has_rates:
            whole.append(Message(
                "error", rf.file, None, "currency",
                f"amounts in {', '.join(sorted(set(codes) | {dataset}))} and no exchange "
                f"rates, so they cannot be summed as {dataset}; add currency_rates.csv "
                "(currency, rate per 1 " + dataset + ", start_date, end_date), from a "
                "Salesforce org its CurrencyType.csv and DatedConversionRate.csv, or name "
                "the currency of every amount with --currency"))
            continue
        rows += no_rate(con, rf, dataset)
    return whole, rows


def bad_rates(con, rf, limit: int | None = EXAMPLES) -> list[Message]:
    """Rates of 0 or less (a rate divides every amount of its currency)."""
    v = trimmed(rf.columns["rate"])
    found = con.execute(
        f"select _line, {v} from {ident(rf.raw_table)} where try_cast({v} as double) <= 0 "  # noqa: S608
        "order by _line limit $n", {"n": limit or ALL}).fetchall()
    return [Message("error", rf.file, line, "rate", f"{value} is not a rate; expected a "
                    "number greater than 0 (units of the currency per 1 of the dataset "
                    "currency)") for line, value in found]


def no_rate_sql(rf, dataset: str) -> str:
    code, day = f"upper({trimmed(rf.columns['currency'])})", row_date(rf)
    return (f"{code} is not null and {code} <> {literal(dataset)} and "
            f"{rate_sql(code, day)} is null")


def no_rate(con, rf, dataset: str, limit: int | None = EXAMPLES) -> list[Message]:
    found = con.execute(
        f"select _line, upper({trimmed(rf.columns['currency'])}), count(*) over () "  # noqa: S608
        f"from {ident(rf.raw_table)} where {no_rate_sql(rf, dataset)} order by _line "
        "limit $n", {"n": limit or ALL}).fetchall()
    out = [Message("error", rf.file, line, "currency",
                   f"{code} has no rate to {dataset} in currency_rates"
                   + (" on this row's date" if _dated_only(con, code) else "")
                   + "; add its rate (or leave the row out)")
           for line, code, _ in found]
    if limit and found and found[0][2] > len(found):
        out.append(Message("error", rf.file, None, "currency",
                           f"{found[0][2]} rows in all have a currency without a rate"))
    return out


def _dated_only(con, code: str) -> bool:
    return bool(con.execute(f"select count(*) from {RATES} where rate_currency = ?",
                            [code]).fetchall()[0][0])


def money_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.type == "money"]
