"""`python -m gtm bench --spark`: the same year's report on Spark local mode, beside DuckDB.

Where one machine ends is a measured question: this step writes the benchmark's dataset as
Parquet (`python -m gtm export-parquet`, timed as a whole process) and runs
`python -m gtm report --engine spark --source DIR` for the year as a whole process, once
(a Spark run at the enterprise size takes minutes). Its standard error says how long
reading the extract and building the intermediate tables took and how long the metrics
took; the peak memory is the largest sum of RSS over the report process and its children
(the JVM), sampled every 0.2 s. The values are compared with DuckDB's for the same year.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from gtm.load import store

_BUILT = re.compile(r"intermediate tables built in ([0-9.]+) s")
_COMPUTED = re.compile(r"computed in ([0-9.]+) s")


def measure_spark(db: Path, year: int, workdir: Path, duck_values: dict,
                  log: Callable[[str], None], master: str = "local[2]") -> list[dict]:
    """Figures (perf.bench.Figure's fields) of export-parquet and of the Spark report for
    `year` (see the docstring)."""
    parquet = workdir / "parquet"
    shutil.rmtree(parquet, ignore_errors=True)
    log("export-parquet")
    export_s, _, _, _ = run_tree(["-m", "gtm", "export-parquet", "--db", str(db),
                                  "--out", str(parquet)])
    log(f"report {year} on Spark ({master})")
    wall, out, err, peak_mb = run_tree(["-m", "gtm", "report", "--engine", "spark",
                                        "--source", str(parquet), "--spark-master", master,
                                        "--start", f"{year}-01-01", "--end", f"{year}-12-31"])
    values = json.loads(out)
    differ = [m for m, v in duck_values.items() if not _same(v, values.get(m))]
    return [
        _figure("export_parquet_s", "export-parquet (whole process)", export_s, "s"),
        _figure("spark_report_s", f"report {year} on Spark {master} (whole process, 1 run)",
               wall, "s", note="JVM start included"),
        _figure("spark_open_s", "Spark: read Parquet + build intermediate tables",
               _seconds(_BUILT, err), "s"),
        _figure("spark_compute_s", "Spark: every headline metric", _seconds(_COMPUTED, err),
               "s"),
        _figure("spark_rss_mb", "Spark report peak memory (Python + JVM RSS)", peak_mb, "MB"),
        _figure("spark_differ", "Spark values differing from DuckDB's", len(differ), "count",
               note=", ".join(differ) or "every id equal (1e-9 relative)"),
    ]


def _figure(fid: str, label: str, value, unit: str, note: str = "") -> dict:
    return {"id": fid, "label": label, "value": value, "unit": unit, "note": note}


def run_tree(args: list[str], timeout: float = 7200) -> tuple[float, str, str, float]:
    """Run `python <args>` from the repository: (wall seconds, stdout, stderr, peak MB of
    the process tree's summed RSS); raise on failure."""
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=store.REPO_ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, watched = 0.0, psutil.Process(proc.pid)
    while proc.poll() is None:
        peak = max(peak, _tree_rss(watched))
        try:
            out, err = proc.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if time.perf_counter() - began > timeout:
                proc.kill()
                raise
    else:
        out, err = proc.communicate()
    seconds = time.perf_counter() - began
    if proc.returncode != 0:
        tail = (err or out).strip().splitlines()[-5:]
        raise RuntimeError(f"`python {' '.join(args[:3])}` failed: " + " | ".join(tail))
    return seconds, out, err, peak / 2**20


def _tree_rss(proc: psutil.Process) -> float:
    total = 0.0
    try:
        for p in [proc, *proc.children(recursive=True)]:
            total += p.memory_info().rss
    except psutil.Error:
        pass
    return total


def _seconds(pattern: re.Pattern, text: str) -> float | None:
    found = pattern.findall(text)
    return float(found[-1]) if found else None


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9)
