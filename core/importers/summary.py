"""What one import says it did: ``ImportSummary``, shown by the CLI and returned by the engine."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

IMPORTED = "imported"  # rows were counted (a new file, or the part of a known one that was new)
ALREADY = "already imported"  # nothing new since the last import of this content
FAILED = "failed"  # nothing of this file was written; ``error`` says why
SKIPPED = "skipped"  # another import held the file longer than this one would wait

# The reasons a row can be skipped, as the summary names them.
UNKNOWN_DOMAIN = "unknown sender domain"
NO_SENDER = "no sender address"
MALFORMED = "malformed"


def display_path(path: str | os.PathLike) -> str:
    """A path as text that can always be printed and stored: bytes that are not UTF-8 (a
    file name from another system) become ``\\xNN`` escapes."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        return text.decode("utf-8", "backslashreplace")
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


@dataclass
class ImportSummary:
    path: str
    kind: str
    status: str = IMPORTED
    rows_read: int = 0
    rows_imported: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> rows
    unknown_domains: Counter = field(default_factory=Counter)  # ASCII domain -> rows
    unknown_other: int = 0  # rows for unknown domains beyond the names tracked
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)  # the first few
    stat_rows: int = 0  # (domain, day) rows written
    identity: str = ""  # SHA-256 of the file's first block: how a renamed or gzipped copy is known
    start: int = 0  # byte offset the count started from (0, or where an earlier import stopped)
    end: int = 0  # byte offset counted up to: the end of the last complete record
    pending_bytes: int = 0  # bytes after ``end`` (a line still being written) left for the next import
    seconds: float = 0.0
    waited: float = 0.0  # seconds spent waiting for another import of the same file
    error: str | None = None
    previous: str | None = None  # for "already imported" / a continued file: which file and when
    note: str | None = None  # anything else worth saying (waited for whom, why skipped)

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    def fail(self, error: str) -> "ImportSummary":
        self.status, self.error = FAILED, error
        return self

    def as_dict(self) -> dict:
        return {
            "File": self.path,
            "Kind": self.kind,
            "Status": self.status,
            "RowsRead": self.rows_read,
            "RowsImported": self.rows_imported,
            "RowsSkipped": self.rows_skipped,
            "SkippedByReason": dict(self.skipped.most_common()),
            "UnknownDomains": dict(self.unknown_domains.most_common()),
            "MalformedLines": [{"Line": n, "Reason": r} for n, r in self.malformed_lines],
            "StatRows": self.stat_rows,
            "Identity": self.identity,
            "StartOffset": self.start,
            "EndOffset": self.end,
            "PendingBytes": self.pending_bytes,
            "Seconds": round(self.seconds, 3),
            "WaitedSeconds": round(self.waited, 3),
            "Error": self.error,
            "Previous": self.previous,
            "Note": self.note,
        }
