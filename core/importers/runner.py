"""One import of one file: from where its last import stopped to its last complete record.

The steps, in order:

1. claim the file (``core.importers.claims``): another import of it is waited for;
2. find where it was counted up to (``core.importers.cursors``): a new file starts at 0, a
   known one (renamed, rotated, gzipped, grown) after its last counted record;
3. read on to the last complete record (``core.importers.reading``), the format's parser
   counting rows into ``StagedCounts`` — no database lock is held meanwhile;
4. commit in one short ``merge_transaction``: check that no other import moved the cursor
   meanwhile (else go back to 2), add the counts (``apply_staged_counts``), move the cursor.

Bad content never raises: it comes back as a summary with status "failed" and nothing
written. KeyboardInterrupt leaves nothing written either.
"""

from __future__ import annotations

import csv
import gzip
import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import peewee

from core import stat_store
from core.db import is_lock_error, retry_locked
from core.importers.attribution import Attribution, DomainResolver
from core.importers.base import FLUSH_KEYS, FileFormatError, ImportRun, rows_with_recovery
from core.importers.claims import Claims, WaitFn, describe
from core.importers.cursors import Start, cursor_start, find_cursor, legacy_start, save_cursor, sha256, tail_matches
from core.importers.reading import HEAD_BYTES, TAIL_BYTES, LogFile, RecordFeed, decode_tail
from core.importers.staging import CountOverflow, StagedCounts
from core.importers.storage import apply_staged_counts, merge_transaction
from core.importers.summary import ALREADY, SKIPPED, ImportSummary, display_path
from core.models import ImportedFile

MAX_ATTEMPTS = 5  # re-reads when another import moved the file's cursor before this one committed
DEFAULT_WAIT = 300.0  # seconds to wait for another import holding the same file

Parser = Callable[[object, ImportRun], None]
ProgressFn = Callable[[int, int, int], None]  # (bytes done, bytes total, rows read)

READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)


class _Moved(Exception):
    """Another import committed rows of this file after this one located it."""


@dataclass
class Importer:
    """How to import: the format, the engine's settings and clock, and the run's options."""

    kind: str
    parse: Parser
    settings: object
    clock: object
    progress: ProgressFn | None = None
    flush_keys: int = FLUSH_KEYS
    wait: float = DEFAULT_WAIT
    on_wait: WaitFn | None = None
    claims: Claims | None = None  # shared by a follow loop; one of its own otherwise
    keep_claim: bool = False  # a follow loop keeps its files claimed between reads

    def import_path(self, path: str | os.PathLike, *, shown_as: str | None = None) -> ImportSummary:
        """Import what is new in one file; ``shown_as`` names it in messages and the cursor
        when ``path`` is not its name (``/dev/fd/N`` for a file that was moved away)."""
        started = time.perf_counter()
        shown = shown_as or display_path(path)
        summary = ImportSummary(shown, self.kind)
        name = display_path(Path(os.fsdecode(shown_as or path)).name)
        claims = self.claims or Claims()
        try:
            with LogFile(path) as log:
                key = sha256(log.head[:HEAD_BYTES])
        except READ_ERRORS as exc:
            return _finish(summary.fail(_read_error(exc)), started)
        try:
            holder, waited = claims.claim(key, name, self.wait, self.on_wait)
        except peewee.DatabaseError as exc:
            return _finish(summary.fail(f"database error, nothing imported (try again): {exc}"), started)
        if holder is not None:
            summary.status, summary.waited = SKIPPED, waited
            summary.note = f"{describe(holder.owner)} is importing this file (as {holder.name}); it counts its rows"
            return _finish(summary, started)
        try:
            for _attempt in range(MAX_ATTEMPTS):
                try:
                    summary = self._count_once(path, name, claims)
                    summary.path = shown
                    break
                except _Moved:
                    continue
            else:
                summary = ImportSummary(shown, self.kind).fail(
                    "other imports kept counting this file; nothing imported by this one (try again)"
                )
        finally:
            if not self.keep_claim:
                claims.release(key)
        summary.waited = waited
        if waited >= 0.5 and summary.note is None:
            summary.note = f"waited {waited:.1f} s for another import of this file"
        self.follow_the_day()
        return _finish(summary, started)

    def follow_the_day(self) -> None:
        """The first import of a new UTC day refreshes the stored List figures (every window
        moved); a failure here is not the import's: the next read computes what is stale."""
        try:
            stat_store.refresh_if_new_day(self.clock.now().date())
        except peewee.DatabaseError:
            pass

    def _count_once(self, path, name: str, claims: Claims) -> ImportSummary:
        summary = ImportSummary(display_path(path), self.kind)
        try:
            with LogFile(path) as log, StagedCounts(self.flush_keys) as staged:
                return self._count(log, name, staged, claims, summary)
        except READ_ERRORS as exc:
            return summary.fail(_read_error(exc))
        except FileFormatError as exc:
            return summary.fail(str(exc))
        except CountOverflow as exc:
            return summary.fail(f"{exc}; nothing imported")
        except peewee.DatabaseError as exc:
            if isinstance(exc, peewee.OperationalError) and is_lock_error(exc):
                return summary.fail(f"database busy, nothing imported (try again): {exc}")
            return summary.fail(f"database error, nothing imported: {exc}")

    def _count(self, log: LogFile, name: str, staged: StagedCounts, claims: Claims, summary: ImportSummary) -> ImportSummary:
        summary.identity = sha256(log.head[:HEAD_BYTES])
        start, before, verdict = _locate(log, summary)
        if verdict is not None:
            return verdict
        summary.start = start.offset
        run = ImportRun(
            summary,
            Attribution(DomainResolver(self.settings.mfrom_subdomain)),
            staged,
            flush_keys=self.flush_keys,
            header=start.header,
            line_base=start.lines,
        )
        feed = RecordFeed(log.chunks(), start.offset, before=before, final=log.finished)
        reader = csv.reader(feed.lines())
        run.reader = reader
        report = self.progress

        def on_progress() -> None:
            claims.renew()
            if report is not None:
                report(log.raw_position(), log.disk_size, summary.rows_read)

        run.progress = on_progress
        try:
            self.parse(rows_with_recovery(reader, run, feed), run)
        except FileFormatError:
            if feed.end > 0 or not feed.tail:
                raise  # else no line is complete yet: the trial below decides
        lines = start.lines + reader.line_num - feed.held_lines
        if feed.tail and not feed.held_lines and _count_last_line(feed, run, self.parse):
            feed.take_tail()
            lines += 1
        run.flush()
        summary.end, summary.pending_bytes = feed.end, len(feed.tail)
        continued = start.previous is not None
        if feed.end == start.offset:
            if continued:
                summary.status, summary.previous = ALREADY, start.previous
            if start.cursor_id is not None or not continued:
                return summary  # nothing new; a file from before version 3 still gets its cursor
        elif continued:
            summary.previous = start.previous
        before_end = feed.bytes_before(feed.end, TAIL_BYTES)
        changed = retry_locked(
            lambda: self._commit(log.head, start, staged, name, feed.end, lines, before_end, run.header, summary)
        )
        summary.stat_rows = sum(len(days) for days in changed.values())
        return summary

    def _commit(self, head, start: Start, staged, name, end, lines, tail, header, summary) -> dict:
        with merge_transaction():
            current = find_cursor(head)
            if (current.id if current else None, current.offset if current else None) != start.token():
                raise _Moved
            changed = apply_staged_counts(staged)
            save_cursor(
                start,
                kind=self.kind,
                name=name,
                head=head,
                end=end,
                lines=lines,
                before_end=tail,
                header=header,
                rows_read=summary.rows_read,
                rows_imported=summary.rows_imported,
                now=self.clock.now(),
            )
            return changed


def _locate(log: LogFile, summary: ImportSummary) -> tuple[Start, bytes, ImportSummary | None]:
    """Where to start in ``log``, the bytes before that point, or a verdict that ends the import."""
    cursor = find_cursor(log.head)
    if cursor is None:
        start = Start()
        if ImportedFile.select().exists():
            start = legacy_start(log.path) or start
        before = log.seek(start.offset)
        return start, before or b"", None
    start = cursor_start(cursor)
    before = log.seek(cursor.offset)
    if before is None:  # a copy of the first part of a file counted further (a rotation in progress)
        summary.status, summary.previous, summary.start = ALREADY, start.previous, cursor.offset
        return start, b"", summary
    if not tail_matches(cursor, before):
        summary.fail(
            f"its first {HEAD_BYTES:,} bytes match {cursor.name} (counted up to byte {cursor.offset:,}) but the "
            "content before that point differs: an edited copy, not a log that grew; nothing imported"
        )
        return start, b"", summary
    return start, before, None


def _count_last_line(feed: RecordFeed, run: ImportRun, parse: Parser) -> bool:
    """A last line without its line end counts now only when it is a whole record that counts
    (a line PowerMTA is still writing rarely is); otherwise it waits for the next import."""
    trial = run.fork()
    # strict: a quoted field still open at the end (a line cut while written) is an error here
    reader = csv.reader([decode_tail(feed.tail, at_start=feed.end == 0)], strict=True)
    trial.reader = reader
    try:
        parse(rows_with_recovery(reader, trial), trial)
    except FileFormatError:
        if feed.end == 0:
            raise
        return False
    outcome = trial.summary
    if outcome.rows_imported and not outcome.rows_skipped and not trial.unparsed:
        run.absorb(trial)
        return True
    trial.staged.close()
    return False


def _read_error(exc: BaseException) -> str:
    if isinstance(exc, OSError) and not isinstance(exc, gzip.BadGzipFile) and exc.strerror:
        return f"cannot read: {exc.strerror}"
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return f"cannot read: not a whole gzip file ({exc}); nothing imported"
    return f"cannot read: {exc}"


def _finish(summary: ImportSummary, started: float) -> ImportSummary:
    summary.seconds = time.perf_counter() - started
    return summary
