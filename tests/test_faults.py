"""Faults around a load (issue 13, items 5, 6, 9 and 11): a full disk, a read-only folder,
a damaged history, a missing version file, a zip bomb, two loads at once, a killed load.

Each ends the same way: a clean sentence, the dataset served before still served, and
the history and the Data page still readable. The full disk and the read-only folder
are real when the tests run as root with mount rights (a 4 MB tmpfs, a read-only bind
mount in a private mount namespace); otherwise a file-size limit (RLIMIT_FSIZE) and a
folder without write permission stand in for them.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gtm import demo
from gtm.load import bounds, store
from gtm.load.loader import load
from perf import hostile
from ui.upload import stage

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gtm", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=300, env={**os.environ, **(env or {})})


def app_page(db: Path, monkeypatch, page: str | None = "pages/data.py") -> AppTest:
    """The app in AppTest (require_frame off: under AppTest it reruns every run, which
    would drop a button's click; see test_hostile_files.data_page)."""
    import ui.data_access
    import ui.state

    for module in (ui.data_access, ui.state):
        monkeypatch.setattr(module, "require_frame", lambda: None)
    monkeypatch.setenv("TARGETLINE_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=180).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# --- 5. the load history: damaged lines, failed writes --------------------------------------

def damage(db: Path) -> None:
    """A line cut short by a full disk (the old append), and a stray line in the middle."""
    path = store.history_path(db)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "not json at all", *lines[1:]]) + "\n"
                    + lines[-1][: len(lines[-1]) // 2])


def test_a_damaged_history_is_reported_never_fatal(good_db, tiny_load_dir):
    db, _ = good_db
    assert load(tiny_load_dir, db).ok
    damage(db)
    found = store.history(db)
    assert [e["result"] for e in found.entries] == ["ok", "ok"]  # the readable ones
    assert found.damaged == [2, 4] and "2 line(s) of the load history are damaged" in \
        found.notice()
    done = cli("history", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "2 line(s) of the load history are damaged" in done.stderr
    assert " ok " in done.stdout
    assert load(tiny_load_dir, db).ok  # the next load appends after the damaged line
    found = store.history(db)
    assert [e["result"] for e in found.entries] == ["ok"] * 3 and found.damaged == [2, 4]


def test_the_data_page_survives_a_damaged_history_and_keeps_its_uploader(good_db, monkeypatch):
    db, _ = good_db
    damage(db)
    at = app_page(db, monkeypatch)
    assert any("line(s) of the load history are damaged" in w.value for w in at.warning)
    assert at.file_uploader and any(b.label == "Check and load" for b in at.button)


def test_a_history_part_that_fails_leaves_the_uploader(good_db, monkeypatch):
    """Whatever breaks a part of the Data page, the uploader stays (the fix can be loaded)."""
    db, _ = good_db

    def broken(_db):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(store, "history", broken)
    at = app_page(db, monkeypatch)
    assert any("The load history cannot be shown" in e.value for e in at.error)
    assert at.file_uploader


def test_a_history_write_cut_short_keeps_the_old_history(good_db, tiny_load_dir, monkeypatch):
    """The new history is written beside the old one and renamed: a write that fails
    (ENOSPC at fsync) leaves the old file byte for byte, and the load says so."""
    db, _ = good_db
    before = store.history_path(db).read_bytes()
    real_fsync = os.fsync

    def full(fd):
        if ".history.jsonl.new-" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    result = load(tiny_load_dir, db)
    assert result.ok  # the dataset itself was written and published
    assert any("the load history could not be written: the disk holding" in w.text
               and "is full (No space left on device)" in w.text for w in result.warnings)
    assert store.history_path(db).read_bytes() == before
    assert not list(db.parent.glob("*.new-*"))


DRIVER = textwrap.dedent('''
    import json, os, resource, shutil, signal, subprocess, sys
    from pathlib import Path
    mode, folder, extract, repo = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    db = folder / "targetline.duckdb"
    def cli(*args, limit=None):
        def pre():
            if limit:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        done = subprocess.run([sys.executable, "-m", "gtm", *args, "--db", str(db)], cwd=repo,
                              capture_output=True, text=True, preexec_fn=pre)
        return {"rc": done.returncode, "out": done.stdout, "err": done.stderr}
    out = {}
    if mode.startswith("tmpfs"):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(folder)],
                       check=True)
    out["first"] = cli("load", str(extract), "--quiet")
    if mode.endswith("full"):
        filler = folder / "filler"
        if mode == "tmpfs-full":
            try:
                with open(filler, "wb") as fh:
                    while True:
                        fh.write(b"0" * 65536)
                        fh.flush()
            except OSError:  # the disk is full
                pass
            out["full"] = cli("load", str(extract), "--quiet")
            out["history_full"] = cli("history")
            filler.unlink()
        else:
            out["full"] = cli("load", str(extract), "--quiet", limit=4096)
            out["history_full"] = cli("history")
    else:
        if mode == "bind-readonly":
            subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        out["full"] = cli("load", str(extract), "--quiet")
        out["history_full"] = cli("history")
        if mode == "bind-readonly":
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)
    out["after"] = cli("load", str(extract), "--quiet")
    out["history"] = cli("history")
    out["versions"] = sorted(p.name for p in (folder / "targetline.duckdb.versions").glob("v*"))
    print(json.dumps(out))
''')


def _can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "mount", "-t",
                            "tmpfs", "tmpfs", "/mnt"], capture_output=True)
    return probe.returncode == 0


def drive(mode: str, tmp_path: Path, extract: Path) -> dict:
    """Run the driver (in a private mount namespace for the real modes)."""
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    folder = tmp_path / "dbfolder"
    folder.mkdir()
    cmd = [sys.executable, str(script), mode, str(folder), str(extract), str(REPO)]
    if mode in ("tmpfs-full", "bind-readonly"):
        cmd = ["unshare", "--mount", "--propagation", "private", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_full_disk_refuses_cleanly_and_the_history_survives(tiny_load_dir, tmp_path):
    mode = "tmpfs-full" if _can_mount() and os.geteuid() == 0 else "rlimit-full"
    out = drive(mode, tmp_path, tiny_load_dir)
    assert out["first"]["rc"] == 0, out["first"]
    full = out["full"]
    assert full["rc"] == 1 and "Traceback" not in full["err"], full
    assert "is full (" in full["err"] and "the dataset served before is unchanged" in full["err"]
    assert out["history_full"]["rc"] == 0, out["history_full"]  # never a JSON error
    assert out["after"]["rc"] == 0, out["after"]  # space is back: the next load goes through
    history = out["history"]
    assert history["rc"] == 0 and "damaged" not in history["err"], history
    assert history["out"].count(" ok ") == 2
    assert len(out["versions"]) == 2


def test_a_read_only_folder_refuses_cleanly(tiny_load_dir, tmp_path):
    if os.geteuid() == 0 and not _can_mount():
        pytest.skip("root without mount rights: neither a read-only mount nor chmod binds")
    mode = "bind-readonly" if os.geteuid() == 0 else "chmod-readonly"
    out = drive(mode, tmp_path, tiny_load_dir)
    full = out["full"]
    assert full["rc"] == 1 and "Traceback" not in full["err"], full
    assert "cannot write to" in full["err"] and "read-only for this user" in full["err"]
    assert out["history_full"]["rc"] == 0
    assert out["after"]["rc"] == 0, out["after"]


# --- 6. a missing current version file: never the demo, an error with earlier versions ----

@pytest.fixture
def lost_db(good_db, tiny_load_dir):
    """Two loads, then the current version file deleted (the link points at nothing)."""
    db, first = good_db
    second = load(tiny_load_dir, db)
    assert second.ok
    second.version.unlink()
    return db, first.version, second.version


def test_a_missing_version_file_never_publishes_the_demo(lost_db, monkeypatch, tmp_path):
    db, first, second = lost_db
    assert store.missing_version(db) == second and store.current_version(db) is None
    assert demo.ensure_loaded(db, out_dir=tmp_path / "demo") is False
    at = app_page(db, monkeypatch, page=None)  # a fresh app start, on the Overview
    assert not [s for s in at.get("status")]  # no "First run: loading the demo company"
    assert any("is missing (deleted or moved)" in e.value for e in at.error)
    assert store.missing_version(db) == second  # still the user's link, not the demo's
    assert not (tmp_path / "demo").exists()


def test_the_data_page_offers_the_earlier_versions(lost_db, monkeypatch):
    db, first, second = lost_db
    at = app_page(db, monkeypatch)
    assert any(f"{second.name}" in e.value and "is missing" in e.value for e in at.error)
    pick = next(s for s in at.selectbox if s.label == "Earlier versions")
    assert pick.options[0].startswith(first.name) and "as of 2025-04-10" in pick.options[0]
    assert at.file_uploader
    next(b for b in at.button if b.label == "Serve this version").click()
    at.run()
    assert store.current_version(db) == first.resolve()
    assert not any("is missing" in e.value for e in at.error)


def test_a_database_that_never_had_a_dataset_still_gets_the_demo(tmp_path):
    assert not store.ever_loaded(tmp_path / "fresh.duckdb")
    refused = tmp_path / "refused.duckdb"
    (tmp_path / "empty").mkdir()
    assert not load(tmp_path / "empty", refused).ok  # a refused load leaves no dataset
    assert not store.ever_loaded(refused)


# --- 9. zips: measured before unpacking, unpacked a chunk at a time -------------------------

def test_a_zip_bomb_is_refused_before_one_byte_is_unpacked(tmp_path):
    path = hostile.zip_bomb(tmp_path / "extract.zip", unpacked=600 * bounds.MB,
                            extra={"people.csv": b"person_id\nP1\n"})
    assert path.stat().st_size < 2 * bounds.MB
    target = tmp_path / "staged"
    target.mkdir()
    tracemalloc.start()
    with open(path, "rb") as fh:
        problems = stage([("extract.zip", fh)], target)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    packed = zipfile.ZipFile(path).getinfo("touches.csv").compress_size
    assert problems == [f"extract.zip: touches.csv unpacks to 600 MB from "
                        f"{bounds.size_text(packed)}, more than 100 times its packed size (a "
                        "zip bomb, or padding no CRM export has); the bound is 100:1"]
    assert list(target.iterdir()) == []
    assert peak < 8 * bounds.MB


def test_too_many_members_or_too_many_bytes(tmp_path, monkeypatch):
    target = tmp_path / "staged"
    target.mkdir()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(bounds.MAX_MEMBERS + 1):
            archive.writestr(f"f{i}.csv", b"x")
    assert stage([("many.zip", buffer.getvalue())], target) == [
        "many.zip holds 1,001 files; the bound is 1,000 files per archive"]
    monkeypatch.setattr(bounds, "MAX_UNZIPPED", 1000)
    small = io.BytesIO()
    with zipfile.ZipFile(small, "w") as archive:
        archive.writestr("people.csv", b"person_id\n" + b"P1\n" * 400)
    assert stage([("big.zip", small.getvalue())], target) == [
        "big.zip unpacks to 1.2 KB; the bound is 1000 bytes unpacked per archive: load it with "
        "python -m gtm load DIR from an unpacked folder instead"]


class Uploaded(io.BytesIO):
    """Streamlit's UploadedFile is a BytesIO with name and size; getvalue() would copy it."""

    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name, self.size = name, len(data)

    def getvalue(self):
        raise AssertionError("getvalue() copies the whole upload into memory")


def test_a_big_upload_is_staged_a_chunk_at_a_time(tmp_path):
    """A 48 MB member of a zip and a 16 MB plain file, staged with a few MB of memory (the
    old staging read each member whole: 1.9 GB for the 5.7 MB zip of the report)."""
    import random

    rng = random.Random(7)
    rows = "".join(f"P{rng.randrange(10**9)},2025-01-{rng.randrange(1, 28):02d}T10:00:00,"
                   f"email,C{rng.randrange(99)},web_visit\n" for _ in range(1_000_000))
    data = ("person_id,touch_date,channel,campaign_id,touch_type\n" + rows).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("touches.csv", data)
    target = tmp_path / "staged"
    target.mkdir()
    uploads = [("extract.zip", Uploaded("extract.zip", buffer.getvalue())),
               ("people.csv", Uploaded("people.csv", b"person_id\n" + b"P1\n" * (4 << 20)))]
    tracemalloc.start()
    problems = stage(uploads, target)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert problems == []
    assert (target / "touches.csv").read_bytes() == data
    assert (target / "people.csv").stat().st_size == 10 + 3 * (4 << 20)
    assert len(data) > 40 * bounds.MB and peak < 12 * bounds.MB


# --- 11. one load at a time; a killed load is recorded ---------------------------------------

def big_touches(folder: Path, rows: int) -> None:
    import duckdb

    (folder / "touches.parquet").unlink(missing_ok=True)
    duckdb.execute(
        "copy (select 'P1' as person_id, '2025-01-01T00:00:00' as touch_date, 'email' as "
        f"channel, null as campaign_id, 'web_visit' as touch_type from range({rows})) to '"
        + str(folder / "touches.csv").replace("'", "''") + "' (header)")


def start_load(folder: Path, db: Path) -> subprocess.Popen:
    script = ("import sys; from pathlib import Path; from gtm.load.loader import load; "
              "r = load(Path(sys.argv[1]), Path(sys.argv[2]), "
              "progress=lambda m, f: print(m, flush=True)); print('ok' if r.ok else 'refused')")
    return subprocess.Popen([sys.executable, "-c", script, str(folder), str(db)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)


def wait_for_lock(db: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if store.lock_path(db).exists() and store.lock_path(db).read_text().strip():
            return
        time.sleep(0.05)
    raise AssertionError("the first load never took the lock")


def test_a_later_load_waits_for_the_running_one_and_wins(good_db, tiny_load_dir, tmp_path):
    """It used to be last-to-finish-wins: a slow load started first replaced later ones."""
    db, _ = good_db
    slow = tmp_path / "slow"
    shutil.copytree(tiny_load_dir, slow)
    big_touches(slow, 2_000_000)
    later = tmp_path / "later"
    shutil.copytree(tiny_load_dir, later)
    with open(later / "people.csv", "a") as fh:
        fh.write("P5,,2025-06-30,events,,,,,\n")  # the later extract: five people
    first = start_load(slow, db)
    wait_for_lock(db, first)
    second = start_load(later, db)
    out2, _ = second.communicate(timeout=300)
    out1, _ = first.communicate(timeout=300)
    assert out1.strip().endswith("ok") and out2.strip().endswith("ok")
    assert "waiting for the load of " in out2 and str(slow) in out2
    with store.connect(db) as con:
        assert con.execute("select count(*) from people").fetchall() == [(5,)]
    sources = [e["source"] for e in store.read_history(db)]
    assert sources[-2:] == [str(slow), str(later)]


def test_an_older_load_is_never_published_over_a_newer_one(good_db, tiny_load_dir, tmp_path,
                                                          monkeypatch):
    """Waiters are not woken in start order: a load that started first but ran last must
    not replace the later one (last to finish used to win)."""
    db, _ = good_db
    first_ticket = store.take_ticket(db)  # a load starts, and waits for the lock
    later = tmp_path / "later"
    shutil.copytree(tiny_load_dir, later)
    with open(later / "people.csv", "a") as fh:
        fh.write("P5,,2025-06-30,events,,,,,\n")
    newer = load(later, db)  # started after it, ran first: published
    assert newer.ok
    monkeypatch.setattr(store, "take_ticket", lambda _db: first_ticket)
    older = load(tiny_load_dir, db)  # the first load's turn comes at last
    assert not older.ok
    assert older.errors[0].text.startswith("a load started after this one (at ")
    assert "this one is not published, so the newer data stays served" in older.errors[0].text
    assert store.current_version(db) == newer.version.resolve()
    assert store.read_history(db)[-1]["result"] == "refused"


def test_a_load_that_waits_too_long_is_refused_with_a_message(good_db, tiny_load_dir,
                                                              monkeypatch):
    db, first = good_db
    monkeypatch.setattr(store, "LOCK_WAIT_S", 0.5)
    with store.load_lock(db, "a nightly load"):
        result = load(tiny_load_dir, db)
    assert not result.ok
    assert result.errors[0].text.startswith("the load of a nightly load started at ")
    assert "is still running after 0.5 s of waiting; nothing was changed" in \
        result.errors[0].text
    assert store.current_version(db) == first.version.resolve()


def test_a_killed_load_gets_a_history_entry(good_db, tiny_load_dir, tmp_path):
    db, first = good_db
    slow = tmp_path / "slow"
    shutil.copytree(tiny_load_dir, slow)
    big_touches(slow, 3_000_000)
    proc = start_load(slow, db)
    for line in proc.stdout:
        if "touches.csv" in line:
            break
    time.sleep(0.3)
    assert proc.poll() is None, "the load finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert store.current_version(db) == first.version.resolve()
    assert load(tiny_load_dir, db).ok
    history = store.read_history(db)
    killed = history[-2]
    assert killed["result"] == "killed" and killed["source"] == str(slow)
    assert killed["first_errors"] == [f"the load (process {proc.pid}) stopped before it "
                                      "finished (killed, crashed, or the machine went down); "
                                      "nothing of it was published"]
    assert history[-1]["result"] == "ok"
    done = cli("history", "--db", str(db))
    assert "killed" in done.stdout
