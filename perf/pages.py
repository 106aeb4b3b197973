"""Page timings for `python -m gtm bench`, run as `python -m perf.pages DB RUNS RERUNS`.

Timing a page means running it through Streamlit's AppTest, and gtm never imports
Streamlit, so perf.bench starts this module in a child process and reads the
figures it prints as JSON on its last line (progress goes to stderr).
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from statistics import median

import psutil

from perf.bench import (
    APP,
    PAGE_TIMEOUT_S,
    RERUN_WARMUP,
    SLIDER_MOVES,
    Figure,
    Page,
    app_pages,
    budgeted,
    dataset_env,
)


def _clear_streamlit_caches() -> None:
    """Empty every st.cache_data / st.cache_resource cache of this process (outside a
    running app Streamlit warns that it uses its in-memory store: that is the point)."""
    import streamlit as st

    quiet = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        st.cache_data.clear()
        st.cache_resource.clear()
    finally:
        quiet.setLevel(level)


def _timed_run(at) -> float:
    began = time.perf_counter()
    at.run()
    return time.perf_counter() - began


def _errors(at) -> list[str]:
    return [str(getattr(e, "message", e)).splitlines()[0] for e in at.exception]


def share_script_cache() -> None:
    """Compile each script once per process, as a running server does.

    AppTest builds a new ScriptCache for every run, so every rerun it times would
    recompile app.py and the page (Streamlit's magic rewrites the AST first: 20-40 ms
    per rerun that `streamlit run` spends only on a page's first view).
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared


def new_app_test():
    """An AppTest of app.py that has run once (needed before switch_page)."""
    from streamlit.testing.v1 import AppTest

    share_script_cache()
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT_S)
    at.run()
    return at


def measure_page(at, page: Page, runs: int) -> list[Figure]:
    """Cold (caches cleared) and warm script time of one page, medians of runs."""
    cold, warm = [], []
    for _ in range(runs):
        _clear_streamlit_caches()
        at.switch_page(page.path)
        cold.append(_timed_run(at))
    errors = _errors(at)
    for _ in range(runs):
        warm.append(_timed_run(at) * 1000)
    note = ("page raised: " + "; ".join(errors)) if errors else ""
    key = page.url_path or "overview"
    return [budgeted(f"page_cold_s[{key}]", f"page {page.title}: cold", median(cold),
                     "page_cold_s", note),
            budgeted(f"page_warm_ms[{key}]", f"page {page.title}: warm", median(warm),
                     "page_warm_ms"),
            drawn(at, key, page.title)]


def drawn(at, key: str, title: str) -> Figure:
    """What a first view sends the browser for its charts: the Plotly figures' JSON."""
    specs = [len(chart.proto.spec) for chart in at.get("plotly_chart")]
    return Figure(f"page_json_kb[{key}]", f"page {title}: Plotly JSON sent",
                  sum(specs) / 1024, "KB",
                  note=f"{len(specs)} charts, largest {max(specs, default=0) / 1024:.0f} KB")


def _input_widget(at):
    """The growth page's first numeric slider, else its first number input."""
    for widget in [*at.main.slider, *at.main.number_input]:
        if isinstance(widget.value, int | float) and not isinstance(widget.value, bool):
            return widget
    return None


def _other_value(widget):
    """A valid value one step away from the widget's current one."""
    value, step = widget.value, widget.step or 1
    low = widget.min if widget.min is not None else float("-inf")
    high = widget.max if widget.max is not None else float("inf")
    moved = value + step if value + step <= high else value - step
    return moved if moved >= low else value


def measure_slider(at, page: Page, runs: int) -> Figure:
    """Median script time of moving the growth page's first input back and forth."""
    at.switch_page(page.path)
    at.run()
    widget = _input_widget(at)
    if widget is None:
        return budgeted("slider_ms", "growth input move", None, "slider_ms",
                        "no numeric slider or number input on the growth page")
    kind, index = type(widget).__name__, _widget_index(at, widget)
    values, times = (widget.value, _other_value(widget)), []
    for i in range(max(runs, SLIDER_MOVES)):
        target = _widgets(at, kind)[index]
        target.set_value(values[(i + 1) % 2])
        times.append(_timed_run(at) * 1000)
    label = "growth slider move" if kind == "Slider" else "growth input move (number input)"
    return budgeted("slider_ms", label, median(times), "slider_ms",
                    note=f"{widget.label!r}: {values[0]} <-> {values[1]}")


def _widgets(at, kind: str):
    return at.main.slider if kind == "Slider" else at.main.number_input


def _widget_index(at, widget) -> int:
    listed = list(_widgets(at, type(widget).__name__))
    return next(i for i, w in enumerate(listed) if w.id == widget.id)


def _variant(text: str, step: int) -> str:
    """The draft with its first rule's weight changed: a new definition, so the preview is
    computed, not read from the cache (a rule change as a user makes one)."""
    from gtm import icp

    draft = icp.parse(text)
    first = draft.rules[0]
    rules = (replace(first, weight=first.weight + step), *draft.rules[1:])
    return icp.to_yaml(replace(draft, rules=rules))


def measure_rule_change(at, page: Page, runs: int) -> Figure:
    """Median script time of the Targets page after a rule change: the draft (its YAML) gets
    a new weight each time, so every figure is computed (scores, outcomes, lists)."""
    at.switch_page(page.path)
    at.run()
    draft = next((w for w in at.main.text_area if w.key == "icp"), None)
    if draft is None or not draft.value:
        return budgeted("preview_s", "targets: rule change preview", None, "preview_s",
                        "no draft on the Targets page")
    base, times = draft.value, []
    for i in range(max(runs, SLIDER_MOVES)):
        target = next(w for w in at.main.text_area if w.key == "icp")
        target.set_value(_variant(base, i + 1))
        times.append(_timed_run(at))
    errors = _errors(at)
    note = ("page raised: " + "; ".join(errors)) if errors else "a new weight on rule 1 each time"
    return budgeted("preview_s", "targets: rule change preview", median(times), "preview_s",
                    note)


def measure_reruns(at, page: Page, reruns: int) -> Figure:
    """RSS growth of this process over `reruns` consecutive reruns of a page
    (after a warm-up), the signature of a cache or a leak without bounds."""
    at.switch_page(page.path)
    for _ in range(min(RERUN_WARMUP, reruns)):
        at.run()
    gc.collect()
    before = psutil.Process().memory_info().rss
    for _ in range(reruns):
        at.run()
    gc.collect()
    growth = (psutil.Process().memory_info().rss - before) / 2**20
    return budgeted(f"rerun_growth_mb[{page.url_path or 'overview'}]",
                    f"page {page.title}: RSS growth over {reruns} reruns", growth,
                    "rerun_growth_mb")


def pages_figures(db: Path, runs: int, reruns: int, log) -> list[Figure]:
    """Every page cold and warm, the growth input move, and optionally the reruns."""
    figures = []
    with dataset_env(db):
        at = new_app_test()
        pages = app_pages()
        for page in pages:
            log(f"page {page.title}")
            figures += measure_page(at, page, runs)
        growth = next((p for p in pages if "growth" in p.path), None)
        if growth is not None:
            figures.append(measure_slider(at, growth, runs))
        targets = next((p for p in pages if p.url_path == "targets"), None)
        if targets is not None:
            log("targets: rule change preview")
            figures.append(measure_rule_change(at, targets, runs))
        for page in pages if reruns else []:
            log(f"{reruns} reruns of {page.title}")
            figures.append(measure_reruns(at, page, reruns))
        _clear_streamlit_caches()
    return figures


def main(argv: list[str]) -> int:
    db, runs, reruns = Path(argv[0]), int(argv[1]), int(argv[2])
    figures = pages_figures(db, runs, reruns, lambda m: print(m, file=sys.stderr))
    print(json.dumps([asdict(f) for f in figures]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
