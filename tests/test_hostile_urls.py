"""Hostile links: every bad value falls back to its default with a notice, and no value
from a URL (or a file) reaches SQL except as a bound parameter.

Two halves:
1. AppTest opens the app with injected query parameters (SQL-looking text, climbing
   paths, huge numbers, NaN, repeated and unknown keys, Markdown): the app runs without
   an error, says what it ignored (escaped, so a link cannot format or link the notice),
   and shows exactly the numbers of the plain default view.
2. A static scan (ast) of every SQL call in gtm/: the SQL argument may be built with an
   f-string only from quoted identifiers (ident/literal), contract names (`.name`,
   `.sql_type`), module constants, and SQL fragments returned by the helpers listed in
   FRAGMENT_BUILDERS; never with % or .format. EXCEPTIONS lists the few local fragment
   variables the scan cannot follow, each with why it holds no value.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.filters import KEYS, PAGE_KEYS

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture
def app(app_db, monkeypatch):
    monkeypatch.setenv("TARGETLINE_DB", str(app_db))

    def open_app(**params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        for key, value in params.items():
            at.query_params[key] = value
        return at.run()

    return open_app


@pytest.fixture
def default_view(app):
    at = app()
    assert not at.exception
    return {m.label: (m.value, m.delta) for m in at.metric}


def widget(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


def notices(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


HOSTILE = [
    ({"region": "' OR 1=1 --"}, "Ignored region=' OR 1=1 --"),
    ({"segment": "x'); drop table people; --"}, "Ignored segment=x'); drop table people; --"),
    ({"channel": "$channel"}, "Ignored channel=$channel"),  # a bind-parameter lookalike
    ({"period": "../../etc/passwd"}, "Ignored period=../../etc/passwd"),
    ({"period": "2025Q1; select 1"}, "Ignored period=2025Q1; select 1"),
    ({"margin": "1e308"}, "Ignored margin=1e308"),
    ({"group": "99999999999999999999999"}, "Ignored group=99999999999999999999999"),
    ({"threshold": "NaN"}, "Ignored threshold=NaN"),
    ({"lookback": "inf"}, "Ignored lookback=inf"),
    ({"stale": "-1"}, "Ignored stale=-1"),
    ({"activation": "7.5"}, "Ignored activation=7.5"),
    ({"stage": "Closed Won' --"}, "Ignored stage=Closed Won' --"),
    ({"motion": "sales_led"}, "Ignored motion=sales_led"),
    ({"period": ["2025Q1", "2031Q9"]}, "Ignored period=2031Q9"),  # repeated: the last counts
    ({"utm_source": "x", "debug": "1"}, "Ignored utm_source, debug from the link"),
]


def plain(text: str) -> str:
    """A notice as read on screen: Markdown escapes removed."""
    return text.replace("\\", "")


@pytest.mark.parametrize("params, notice", HOSTILE, ids=[n for _, n in HOSTILE])
def test_hostile_link_falls_back_to_the_default_view_with_a_notice(app, default_view,
                                                                     params, notice):
    at = app(**params)
    assert not at.exception, [e.value for e in at.exception]
    assert notice in plain(notices(at))
    assert {m.label: (m.value, m.delta) for m in at.metric} == default_view
    assert widget(at, "multiselect", "region").value == []
    assert widget(at, "multiselect", "segment").value == []


def test_only_the_hostile_value_is_dropped(app, default_view):
    """A good value beside a bad one is kept: channel=email stays, $channel is named."""
    at = app(channel=["email", "$channel"])
    assert widget(at, "multiselect", "channel").value in ([], ["email"])
    assert "Ignored channel=$channel" in plain(notices(at))


def test_markdown_and_html_in_a_link_stay_plain_text(app):
    at = app(region=["[click](javascript:alert(1))", "<img src=x onerror=alert(1)>",
                     "**bold** www.evil.example"])
    text = notices(at)
    assert "Ignored region=" in plain(text)
    for raw in (r"\[click\]\(", "<img", r"\*\*bold", r"www\.evil"):
        assert not re.search(r"(?<!\\)" + raw, text), f"{raw!r} renders as markup: {text!r}"
    assert "\\[click\\]" in text and "\\<img" in text and "\\*\\*bold" in text


def test_the_known_keys_cover_every_bound_widget_of_the_pages():
    """A page's own link parameter must not be reported as unknown (PAGE_KEYS in sync)."""
    from gtm.plan import growth

    bound = set(growth.SLIDER_KEYS.values()) | {growth.SOLVE_KEY}
    for path in (ROOT / "pages").glob("*.py"):
        for call in ast.walk(ast.parse(path.read_text())):
            if isinstance(call, ast.Call) and any(k.arg == "bind" for k in call.keywords):
                key = next((k.value for k in call.keywords if k.arg == "key"), None)
                if isinstance(key, ast.Constant):
                    bound.add(key.value)
    assert bound - set(KEYS) - set(PAGE_KEYS) == set()


# --- static: SQL in gtm/ takes values only as bound parameters ------------------------

SQL_METHODS = {"execute", "executemany", "sql", "query"}  # con.<method>(sql, ...)
WRAPPERS = {"query", "scalar", "row",  # gtm.metrics query/scalar/row(con, sql, params)
            "sql", "execute"}  # gtm.spark SparkConnection.sql/execute(sql, params), SparkCursor
# .execute: the Spark adapter passes the SQL on; their callers are scanned
QUOTING = {"ident", "literal"}  # gtm.load.validate.ident / gtm.load.readers.literal quote and escape
CONTRACT_ATTRS = {"name", "raw_table", "sql_type"}  # names from gtm/contract.py or ident()ed
# Helpers that return SQL text built only from identifiers and their SQL-fragment
# arguments (each body is scanned too, test_fragment_builders_are_clean).
FRAGMENT_BUILDERS = {"trimmed", "norm_code", "typed_sql", "bad_value_sql", "_has_zone",
                     "_default_type", "create_table_sql", "_typed_column", "target_flag",
                     "_converted", "_rate_col", "row_date", "rate_sql", "factor_sql",
                     # _converted..no_rate_sql, known_sum: money conversion (gtm/load/money.py)
                     "no_rate_sql", "known_sum",
                     "persona_flag", "_account_fields_sql", "account_fields_sql",
                     "_field_select"}  # target defs
# gtm.metrics.sql.compose(text) adds the shared relations text reads: its text argument is
# scanned like the SQL itself; the relations are scanned where they are defined
# (test_shared_relations_are_clean).
COMPOSERS = {"compose"}
# Translators of SQL text whose first argument is the SQL (scanned) and whose others are
# no SQL: gtm.spark.transpile.to_spark(sql, kinds, schema, inline) rewrites DuckDB SQL as
# Spark SQL, each $name a bound Spark parameter (values never enter the text).
TRANSLATORS = {"to_spark"}
# (module, function, variable): a local the scan cannot follow, and why it holds no value.
EXCEPTIONS = {
    ("gtm/spark/source.py", "build_staging", "body"):
        "the select of a gtm.load.staging STEPS constant (or account_fields_sql, a listed "
        "builder) after its `create table X as`: staging's own text, values bound",
    ("gtm/load/validate.py", "value_checks", "cond"):
        "conditions from _value_probes: f-strings of trimmed(raw column) and bad_value_sql",
    ("gtm/load/validate.py", "value_checks", "counts_sql"):
        "', '.join of count(*) filter (where cond), cond as above",
    ("gtm/load/validate.py", "row_checks", "condition"):
        "a ROW_RULES lambda over trimmed(raw column) fragments (_bool, _day), no value",
    ("gtm/load/loader.py", "_write_raw_layer", "name"):
        "keys of the files dict: contract table names (readers.discover keeps no other)",
    ("gtm/load/skip.py", "_value_rows", "cond"):
        "conditions from _value_probes, as for value_checks above",
    ("gtm/importers/mapping.py", "_computed_values", "sql"):
        "a mapping's computed field: _expression accepts only numbers, + - * / ( ) , and "
        "the FUNCTIONS names, and reads each column through trimmed() (ident-quoted)",
    ("gtm/load/loader.py", "_build", "MEMORY_LIMIT"):
        "operator setting (env TARGETLINE_LOAD_MEMORY), not request input; DuckDB's SET "
        "takes no bound parameter",
}


def _functions(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            yield node


def _assigned(fn: ast.AST, name: str) -> list[ast.expr]:
    """Every expression bound to name in fn: assignments (tuples element-wise) and the
    iterable of a for loop over it (enumerate(...) unwrapped)."""
    values = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                values += _matching(target, node.value, name)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and node.value is not None:
            values += _matching(node.target, node.value, name)
        elif isinstance(node, ast.For) and any(
                isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.target)):
            source = node.iter
            if isinstance(source, ast.Call) and _call_name(source) == "enumerate":
                source = source.args[0]
            values.append(source)
    return values


def _matching(target: ast.expr, value: ast.expr, name: str) -> list[ast.expr]:
    if isinstance(target, ast.Name):
        return [value] if target.id == name else []
    if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(
            target.elts) == len(value.elts):
        return [v for t, e in zip(target.elts, value.elts, strict=True)
                for v in _matching(t, e, name)]
    if isinstance(target, ast.Tuple) and any(
            isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
        return [value]
    return []


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)


class SqlScan:
    """Finds every formatted value of an SQL string that is not provably an identifier."""

    def __init__(self, path: Path, tree: ast.Module):
        self.path, self.tree = path.relative_to(ROOT).as_posix(), tree
        self.problems: list[str] = []

    def check(self, expr: ast.expr, fn: ast.AST, params: set[str], seen=()) -> None:
        fname = getattr(fn, "name", "<module>")
        if isinstance(expr, ast.Constant):
            return
        if isinstance(expr, ast.JoinedStr):
            for part in expr.values:
                if isinstance(part, ast.FormattedValue):
                    self.check(part.value, fn, params, seen)
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            self.check(expr.left, fn, params, seen)
            self.check(expr.right, fn, params, seen)
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
            self.problems.append(f"{self.path}:{expr.lineno} SQL built with %")
        elif isinstance(expr, ast.Call):
            self._call(expr, fn, params, seen)
        elif isinstance(expr, ast.Attribute) and expr.attr in CONTRACT_ATTRS:
            return
        elif isinstance(expr, ast.Attribute) and expr.attr.isupper():  # module.CONSTANT
            self._constant(expr.attr, expr, params, seen, fname)
        elif isinstance(expr, ast.Subscript):  # CONSTANT[key]: every value of the constant
            self.check(expr.value, fn, params, seen)
        elif isinstance(expr, ast.Dict):
            for value in expr.values:
                self.check(value, fn, params, seen)
        elif isinstance(expr, ast.IfExp):
            self.check(expr.body, fn, params, seen)
            self.check(expr.orelse, fn, params, seen)
        elif isinstance(expr, ast.Name):
            self._name(expr, fn, params, seen, fname)
        elif isinstance(expr, ast.GeneratorExp | ast.ListComp):
            inner = params | {n.id for g in expr.generators for n in ast.walk(g.target)
                              if isinstance(n, ast.Name)}
            self.check(expr.elt, fn, inner, seen)
        elif isinstance(expr, ast.List | ast.Tuple):
            for item in expr.elts:
                self.check(item.value if isinstance(item, ast.Starred) else item, fn, params,
                           seen)
        else:
            self.problems.append(f"{self.path}:{expr.lineno} in {fname}: "
                                 f"{ast.unparse(expr)!r} is not provably an identifier")

    def _call(self, call: ast.Call, fn, params, seen) -> None:
        name = _call_name(call)
        if name == "format" and isinstance(call.func, ast.Attribute):
            self.problems.append(f"{self.path}:{call.lineno} SQL built with .format")
        elif name in QUOTING or name in FRAGMENT_BUILDERS:
            return
        elif name in COMPOSERS and len(call.args) == 1 or name in TRANSLATORS and call.args:
            self.check(call.args[0], fn, params, seen)
        elif name == "join" and isinstance(call.func, ast.Attribute) and call.args:
            self.check(call.args[0], fn, params, seen)
        else:
            self.problems.append(f"{self.path}:{call.lineno}: {ast.unparse(call)!r} "
                                 "is not a quoting or fragment-building call")

    def _name(self, expr: ast.Name, fn, params, seen, fname) -> None:
        name = expr.id
        if (self.path, fname, name) in EXCEPTIONS:
            return
        if name in params and (fname in FRAGMENT_BUILDERS or name not in _arguments(fn)):
            return  # a fragment builder's argument, or a comprehension variable
        if fname in WRAPPERS and name == "sql" and name in _arguments(fn):
            return  # the wrapper itself: its callers are scanned
        if name.isupper() or name.startswith("_") and name[1:].isupper():
            self._constant(name, expr, params, seen, fname)
            return
        values, scope = _assigned(fn, name), fn
        if not values or (name, id(scope)) in seen:
            if not values:
                self.problems.append(f"{self.path}:{expr.lineno} in {fname}: {name!r} "
                                     "is not provably an identifier")
            return
        for value in values:
            self.check(value, scope, params, (*seen, (name, id(scope))))


    def _constant(self, name: str, expr: ast.expr, params, seen, fname) -> None:
        if ("<constant>", name) in seen:
            return
        values = _module_constants().get(name) or []
        if not values:
            self.problems.append(f"{self.path}:{expr.lineno} in {fname}: constant {name!r} "
                                 "is not defined in gtm/")
        for value in values:
            self.check(value, self.tree, params, (*seen, ("<constant>", name)))

@functools.cache
def _module_constants() -> dict[str, list[ast.expr]]:
    """Every module-level assignment in gtm/, by name (constants imported across modules)."""
    found: dict[str, list[ast.expr]] = {}
    for _path, tree in _gtm_modules():
        for node in tree.body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found.setdefault(target.id, []).append(node.value)
    return found


def _sql_argument(node: ast.AST) -> ast.expr | None:
    """The SQL text argument of con.execute(sql, ...) or query(con, sql, ...), else None."""
    if not isinstance(node, ast.Call):
        return None
    if isinstance(node.func, ast.Attribute) and node.func.attr in SQL_METHODS and node.args:
        return node.args[0]
    if isinstance(node.func, ast.Name) and node.func.id in WRAPPERS and len(node.args) > 1:
        return node.args[1]
    return None


def _arguments(fn) -> set[str]:
    if not isinstance(fn, ast.FunctionDef):
        return set()
    args = fn.args
    return {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}


def _gtm_modules():
    for path in sorted((ROOT / "gtm").rglob("*.py")):
        yield path, ast.parse(path.read_text())


def test_sql_calls_in_gtm_interpolate_identifiers_only():
    problems, calls = [], 0
    for path, tree in _gtm_modules():
        scan = SqlScan(path, tree)
        for fn in [tree, *_functions(tree)]:
            for node in ast.walk(fn):
                sql = _sql_argument(node)
                if sql is not None and _enclosing(tree, node) is fn:
                    calls += 1
                    scan.check(sql, fn, set())
        problems += scan.problems
    assert calls > 20, "the scan found no SQL calls: has gtm/ moved?"
    assert problems == []


def test_fragment_builders_are_clean():
    """The helpers trusted above build their SQL from identifiers and their arguments."""
    found, problems = set(), []
    for path, tree in _gtm_modules():
        scan = SqlScan(path, tree)
        for fn in _functions(tree):
            if fn.name in FRAGMENT_BUILDERS:
                found.add(fn.name)
                for node in ast.walk(fn):
                    if isinstance(node, ast.Return) and node.value is not None:
                        scan.check(node.value, fn, _arguments(fn))
        problems += scan.problems
    assert found == FRAGMENT_BUILDERS, "a listed builder no longer exists"
    assert problems == []


def test_shared_relations_are_clean():
    """Every define(name, body) of gtm.metrics.sql: the body takes values only as
    parameters (compose() writes these bodies into the queries scanned above)."""
    problems, bodies = [], 0
    for path, tree in _gtm_modules():
        scan = SqlScan(path, tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) == "define" and len(node.args) == 2:
                bodies += 1
                scan.check(node.args[1], _enclosing(tree, node), set())
        problems += scan.problems
    assert bodies > 20, "the scan found no shared relations: has gtm/metrics/sql.py moved?"
    assert problems == []


def _enclosing(tree: ast.Module, target: ast.AST) -> ast.AST:
    """The innermost function holding target (the module when none)."""
    best = tree
    for fn in _functions(tree):
        if any(node is target for node in ast.walk(fn)):
            if best is tree or any(node is fn for node in ast.walk(best)):
                best = fn
    return best


@pytest.mark.parametrize("source", [
    "def f(con, region):\n    con.execute(f\"select * from people where region = '{region}'\")",
    "def f(con, p):\n    sql = f\"select * from t where x = {p['x']}\"\n    query(con, sql, p)",
    "def f(con, x):\n    con.execute(\"select * from t where x = '%s'\" % x)",
    "def f(con, x):\n    con.execute(\"select * from t where x = '{}'\".format(x))",
    "def f(con, rows):\n    for name in rows:\n        con.execute(f\"select {name} from t\")",
    "def f(con, x):\n    query(con, compose(f\"select * from t where x = '{x}'\"), {})",
])
def test_the_scan_catches_an_interpolated_value(source):
    """The scan is not vacuous: each of these would let a value reach SQL."""
    tree = ast.parse(source)
    scan = SqlScan(ROOT / "gtm" / "example.py", tree)
    for fn in _functions(tree):
        for node in ast.walk(fn):
            if (sql := _sql_argument(node)) is not None:
                scan.check(sql, fn, set())
    assert scan.problems


@pytest.mark.parametrize("params", [
    {"goal": "inf"}, {"win": "NaN"}, {"price": "1e999"}, {"market": "-5"},
    {"solve": "<script>alert(1)</script>"}, {"grain": "' OR 1=1 --"}, {"flow": "../../x"},
])
def test_hostile_page_parameters_do_not_break_any_page(app_db, monkeypatch, params):
    """The pages' own link parameters (growth planner, Net ARR grain, velocity flow)."""
    monkeypatch.setenv("TARGETLINE_DB", str(app_db))
    for page in ("pages/growth.py", "pages/net-arr.py", "pages/velocity.py"):
        at = AppTest.from_file(APP, default_timeout=120)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        for element in (*at.markdown, *at.info, *at.warning, *at.caption):
            assert not re.search(r"(?<!\\)<script", element.value), element.value
