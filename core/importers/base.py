"""What a log format's parser is given: ``ImportRun``, and the rules every format shares.

A format is a module with ``KIND`` and ``parse(rows, run)``: it walks ``rows`` (lists of
fields from ``csv.reader``) and tells ``run`` what it counted, per sender domain and UTC day,
and what it skipped and why. It never touches the database: reading files, attribution
(``core.importers.attribution``), staging and the merge (``core.importers.storage``) and the
run loop (``core.importers.runner``) are done for it.

A parser resumes where an earlier import stopped: ``run.header`` is then the header row in
force there (None at the start of a file), and the parser sets ``run.header`` whenever it
adopts one, so the next import can resume after it.
"""

from __future__ import annotations

import csv
import re
from typing import Callable, Iterable, Iterator

from core.errors import SenderdeckError
from core.importers.attribution import Attribution
from core.importers.staging import StagedCounts
from core.importers.summary import MALFORMED, UNKNOWN_DOMAIN, ImportSummary

FLUSH_KEYS = 100_000  # (domain, day) counters a parser holds before they are staged
PROGRESS_EVERY = 16_384  # rows between progress callbacks
MAX_LINE_SAMPLES = 50  # malformed line numbers kept for the summary
MAX_UNKNOWN_NAMES = 1_000  # distinct unknown domains tracked (the rest are counted together)
MAX_COUNT = 10**12  # a larger number in a CSV cell is treated as malformed

_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,12}$")


class FileFormatError(SenderdeckError):
    """The file as a whole cannot be imported (unreadable, not the expected format)."""


def safe_token(text: str) -> str:
    """Untrusted text from a file, fit to name in a message: short and plain, or '…'."""
    return text if _SAFE_TOKEN.match(text) else "…"


class ImportRun:
    """The state of one read of a log, handed to the format's parser."""

    def __init__(
        self,
        summary: ImportSummary,
        attribution: Attribution,
        staged: StagedCounts,
        *,
        flush_keys: int = FLUSH_KEYS,
        header: list | None = None,
        line_base: int = 0,
    ) -> None:
        self.summary = summary
        self.attribution = attribution
        self.resolve = attribution.resolve
        self.staged = staged
        self.flush_keys = flush_keys
        self.header = header
        self.line_base = line_base  # lines of the file before this read began
        # "Y-m-d" -> {domain_id: counters}; ``to_row`` turns a format's counters into
        # (sent, delivered or None, bounced, complaints). ``keys`` counts the counters held.
        self.counts: dict[str, dict[int, list]] = {}
        self.keys = 0
        self.to_row: Callable[[list], tuple] = tuple
        self.unparsed = 0  # rows the csv module could not parse (counted as read and malformed)
        self.reader = None
        self.progress: Callable[[], None] = lambda: None

    def fork(self) -> "ImportRun":
        """A run for a trial read (a last line without its line end) that may be dropped."""
        trial = ImportRun(
            ImportSummary(self.summary.path, self.summary.kind),
            self.attribution,
            StagedCounts(),
            flush_keys=self.flush_keys,
            header=self.header,
            line_base=self.line(),
        )
        return trial

    def absorb(self, trial: "ImportRun") -> None:
        """Take a trial read's rows and counts as this run's own."""
        trial.flush()
        self.flush()
        self.staged.add_rows(trial.staged.rows())
        trial.staged.close()
        mine, theirs = self.summary, trial.summary
        mine.rows_read += theirs.rows_read
        mine.rows_imported += theirs.rows_imported
        mine.skipped.update(theirs.skipped)
        mine.unknown_domains.update(theirs.unknown_domains)
        mine.malformed_lines.extend(theirs.malformed_lines[: MAX_LINE_SAMPLES - len(mine.malformed_lines)])
        self.header = trial.header

    def skip(self, reason: str, n: int = 1) -> None:
        self.summary.skipped[reason] += n

    def unknown(self, name: str, n: int = 1) -> None:
        self.summary.skipped[UNKNOWN_DOMAIN] += n
        unknown = self.summary.unknown_domains
        if name in unknown or len(unknown) < MAX_UNKNOWN_NAMES:
            unknown[name] += n
        else:
            self.summary.unknown_other += n

    def malformed(self, reason: str, line: int | None = None) -> None:
        self.summary.skipped[MALFORMED] += 1
        if len(self.summary.malformed_lines) < MAX_LINE_SAMPLES:
            self.summary.malformed_lines.append((line if line is not None else self.line(), reason))

    def line(self) -> int:
        """The file's line number of the row being read (1 is the file's first line)."""
        return self.line_base + (self.reader.line_num if self.reader is not None else 0)

    def table(self, day: str) -> dict[int, list]:
        """The counters of one day, by sender domain id."""
        table = self.counts.get(day)
        if table is None:
            table = self.counts[day] = {}
        return table

    def maybe_flush(self) -> bool:
        """Stage the counters when too many are held; True when it did (tables are new)."""
        if self.keys >= self.flush_keys:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        to_row, add = self.to_row, self.staged.add
        for day, table in self.counts.items():
            for domain_id, counters in table.items():
                add(domain_id, day, *to_row(counters))
        self.counts.clear()
        self.keys = 0


def rows_with_recovery(reader, run: ImportRun, feed=None) -> Iterator[list[str]]:
    """The reader's rows; a row the csv module cannot parse is counted malformed, not fatal.

    With a ``feed`` (``core.importers.reading.RecordFeed``), a record the reader returns after
    the feed ran out (a quoted field still open) is held back for the next import."""
    last_error_line = -1
    while True:
        try:
            if feed is None:
                yield from reader
                return
            for row in reader:
                if feed.exhausted and feed.hold_back(row):
                    return
                yield row
            return
        except csv.Error as exc:
            line = run.line()
            if line == last_error_line:  # the reader cannot get past this point
                run.malformed(f"unreadable CSV ({exc}); the rest of the file was not read", line)
                return
            last_error_line = line
            run.unparsed += 1
            run.malformed(f"unreadable CSV ({exc})", line)


def non_blank(rows: Iterable[list[str]]) -> list[str] | None:
    """The next row with any content, or None at the end."""
    for row in rows:
        if any(cell.strip() for cell in row):
            return row
    return None
