"""Issue 14.6: ``senderdeck demo --build-only`` while a demo's terminal UI runs refuses, and
never replaces the database under it.

The demo runs for real: ``senderdeck demo --no-dns`` in a pseudo-terminal (80x24), as a user
starts it, with the XDG directories in a temp dir.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tui.cli.file_lock import FileLock, LockBusy

SENDERDECK = [sys.executable, "-m", "tui"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def xdg(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    for name in ("SENDERDECK_DATABASE", "SENDERDECK_CONFIG", "SENDERDECK_USER", "SENDERDECK_API_KEY", "TMUX"):
        env.pop(name, None)
    return env, tmp_path / "data" / "senderdeck" / "demo.db"


def build_only(env) -> subprocess.CompletedProcess:
    return subprocess.run([*SENDERDECK, "demo", "--build-only"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


class Terminal:
    """A process on a pseudo-terminal, its output drained in the background."""

    def __init__(self, argv, env, size=(24, 80)) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        self.master = master
        self.output = bytearray()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, start_new_session=True)
        os.close(slave)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, text: bytes, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; output ends {bytes(self.output[-400:])!r}")
            time.sleep(0.05)

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


def test_build_only_refuses_while_a_demo_runs_and_leaves_its_database(xdg):
    env, db = xdg
    demo = Terminal([*SENDERDECK, "demo", "--no-dns"], env)
    try:
        demo.wait_for(b"40 domains")  # the list is on screen
        before = db.stat()
        refused = build_only(env)
        assert refused.returncode == 2, refused.stderr
        assert f"a demo is open on {db} (process {demo.process.pid})" in refused.stderr
        assert "not rebuilding a database in use" in refused.stderr and refused.stdout == ""
        after = db.stat()
        assert (after.st_ino, after.st_ctime_ns) == (before.st_ino, before.st_ctime_ns)  # the same file, untouched
        # A second demo is refused the same way, and the first goes on working.
        second = subprocess.run([*SENDERDECK, "demo", "--no-dns"], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert second.returncode == 2 and "a demo is open" in second.stderr
        demo.send(b"q")
        assert demo.close() == 0
    finally:
        if demo.process.poll() is None:
            demo.process.kill()
    # Once the demo has quit, the database may be rebuilt.
    rebuilt = build_only(env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = db.stat()
    assert "demo database:" in rebuilt.stdout and (after.st_ino, after.st_ctime_ns) != (before.st_ino, before.st_ctime_ns)


def test_the_lock_names_its_holder_and_goes_with_it(tmp_path):
    path = tmp_path / "demo.db.lock"
    with FileLock(path):
        with pytest.raises(LockBusy) as busy:
            FileLock(path).acquire()
        assert busy.value.pid == os.getpid()
    FileLock(path).acquire().release()  # free again
