"""`python -m gtm loadtest` in the suite: 4 sessions x 3 reruns while a new extract goes live.

The full 20 sessions run by hand (figures in the README); here the command runs as a
user would start it, on its own loopback server and a temporary database (never the
one the other browser tests read), and must report no error, every session consistent,
the switch seen, and every figure printed.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def test_loadtest_four_sessions_while_a_new_extract_is_switched_in(app_db, tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is missing")
    extract = app_db.parent / "extract"  # the demo company the app_db fixture generated
    cmd = [sys.executable, "-m", "gtm", "loadtest", "--sessions", "4", "--reruns", "3",
           "--extract", str(extract), "--db", str(tmp_path / "loadtest.duckdb")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=540)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    assert re.search(r"^sessions\s+4$", out, re.M)
    assert re.search(r"^reruns\s+12 of 12$", out, re.M)
    assert re.search(r"^errors\s+0$", out, re.M)
    assert re.search(r"^p95 rerun s\s+\d+\.\d\d$", out, re.M)
    assert "consistent         4/4 sessions" in out
    # the last rerun of every session comes after the switch: each saw the new extract
    sessions = re.findall(r"^  session +\d+: (.*)$", out, re.M)
    assert len(sessions) == 4
    for seen in sessions:
        words = seen.split()
        assert len(words) == 3 and words[-1] == "new" and set(words) <= {"old", "new"}
