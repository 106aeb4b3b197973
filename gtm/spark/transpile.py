"""DuckDB SQL of the metrics and the staging steps, as Spark SQL: one definition, two engines.

Every statement the metrics run is composed once in DuckDB's dialect (gtm/metrics/sql.py,
gtm/load/staging.py). SQLGlot parses it, `qualify` expands every star (DuckDB's `* exclude`
included) and names every column's source from the schema Spark reports, `annotate_types`
gives every expression its type, and the few DuckDB constructs whose meaning SQLGlot's
Spark generator does not keep are rewritten here, each by one function of `FIXES`:

- `date - date` is a number of days in DuckDB (Spark: an interval): `datediff`.
- `date +/- integer` is a date: `date_add` / `date_sub` (Spark wants an int day count).
- `date_trunc(part, date)` is a date in DuckDB (Spark: a timestamp): cast back to date.
- `quantile_cont(x, q)` and `median(x)`: Spark's exact `percentile` (the same linear
  interpolation between the two middle values).
- `first(x order by k)`: `min_by(x, struct(k is null, k, ...))` (nulls last, as DuckDB).
- `len(list)`: `size`.
- `range(a, b, step)` (end excluded) and `generate_series(a, b, step)` (end included) of
  dates or timestamps: `sequence(a, b', step)` with b' the last value the range can hold,
  and an empty array where DuckDB's series is empty (Spark's `sequence` raises).
- `over (w rows between ...)` on a named window `w`: its definition written out.
- `unnest(list)::type` in a select list: `explode(transform(list, x -> cast(x as type)))`
  (Spark refuses a generator inside an expression).

Values are never written into the text: each `$name` becomes `cast(:name as <type>)`, a
Spark named parameter whose value Spark binds (`args`), typed from the Python value so
`$end - $lookback_days` and `list_contains($regions, region)` type-check as in DuckDB.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify


class Source(DuckDB):
    """DuckDB as the metrics write it: `rowid` is a pseudo-column (readable by name, never
    part of `*`); the Spark source gives the tables whose rowid staging reads a real one."""

    PSEUDOCOLUMNS = {"ROWID"}
    EXCLUDES_PSEUDOCOLUMNS_FROM_STAR = True


# Parameter kinds and the SQL type each is bound as (DuckDB spelling; Spark: int, array<string>).
TYPES = {"date": "date", "int": "int", "bigint": "bigint", "float": "double",
         "bool": "boolean", "str": "varchar", "list": "varchar[]", "null": None}


def kind(value) -> str:
    """The kind of a bound parameter's Python value (a key of TYPES)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if -2**31 <= value < 2**31 else "bigint"
    if isinstance(value, float):
        return "float"
    if isinstance(value, dt.datetime):
        raise TypeError("timestamps are not bound parameters of the metrics; pass a date")
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return "list"
    raise TypeError(f"cannot bind {type(value).__name__} {value!r} as a Spark parameter")


def to_spark(sql: str, kinds: dict[str, str], schema: dict[str, dict[str, str]],
             inline: bool = False) -> str:
    """Spark SQL for a DuckDB statement whose `$name` parameters have `kinds`, over tables of
    `schema` ({table: {column: type}}). Cached: the report runs each statement twice.
    inline=True writes each CTE out where it is read (see `inline_ctes`)."""
    key_schema = tuple((t, tuple(cols.items())) for t, cols in sorted(schema.items()))
    return _to_spark(sql, tuple(sorted(kinds.items())), key_schema, inline)


@lru_cache(maxsize=512)
def _to_spark(sql: str, kinds: tuple, key_schema: tuple, inline: bool) -> str:
    schema = {t: dict(cols) for t, cols in key_schema}
    tree = sqlglot.parse_one(sql, read=Source)
    tree = _bind(tree, dict(kinds))
    tree = qualify(tree, schema=schema, dialect=Source, validate_qualify_columns=True)
    tree = annotate_types(tree, schema=schema, dialect=Source)
    for fix in FIXES:
        tree = tree.transform(fix, copy=False)
    if inline:
        tree = inline_ctes(tree)
    return tree.sql(dialect="spark")


def inline_ctes(tree: exp.Expr) -> exp.Expr:
    """Every `with x as (...)` written out as a derived table where x is read.

    For the intermediate tables Spark caches: a cached view whose plan has CTEs is not
    recognised (and so recomputed from scratch) inside a query that has CTEs of its own,
    which every metric query has. Without CTEs the cached plan is found every time."""
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is None:
        return tree
    ctes = list(with_.expressions)
    tree.set("with_" if "with_" in tree.args else "with", None)
    for i, cte in enumerate(ctes):
        body, name = cte.this, cte.alias
        for target in [*(c.this for c in ctes[i + 1:]), tree]:
            for table in list(target.find_all(exp.Table)):
                if table.name == name and not table.args.get("db"):
                    alias = table.alias or name
                    table.replace(exp.Subquery(this=body.copy(),
                                               alias=exp.TableAlias(this=exp.to_identifier(alias))))
    return tree


def _bind(tree: exp.Expr, kinds: dict[str, str]) -> exp.Expr:
    """Each $name -> cast(:name as its type); a NULL list stays typed as a list."""
    lists = {p.name for p in tree.find_all(exp.Placeholder)
             if isinstance(p.parent, exp.ArrayContains | exp.Length)}

    def bind(node):
        if not isinstance(node, exp.Placeholder):
            return node
        name = node.name
        if name not in kinds:
            raise KeyError(f"parameter ${name} has no value")
        sql_type = TYPES[kinds[name]] or ("varchar[]" if name in lists else None)
        marker = exp.Placeholder(this=name)
        if sql_type is None:
            return exp.Null()
        return exp.cast(marker, exp.DataType.build(sql_type, dialect="duckdb"))

    return tree.transform(bind)


# --- the fixes -------------------------------------------------------------------------

def _is(node: exp.Expr, *types: str) -> bool:
    return node.type is not None and node.type.is_type(*types)


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def date_arithmetic(node):
    """date - date -> datediff; date +/- integer -> date_add / date_sub."""
    if not isinstance(node, exp.Add | exp.Sub):
        return node
    left, right = node.this, node.expression
    if not _is(left, "date"):
        return node
    if isinstance(node, exp.Sub) and _is(right, "date"):
        return _typed(_fn("DATEDIFF", left, right), "int")
    if _is(right, *exp.DataType.INTEGER_TYPES):
        days = exp.cast(right, "int") if not _is(right, "int") else right
        name = "DATE_ADD" if isinstance(node, exp.Add) else "DATE_SUB"
        return _typed(_fn(name, left, days), "date")
    return node


def _typed(node: exp.Expr, sql_type: str) -> exp.Expr:
    node.type = exp.DataType.build(sql_type)
    return node


def date_trunc_of_date(node):
    """date_trunc(part, date) is a date in DuckDB: keep it one in Spark."""
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc) and _is(node.this, "date"):
        unit = node.args.get("unit")
        trunc = _fn("DATE_TRUNC", exp.Literal.string(unit.name if unit else "day"), node.this)
        return _typed(exp.cast(trunc, "date"), "date")
    return node


def percentiles(node):
    """quantile_cont(x, q) / median(x) -> percentile(x, q) (exact, linear interpolation)."""
    if isinstance(node, exp.Median):
        return _fn("PERCENTILE", node.this, exp.Literal.number("0.5"))
    if isinstance(node, exp.PercentileCont | exp.Quantile):
        return _fn("PERCENTILE", node.this, node.expression)
    return node


def ordered_first(node):
    """first(x order by k1, k2) -> min_by(x, struct(k1 is null, k1, k2 is null, k2))."""
    if not (isinstance(node, exp.First) and isinstance(node.this, exp.Order)):
        return node
    order = node.this
    keys: list[exp.Expr] = []
    for ordered in order.expressions:
        if ordered.args.get("desc") or ordered.args.get("nulls_first"):
            raise NotImplementedError(f"first(... order by {ordered.sql('duckdb')}): only "
                                      "ascending keys with nulls last are transpiled")
        keys += [exp.Is(this=ordered.this.copy(), expression=exp.Null()), ordered.this]
    return _fn("MIN_BY", order.this, exp.Struct(expressions=keys))


def list_length(node):
    """len(list) -> size(list)."""
    if isinstance(node, exp.Length) and _is(node.this, "array"):
        return exp.ArraySize(this=node.this)
    return node


def series(node):
    """generate_series / range over dates or timestamps -> sequence, empty when DuckDB's is."""
    if not isinstance(node, exp.GenerateSeries):
        return node
    start, end, step = node.args["start"], node.args["end"], node.args.get("step")
    if step is None and _is(start, *exp.DataType.INTEGER_TYPES) and not _is(
            end, *exp.DataType.TEMPORAL_TYPES):  # range(1, len(x) + 1): positions
        if node.args.get("is_end_exclusive"):
            end = exp.Sub(this=end, expression=exp.Literal.number(1))
        return exp.If(this=exp.GT(this=start.copy(), expression=end.copy()),
                      true=exp.Array(expressions=[]), false=_fn("SEQUENCE", start, end))
    if step is None or not _positive_interval(step):
        raise NotImplementedError(f"{node.sql('duckdb')}: only series with a positive "
                                  "interval step are transpiled")
    if node.args.get("is_end_exclusive"):
        end = _before(end)
    seq = _fn("SEQUENCE", start, end, step)
    empty = exp.If(this=exp.GT(this=start.copy(), expression=end.copy()),
                   true=exp.Array(expressions=[]), false=seq)
    return empty


def _positive_interval(step: exp.Expr) -> bool:
    if not (isinstance(step, exp.Interval) and isinstance(step.this, exp.Literal)):
        return False
    try:
        return float(step.this.name) > 0
    except ValueError:
        return False


def _before(end: exp.Expr) -> exp.Expr:
    """The last instant a range ending (exclusively) at `end` can hold."""
    if _is(end, "date"):
        return _fn("DATE_SUB", end, exp.Literal.number(1))
    return exp.Sub(this=end, expression=exp.Interval(this=exp.Literal.string("1"),
                                                     unit=exp.Var(this="MICROSECOND")))


def cast_of_unnest(node):
    """unnest(list)::type -> explode(transform(list, x -> cast(x as type)))."""
    if not (isinstance(node, exp.Cast) and isinstance(node.this, exp.Unnest | exp.Explode)):
        return node
    gen = node.this
    inner = gen.expressions[0] if isinstance(gen, exp.Unnest) else gen.this
    x = exp.to_identifier("_x")
    lam = exp.Lambda(this=exp.cast(exp.column(x), node.to), expressions=[x])
    return exp.Explode(this=_fn("TRANSFORM", inner, lam))


def zipped_unnests(node):
    """`select unnest(a) as x, unnest(b) as y` (no FROM; DuckDB zips the lists, padding with
    NULLs) -> `select inline(arrays_zip(a, b)) as (x, y)`: Spark allows one generator per
    select, and arrays_zip pads the same way."""
    if not isinstance(node, exp.Select) or node.args.get("from") or node.args.get("from_"):
        return node
    items = node.expressions
    if len(items) < 2 or not all(isinstance(i, exp.Alias) and isinstance(i.this, exp.Explode)
                                 for i in items):
        return node
    lists = [i.this.this for i in items]
    names = [exp.to_identifier(i.alias) for i in items]
    node.set("expressions", [exp.Aliases(this=_fn("INLINE", _fn("ARRAYS_ZIP", *lists)),
                                         expressions=names)])
    return node


def named_windows(node):
    """`window w as (...)` with `over (w rows between ...)`: Spark cannot add a frame to a
    named window, so every use of a named window gets its definition written out."""
    if not (isinstance(node, exp.Select) and node.args.get("windows")):
        return node
    named = {w.name: w for w in node.args["windows"]}
    for window in node.find_all(exp.Window):
        ref = window.args.get("alias")
        if window.args.get("over") and ref is not None and ref.name in named:
            spec = named[ref.name]
            for part in ("partition_by", "order"):
                if spec.args.get(part) is not None:
                    window.set(part, spec.args[part].copy() if part == "order"
                               else [e.copy() for e in spec.args[part]])
            window.set("alias", None)
    node.set("windows", None)
    return node


FIXES = (named_windows, date_arithmetic, date_trunc_of_date, percentiles, ordered_first, list_length, series,
         cast_of_unnest, zipped_unnests)
