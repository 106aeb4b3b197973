"""gtm/ is the domain and must run without Streamlit (CLI, tests, other front ends)."""

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import gtm

ROOT = Path(__file__).resolve().parent.parent
STREAMLIT_IMPORT = re.compile(r"^\s*(import|from)\s+streamlit\b", re.MULTILINE)


def gtm_modules() -> list[str]:
    """Every module of the gtm package (not __main__: importing it runs the CLI)."""
    return sorted(m.name for m in pkgutil.walk_packages(gtm.__path__, "gtm.")
                  if not m.name.endswith(".__main__"))


def test_every_gtm_module_is_found():
    names = gtm_modules()
    assert {"gtm.contract", "gtm.filters", "gtm.load.store", "gtm.metrics.registry", "gtm.metrics",
            "gtm.load.loader", "gtm.demo"} <= set(names)


def test_importing_every_gtm_module_never_loads_streamlit():
    code = (
        "import importlib, json, sys\n"
        f"for name in {gtm_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


TOP_LEVEL_IMPORT = re.compile(r"^(import|from)\s+streamlit\b", re.MULTILINE)


def test_no_gtm_source_imports_streamlit():
    sources = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
               for p in (ROOT / "gtm").rglob("*.py")}
    assert [name for name, text in sources.items() if STREAMLIT_IMPORT.search(text)] == []


def test_the_import_pattern_catches_both_forms():
    # guards the grep above against a regex that silently matches nothing
    assert STREAMLIT_IMPORT.search("import streamlit as st")
    assert STREAMLIT_IMPORT.search("x = 1\n    from streamlit.runtime import y")
    assert not STREAMLIT_IMPORT.search("# streamlit is imported by ui/ only")
    assert TOP_LEVEL_IMPORT.search("import streamlit")
    assert not TOP_LEVEL_IMPORT.search("def f():\n    import streamlit as st")


# --- layers and cycles (issue 14): the contracts live in pyproject.toml ------------------

def _contracts_report() -> str:
    out = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                          "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    return out.stdout + out.stderr


def test_import_contracts_are_kept():
    """gtm never imports streamlit, ui or perf; the layers of gtm and ui hold
    (pyproject.toml [tool.importlinter]); import-linter exits 0 only when all are kept."""
    report = _contracts_report()
    assert "Contracts: 4 kept, 0 broken." in report, report


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. import cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_imports_itself_back():
    """No import cycle among gtm, ui and perf, including imports inside functions."""
    import grimp

    graph = grimp.build_graph("gtm", "ui", "perf")
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert len(edges) > 50
    assert _cycles(edges) == []
