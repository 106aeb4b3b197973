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
    assert {"gtm.contract", "gtm.filters", "gtm.load.store", "gtm.registry", "gtm.metrics",
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
