"""An advisory lock on a file, held for a process's life (``fcntl.flock``).

The demo takes one on ``demo.db.lock`` while it builds the database and while its terminal UI
runs, so a second ``senderdeck demo`` (or ``demo --build-only``) never deletes and rebuilds a
database another process has open. The kernel drops the lock when its holder exits, however
it exits: no stale locks to clean up. The holder's process id is written into the file for
the message that names it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class LockBusy(Exception):
    """Another process holds the lock; ``pid`` is that process (None: not known)."""

    def __init__(self, path: Path, pid: int | None) -> None:
        super().__init__(f"{path} is locked by process {pid}")
        self.path = path
        self.pid = pid


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> "FileLock":
        """Take the lock now, or raise ``LockBusy`` (never waits)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LockBusy(self.path, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "FileLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
