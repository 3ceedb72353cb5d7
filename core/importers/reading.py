"""Reading a log from where the last import stopped: ``LogFile`` and ``RecordFeed``.

``LogFile`` opens a file (gzip is recognised by its magic bytes and decompressed on the fly),
holds its first block (the file's identity, see ``core.importers.cursors``) and reads on from
any offset of the content. ``RecordFeed`` hands ``csv.reader`` whole lines only, decoded a
megabyte at a time, and knows where the last complete record ends: bytes after the last line
end, and a quoted field still open at the end of what was read, wait for the next import.
"""

from __future__ import annotations

import collections
import gzip
import io
import itertools
import os
from pathlib import Path
from typing import Iterable, Iterator

CHUNK = 1 << 20  # bytes read, decoded and parsed at a time
HEAD_BYTES = 4096  # the first block: what identifies a file's content
TAIL_BYTES = 4096  # the block before a cursor's offset: what tells a changed file from a grown one
_KEEP = CHUNK + TAIL_BYTES  # recent bytes a feed keeps (a held-back record, the tail digest)


class LogFile:
    """One log file, plain or gzip, read as its (decompressed) content."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._raw = open(self.path, "rb")
        try:
            self.gzip = self._raw.read(2) == b"\x1f\x8b"
            self._raw.seek(0)
            self.disk_size = os.fstat(self._raw.fileno()).st_size
            self._stream = gzip.GzipFile(fileobj=self._raw, mode="rb") if self.gzip else self._raw
            self.head = self._read_up_to(HEAD_BYTES)  # the first block (all of a shorter file)
            self._pending = b""  # bytes already read that the next chunks() must yield first
            self._position = len(self.head)
        except BaseException:
            self._raw.close()
            raise

    @property
    def finished(self) -> bool:
        """Whether the content can no longer grow: a gzip stream read to its end marker is whole."""
        return self.gzip

    def raw_position(self) -> int:
        """How far into the file on disk reading has got (for progress)."""
        return self._raw.tell()

    def seek(self, offset: int) -> bytes | None:
        """Position reading at ``offset`` of the content; the up to TAIL_BYTES bytes before it,
        or None when the content is shorter than ``offset``."""
        if not self.gzip:
            if offset > self.disk_size:
                return None
            start = max(0, offset - TAIL_BYTES)
            before = os.pread(self._raw.fileno(), offset - start, start)
            self._raw.seek(offset)
            self._pending, self._position = b"", offset
            return before
        if offset <= len(self.head):
            self._pending = self.head[offset:]
            self._position = len(self.head)
            return self.head[max(0, offset - TAIL_BYTES) : offset]
        window = self.head[-TAIL_BYTES:]
        while self._position < offset:
            data = self._stream.read(min(CHUNK, offset - self._position))
            if not data:
                return None
            self._position += len(data)
            window = (window + data)[-TAIL_BYTES:]
        self._pending = b""
        return window

    def chunks(self) -> Iterator[bytes]:
        """The content from the position ``seek`` set, to its current end."""
        if self._pending:
            pending, self._pending = self._pending, b""
            yield pending
        while data := self._stream.read(CHUNK):
            self._position += len(data)
            yield data

    def _read_up_to(self, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            data = self._stream.read(n - got)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def close(self) -> None:
        if self.gzip:
            self._stream.close()
        self._raw.close()

    def __enter__(self) -> "LogFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RecordFeed:
    """Lines for ``csv.reader`` from byte chunks that start at content offset ``start``.

    Only whole lines (ending in ``\\n``) are handed on, unless the content is ``final`` (a gzip
    file, a closed pipe). ``end`` is the offset just past the last complete record handed on;
    ``tail`` the bytes after it that wait for the next import.
    """

    def __init__(self, chunks: Iterable[bytes], start: int, *, before: bytes = b"", final: bool = False) -> None:
        self.start = start
        self.final = final
        self.end = start
        self.tail = b""
        self.exhausted = False  # every byte has been handed on: a record the reader returns now ran out
        self.held_lines = 0  # lines of a record held back (its quotes still open at the end)
        self._chunks = chunks
        self._recent: collections.deque[tuple[int, bytes]] = collections.deque()
        if before:
            self._recent.append((start - len(before), before))

    def lines(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self._texts())

    def _texts(self) -> Iterator[io.StringIO]:
        carry = b""
        for data in self._chunks:
            if carry:
                data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            yield self._hand_on(data[:cut] if cut < len(data) else data)
        if self.final and carry:
            yield self._hand_on(carry)
            carry = b""
        self.tail = carry
        self.exhausted = True

    def _hand_on(self, piece: bytes) -> io.StringIO:
        at = self.end
        self._remember(at, piece)
        self.end = at + len(piece)
        text = piece.decode("utf-8", "replace")
        if at == 0 and text.startswith("\ufeff"):
            text = text[1:]
        return io.StringIO(text, newline="")

    def _remember(self, at: int, piece: bytes) -> None:
        recent = self._recent
        recent.append((at, piece))
        total = sum(len(p) for _, p in recent)
        while len(recent) > 1 and total - len(recent[0][1]) >= _KEEP:
            total -= len(recent.popleft()[1])

    def hold_back(self, row: list[str]) -> bool:
        """The reader returned ``row`` after running out of lines: a quoted field was still open,
        so the record is not complete. Move ``end`` back to where it began; False when that
        cannot be found in the bytes kept (then the row is counted as it is)."""
        if self.final:
            return False
        breaks = sum(field.count("\n") + field.count("\r") - field.count("\r\n") for field in row)
        recent = self.bytes_before(self.end, self.end - self._recent_start())
        lines = io.StringIO(recent.decode("utf-8", "surrogateescape"), newline="").readlines()
        if breaks == 0 or breaks > len(lines) - 1:
            return False
        length = sum(len(line.encode("utf-8", "surrogateescape")) for line in lines[-breaks:])
        self.end -= length
        self.tail = recent[-length:] + self.tail
        self.held_lines = breaks
        return True

    def take_tail(self) -> None:
        """The bytes after the last line end were counted after all (a whole last record)."""
        self._remember(self.end, self.tail)
        self.end += len(self.tail)
        self.tail = b""

    def _recent_start(self) -> int:
        return self._recent[0][0] if self._recent else self.end

    def bytes_before(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes of the content just before ``offset``, from what the feed kept."""
        data = b"".join(piece for _, piece in self._recent)
        first = self._recent_start()
        stop = offset - first
        return data[max(0, stop - n) : max(0, stop)]


def decode_tail(tail: bytes, at_start: bool) -> str:
    """A last line without its line end, as text (a BOM dropped at the start of a file)."""
    text = tail.decode("utf-8", "replace")
    return text[1:] if at_start and text.startswith("\ufeff") else text

