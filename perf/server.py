"""Start the app as it is served (`streamlit run ui/serve.py`) on a free loopback port.

The benchmark, the load test and the browser tests all need a real server reading a
given dataset; this is the one place that knows how to start it, wait until it
answers, and stop it. (It runs Streamlit as a child process: gtm never imports it.)
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from gtm.load import store


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


LAUNCHER = store.REPO_ROOT / "ui" / "serve.py"  # app.py behind ui/security.py's protections


@contextlib.contextmanager
def streamlit_server(db: Path, log_file: Path, timeout: float = 90,
                     app: Path | None = None, args: tuple[str, ...] = (),
                     env: dict | None = None) -> Iterator[str]:
    """`streamlit run ui/serve.py` (app.py as it is served; or another script) reading db
    on a free loopback port; yields its URL. args: more `streamlit run` options."""
    port = free_port()
    env = {**os.environ, "TARGETLINE_DB": str(db), **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", str(app or LAUNCHER),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false", *args]
    with open(log_file, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=store.REPO_ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout)
        yield url
    finally:
        _stop(proc)


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        time.sleep(0.2)
    raise RuntimeError(f"streamlit did not answer on {url} within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
