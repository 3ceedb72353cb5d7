"""Where each file was counted up to: its ``ImportCursor``, found by the file's content.

A file is known by the SHA-256 of its first block (``HEAD_BYTES`` of content; all that was
counted of a shorter file), so a renamed, rotated or gzipped copy is the same file, and a file
truncated or replaced by new content is a new one. The cursor's ``offset`` is the end of the
last complete record counted: an import reads on from there. The block just before the offset
(``tail_digest``) must still be there: a file whose first block matches but whose content
changed behind the cursor is refused, never half-counted.

Files imported before schema version 3 are in ``imported_file`` by the digest of their whole
content; ``legacy_start`` finds one of those that a file begins with.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from core.importers.reading import HEAD_BYTES, TAIL_BYTES, LogFile
from core.models import ImportCursor, ImportedFile

_LEGACY_READ = 1 << 20


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def when_text(when) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S") if isinstance(when, dt.datetime) else str(when)


@dataclass
class Start:
    """Where one import of a file begins, and what it found there."""

    offset: int = 0
    lines: int = 0  # lines before offset
    header: list | None = None  # the header row in force at offset
    cursor_id: int | None = None  # the cursor it continues (None: content not seen before)
    previous: str | None = None  # which file and when, for messages

    def token(self) -> tuple:
        """What must still be true when the import commits (no other import moved it)."""
        return (self.cursor_id, self.offset if self.cursor_id is not None else None)


def find_cursor(head: bytes) -> ImportCursor | None:
    """The cursor of counted content that ``head`` (a file's first bytes) begins with; when
    several do (short files), the one that covers most of it."""
    digests = []
    if len(head) >= HEAD_BYTES:
        digests.append(sha256(head[:HEAD_BYTES]))
    short_lengths = (
        ImportCursor.select(ImportCursor.head_len)
        .where((ImportCursor.head_len < HEAD_BYTES) & (ImportCursor.head_len <= len(head)))
        .distinct()
        .tuples()
    )
    digests += [sha256(head[:n]) for (n,) in short_lengths]
    if not digests:
        return None
    return (
        ImportCursor.select()
        .where(ImportCursor.head_digest.in_(digests))
        .order_by(ImportCursor.head_len.desc(), ImportCursor.offset.desc())
        .first()
    )


def cursor_start(cursor: ImportCursor) -> Start:
    return Start(
        offset=cursor.offset,
        lines=cursor.lines,
        header=cursor.header,
        cursor_id=cursor.id,
        previous=f"{cursor.name}, counted up to byte {cursor.offset:,} on {when_text(cursor.imported_at)} UTC",
    )


def tail_matches(cursor: ImportCursor, before: bytes) -> bool:
    return sha256(before[len(before) - cursor.tail_len :]) == cursor.tail_digest


def save_cursor(
    start: Start,
    *,
    kind: str,
    name: str,
    head: bytes,
    end: int,
    lines: int,
    before_end: bytes,
    header: list | None,
    rows_read: int,
    rows_imported: int,
    now: dt.datetime,
) -> None:
    """Record that the content starting with ``head`` is counted up to ``end``."""
    head_part = head[: min(HEAD_BYTES, end)]
    tail = before_end[len(before_end) - min(TAIL_BYTES, end) :]
    fields = {
        ImportCursor.kind: kind,
        ImportCursor.name: name[:255],
        ImportCursor.head_digest: sha256(head_part),
        ImportCursor.head_len: len(head_part),
        ImportCursor.offset: end,
        ImportCursor.lines: lines,
        ImportCursor.tail_digest: sha256(tail),
        ImportCursor.tail_len: len(tail),
        ImportCursor.header: header,
        ImportCursor.imported_at: now,
    }
    if start.cursor_id is None:
        ImportCursor.insert(
            {**fields, ImportCursor.rows_read: rows_read, ImportCursor.rows_imported: rows_imported, ImportCursor.first_imported_at: now}
        ).execute()
    else:
        fields[ImportCursor.rows_read] = ImportCursor.rows_read + rows_read
        fields[ImportCursor.rows_imported] = ImportCursor.rows_imported + rows_imported
        ImportCursor.update(fields).where(ImportCursor.id == start.cursor_id).execute()


# ---- files imported before schema version 3 ------------------------------------------------


def legacy_start(path) -> Start | None:
    """Where to go on in a file that an import before version 3 counted whole (by digest)."""
    sizes = sorted({size for (size,) in ImportedFile.select(ImportedFile.size).tuples()})
    if not sizes:
        return None
    digests: dict[str, int] = {}
    lines = 0
    line_counts: dict[int, int] = {}
    last_byte: dict[int, bytes] = {}
    with LogFile(path) as log:
        log.seek(0)
        sha = hashlib.sha256()
        done = 0
        wanted = iter(sizes)
        target = next(wanted)
        while target == 0:
            target = next(wanted, None)
        for data in log.chunks():
            while target is not None and done + len(data) >= target:
                take = target - done
                sha.update(data[:take])
                lines += data.count(b"\n", 0, take)
                digests[sha.copy().hexdigest()] = target
                line_counts[target], last_byte[target] = lines, data[take - 1 : take]
                data, done = data[take:], target
                target = next(wanted, None)
            if target is None:
                break
            sha.update(data)
            lines += data.count(b"\n")
            done += len(data)
        head = log.head
    if not digests:
        return None
    row = ImportedFile.select().where(ImportedFile.digest.in_(list(digests))).order_by(ImportedFile.size.desc()).first()
    if row is None:
        return None
    offset = row.size
    start = Start(
        offset=offset,
        lines=line_counts[offset],
        header=_first_row(head),
        previous=f"same content as {row.name} imported {when_text(row.imported_at)} UTC",
    )
    if last_byte[offset] != b"\n":
        # That import counted a last line without its line end: the rest of the line went with it.
        start.offset = _next_line_start(path, offset)
        start.lines += 1
    return start


def _next_line_start(path, offset: int) -> int:
    with LogFile(path) as log:
        log.seek(offset)
        for data in log.chunks():
            found = data.find(b"\n")
            if found >= 0:
                return offset + found + 1
            offset += len(data)
    return offset


def _first_row(head: bytes) -> list | None:
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    for row in csv.reader(io.StringIO(text, newline="")):
        if any(cell.strip() for cell in row):
            return row
    return None
