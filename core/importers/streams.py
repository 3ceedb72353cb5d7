"""Logs that keep growing: ``follow`` (a file, or every file of a directory) and ``read_pipe``
(PowerMTA's accounting pipe on standard input).

Both commit every ``every`` seconds, so a row PowerMTA writes is in the figures a few seconds
later, and both stop cleanly when ``Stop.set()`` is called (the CLI calls it on SIGTERM and
SIGINT): what was read is committed first.

``follow`` re-imports each file whose size, modification time or inode changed, through the
same ``Importer`` as a one-off import (so a followed file is counted exactly once, whoever else
imports it), keeping its files claimed so an overlapping cron import skips them instead of
waiting. It keeps the files it follows open: when one is renamed away or replaced (PowerMTA
rotating it), the rest of the old file is read through that handle before it is let go.

``read_pipe`` has no file to come back to: rows are counted as they arrive, and a crash loses
what was read since the last commit.
"""

from __future__ import annotations

import csv
import os
import select
import stat as stat_module
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from core.importers.attribution import Attribution, DomainResolver
from core.importers.base import FileFormatError, ImportRun, rows_with_recovery
from core.importers.claims import FOLLOWER, Claims
from core.importers.reading import RecordFeed
from core.importers.runner import Importer
from core.importers.staging import CountOverflow, StagedCounts
from core.importers.storage import apply_staged_counts, merge_transaction
from core.importers.summary import FAILED, SKIPPED, ImportSummary
from core.db import retry_locked

COMMIT_EVERY = 2.0  # seconds between commits
MAX_OPEN = 64  # followed files kept open (the most recently changed)
READ_BYTES = 1 << 16

Report = Callable[[ImportSummary], None]


class Stop:
    """A flag a signal handler may set; ``wait`` wakes at once when it is (a self-pipe)."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._set = False

    def set(self) -> None:
        self._set = True
        try:
            os.write(self._write, b"x")
        except (BlockingIOError, OSError):
            pass

    def is_set(self) -> bool:
        return self._set

    def fileno(self) -> int:
        return self._read

    def wait(self, seconds: float) -> bool:
        if not self._set and seconds > 0:
            select.select([self._read], [], [], seconds)
        return self._set

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


# ---- following files ----------------------------------------------------------------------


@dataclass
class _Followed:
    """One path being followed: the file open under it, and what it looked like last time."""

    fd: int | None = None
    inode: int | None = None
    signature: tuple | None = None  # (inode, size, mtime) at the last read
    key: str = ""  # the claim held for it
    failed_at: tuple | None = None  # the signature a failure was last reported at
    skipped: bool = False  # the last read found it held by another import (said once)
    changed_at: float = field(default_factory=time.monotonic)


def follow(path: str | os.PathLike, importer: Importer, *, stop: Stop, report: Report, every: float = COMMIT_EVERY) -> None:
    """Import ``path`` (a file, or the files of a directory) whenever it grows, until ``stop``."""
    importer.claims = importer.claims or Claims(role=FOLLOWER)
    importer.keep_claim, importer.wait = True, 0.0
    followed: dict[str, _Followed] = {}
    try:
        while True:
            stopping = stop.is_set()
            _pass(Path(path), importer, followed, report)
            importer.claims.renew()
            if stopping or stop.wait(every):
                _pass(Path(path), importer, followed, report)  # what was written up to the signal
                return
    finally:
        for state in followed.values():
            _close(state)
        importer.claims.release_all()


def _pass(path: Path, importer: Importer, followed: dict[str, _Followed], report: Report) -> None:
    present = {}
    for file in _files(path):
        try:
            info = os.stat(file)
        except OSError:
            continue
        if stat_module.S_ISREG(info.st_mode):
            present[str(file)] = info
    for name in [n for n in followed if n not in present or followed[n].inode != present[n].st_ino]:
        _finish_old(name, followed.pop(name), importer, report)
    for name, info in present.items():
        state = followed.setdefault(name, _Followed())
        signature = (info.st_ino, info.st_size, info.st_mtime_ns)
        if signature == state.signature:
            continue
        if state.fd is None:
            _open(name, state, info, followed)
        summary = importer.import_path(name)
        _note_key(state, summary, importer.claims)
        state.signature = None if summary.status == SKIPPED else signature
        state.changed_at = time.monotonic()
        _tell(summary, state, signature, report)


def _finish_old(name: str, state: _Followed, importer: Importer, report: Report) -> None:
    """A followed file was renamed away, replaced or removed: read the rest of it, let go."""
    try:
        if state.fd is not None:
            summary = importer.import_path(f"/dev/fd/{state.fd}", shown_as=name)
            summary.path = f"{name} (as it was before it was moved or replaced)"
            _tell(summary, state, None, report)
    finally:
        _close(state)
        if state.key:
            importer.claims.release(state.key)


def _open(name: str, state: _Followed, info: os.stat_result, followed: dict[str, _Followed]) -> None:
    open_ones = [s for s in followed.values() if s.fd is not None]
    if len(open_ones) >= MAX_OPEN:
        _close(min(open_ones, key=lambda s: s.changed_at))
    try:
        state.fd = os.open(name, os.O_RDONLY)
        state.inode = os.fstat(state.fd).st_ino
    except OSError:
        state.fd, state.inode = None, info.st_ino


def _close(state: _Followed) -> None:
    if state.fd is not None:
        os.close(state.fd)
        state.fd = None


def _note_key(state: _Followed, summary: ImportSummary, claims: Claims) -> None:
    """A short file's identity grows with it: let go of the claim on its old first bytes."""
    if summary.identity and summary.identity != state.key:
        if state.key:
            claims.release(state.key)
        state.key = summary.identity


def _tell(summary: ImportSummary, state: _Followed, signature, report: Report) -> None:
    if summary.status == FAILED:
        if state.failed_at != signature or signature is None:
            state.failed_at = signature
            report(summary)
        return
    state.failed_at = None
    was_skipped, state.skipped = state.skipped, summary.status == SKIPPED
    if summary.rows_read or (state.skipped and not was_skipped):
        report(summary)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        try:
            return sorted(p for p in path.iterdir() if not p.name.startswith("."))
        except OSError:
            return []
    return [path] if path.exists() else []


# ---- the accounting pipe ------------------------------------------------------------------


class PipeReader:
    """Rows from a stream (PowerMTA's ``<acct-file |…>`` pipe), committed every few seconds."""

    def __init__(self, importer: Importer, name: str = "-") -> None:
        self.importer = importer
        self.name = name
        self.total = ImportSummary(name, importer.kind)
        self._buffer = bytearray()
        self._offset = 0  # bytes of the stream counted
        self._lines = 0
        self._header: list | None = None

    def run(self, fd: int, *, stop: Stop, report: Report, every: float = COMMIT_EVERY) -> ImportSummary:
        started = time.perf_counter()
        next_commit = time.monotonic() + every
        at_end = False
        while not at_end and not stop.is_set():
            timeout = max(0.0, next_commit - time.monotonic())
            ready, _, _ = select.select([fd, stop], [], [], timeout)
            if fd in ready:
                data = os.read(fd, READ_BYTES)
                at_end = not data
                self._buffer += data
            if at_end or stop.is_set() or time.monotonic() >= next_commit:
                self.commit(final=at_end, report=report)
                next_commit = time.monotonic() + every
        if not at_end:
            self.commit(final=False, report=report)
        self.total.seconds = time.perf_counter() - started
        return self.total

    def feed_bytes(self, data: bytes) -> None:
        self._buffer += data

    def commit(self, *, final: bool, report: Report | None = None) -> ImportSummary | None:
        """Count the whole lines received (all of it when ``final``) in one transaction."""
        cut = len(self._buffer) if final else self._buffer.rfind(b"\n") + 1
        if cut <= 0:
            return None
        data = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        summary = ImportSummary(self.name, self.importer.kind)
        with StagedCounts(self.importer.flush_keys) as staged:
            run = ImportRun(
                summary,
                Attribution(DomainResolver(self.importer.settings.mfrom_subdomain)),
                staged,
                flush_keys=self.importer.flush_keys,
                header=self._header,
                line_base=self._lines,
            )
            feed = RecordFeed([data], self._offset, final=final)
            reader = csv.reader(feed.lines())
            run.reader = reader
            try:
                self.importer.parse(rows_with_recovery(reader, run, feed), run)
                run.flush()
                changed = retry_locked(lambda: self._merge(staged))
            except (FileFormatError, CountOverflow) as exc:
                summary.fail(f"{exc}; the rows read since the last commit were not counted")
                changed = {}
            summary.stat_rows = sum(len(days) for days in changed.values())
        self.importer.follow_the_day()
        if feed.tail:
            self._buffer[:0] = feed.tail  # a record still open at the end: it waits for the rest
        summary.start, summary.end = self._offset, feed.end
        self._offset, self._header = feed.end, run.header
        self._lines += reader.line_num - feed.held_lines
        self._add_up(summary)
        if report is not None and (summary.rows_read or summary.status == FAILED):
            report(summary)
        return summary

    @staticmethod
    def _merge(staged: StagedCounts) -> dict:
        with merge_transaction():
            return apply_staged_counts(staged)

    def _add_up(self, summary: ImportSummary) -> None:
        total = self.total
        total.rows_read += summary.rows_read
        total.rows_imported += summary.rows_imported
        total.skipped.update(summary.skipped)
        total.unknown_domains.update(summary.unknown_domains)
        total.malformed_lines.extend(summary.malformed_lines[: max(0, 50 - len(total.malformed_lines))])
        total.stat_rows += summary.stat_rows
        total.end = summary.end
        if summary.status == FAILED:
            total.status, total.error = FAILED, summary.error
