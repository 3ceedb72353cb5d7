"""What every importer shares: streaming, attribution to sender domains, upserts in one
transaction per file, idempotency by content digest, and the summary.

An importer is a function ``parse(reader, run)`` that walks a ``csv.reader`` and tells the
``ImportRun`` what it counted and what it skipped. ``run_import`` does everything else:

- the file is read once, as a stream: bytes are hashed (SHA-256) on their way to the CSV
  parser, gzip files are decompressed on the fly, memory stays bounded (counts are kept per
  (domain, day) and flushed to the database whenever ``flush_keys`` of them pile up);
- all writes of one file happen in ONE transaction, which also records the file's digest in
  ``imported_file``: an interrupted or failed import leaves nothing behind, and a file whose
  content was imported before is counted once (the second run changes nothing);
- counts are added to what is stored with upserts (``ON CONFLICT … DO UPDATE`` with
  ``EXCLUDED``), so several files may cover the same days.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import os
import re
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import peewee
from peewee import EXCLUDED, Case, fn

from core.db import is_lock_error, write_transaction
from core.errors import ApiError, SenderdeckError
from core.models import STATUS_DELETED, STATUS_ENABLED, DomainStat, ImportedFile, SenderDomain
from core.validation import normalize_domain

FLUSH_KEYS = 100_000  # (domain, day) counters held in memory before they are written
PROGRESS_EVERY = 16_384  # rows between progress callbacks
MAX_LINE_SAMPLES = 50  # malformed line numbers kept for the summary
MAX_UNKNOWN_NAMES = 1_000  # distinct unknown domains tracked (the rest are counted together)
MAX_CACHE = 200_000  # resolved sender strings kept
MAX_COUNT = 10**12  # a larger number in a CSV cell is treated as malformed
UPSERT_BATCH = 500  # rows per INSERT (6 parameters each; SQLite allows 32766)

_DOMAIN_CHARS = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,12}$")

# The reasons a row can be skipped, as the summary names them.
UNKNOWN_DOMAIN = "unknown sender domain"
NO_SENDER = "no sender address"
MALFORMED = "malformed"

ProgressFn = Callable[[int, int, int], None]  # (bytes done, bytes total, rows read)


class FileFormatError(SenderdeckError):
    """The file as a whole cannot be imported (unreadable, not the expected format)."""


def safe_token(text: str) -> str:
    """Untrusted text from a file, fit to name in a message: short and plain, or '…'."""
    return text if _SAFE_TOKEN.match(text) else "…"


@dataclass
class ImportSummary:
    path: str
    kind: str
    status: str = "imported"  # imported | already imported | failed
    rows_read: int = 0
    rows_imported: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> rows
    unknown_domains: Counter = field(default_factory=Counter)  # ASCII domain -> rows
    unknown_other: int = 0  # rows for unknown domains beyond MAX_UNKNOWN_NAMES names
    malformed_lines: list[tuple[int, str]] = field(default_factory=list)  # the first MAX_LINE_SAMPLES
    stat_rows: int = 0  # (domain, day) rows written
    digest: str = ""
    size: int = 0
    seconds: float = 0.0
    error: str | None = None
    previous: str | None = None  # for "already imported": which file and when

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    @property
    def ok(self) -> bool:
        return self.status != "failed"

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
            "SHA256": self.digest,
            "Seconds": round(self.seconds, 3),
            "Error": self.error,
            "Previous": self.previous,
        }


# ---- streaming ---------------------------------------------------------------------------


class _HashingReader(io.RawIOBase):
    """A raw stream that hashes every byte it hands on (the digest of what was parsed)."""

    def __init__(self, source) -> None:
        self._source = source
        self.sha = hashlib.sha256()
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._source.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.sha.update(data)
        self.count += n
        return n


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def file_digest(path: Path) -> str:
    """SHA-256 of the file's (decompressed) content, as ``run_import`` computes it."""
    sha = hashlib.sha256()
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


# ---- attribution -------------------------------------------------------------------------


class DomainResolver:
    """Maps a name from a log (a From or envelope-sender domain) to a sender domain id.

    A name matches a sender domain exactly, or as its MFROM / return-path host
    ``<CustomSubdomain or settings.mfrom_subdomain>.<domain>`` (and, for logs written before
    a CustomSubdomain change, ``<settings.mfrom_subdomain>.<domain>``). When several users
    have the same domain, the Enabled one wins (it is the one mail is sent from), then the
    oldest; deleted domains only when nothing else matches.
    """

    def __init__(self, mfrom_default: str) -> None:
        exact: dict[str, tuple] = {}
        mfrom: dict[str, tuple] = {}
        fallback: dict[str, tuple] = {}
        rows = SenderDomain.select(SenderDomain.id, SenderDomain.domain, SenderDomain.status, SenderDomain.options).where(
            SenderDomain.id > 0
        ).tuples()
        for domain_id, name, status, options in rows:
            rank = (0 if status == STATUS_ENABLED else 2 if status == STATUS_DELETED else 1, domain_id)
            sub = (options or {}).get("CustomSubdomain") or mfrom_default
            for table, key in ((exact, name), (mfrom, f"{sub.lower()}.{name}"), (fallback, f"{mfrom_default}.{name}")):
                if key not in table or rank < table[key]:
                    table[key] = rank
        self._map: dict[str, int] = {k: v[1] for k, v in fallback.items()}
        self._map.update({k: v[1] for k, v in mfrom.items()})
        self._map.update({k: v[1] for k, v in exact.items()})

    def lookup(self, ascii_name: str) -> int | None:
        return self._map.get(ascii_name)


def normalize_name(text: str) -> str | None:
    """A domain from a log as stored (ASCII, lower case, no trailing dot), or None."""
    name = text.strip().rstrip(".").lower()
    if not name:
        return None
    if not name.isascii():
        try:
            name = normalize_domain(name)
        except ApiError:
            return None
    if len(name) > 253 or "." not in name or ".." in name or not _DOMAIN_CHARS.match(name):
        return None
    return name


def address_domain(value: str) -> str:
    """The domain part of an address or a From header (``"Name" <a@b.example>``)."""
    if "<" in value:
        start = value.rfind("<")
        end = value.find(">", start)
        value = value[start + 1 : end if end >= 0 else None]
    return value.rpartition("@")[2]


# ---- one import --------------------------------------------------------------------------


class ImportRun:
    """The state of one file's import, handed to the format's parser."""

    def __init__(self, summary: ImportSummary, resolver: DomainResolver, flush: Callable[[], None], flush_keys: int) -> None:
        self.summary = summary
        self.resolver = resolver
        self._flush = flush
        self.flush_keys = flush_keys
        self._cache: dict[str, int | str | None] = {}
        self._skipped = summary.skipped
        # "Y-m-d" -> {domain_id: counters}; ``to_row`` turns counters into
        # (sent, delivered or None, bounced, complaints). ``keys`` counts the counters held.
        self.counts: dict[str, dict[int, list]] = {}
        self.keys = 0
        self.to_row: Callable[[list], tuple] = tuple
        self.unparsed = 0  # rows the csv module could not parse (counted as read and malformed)
        self.reader: csv.reader | None = None
        self.progress: Callable[[], None] = lambda: None

    def resolve(self, sender: str) -> int | str | None:
        """A sender domain id for a domain text; a str (the ASCII name) when unknown; None when no domain."""
        hit = self._cache.get(sender, False)
        if hit is not False:
            return hit
        name = normalize_name(sender)
        result = None if name is None else (self.resolver.lookup(name) or name)
        if len(self._cache) >= MAX_CACHE:
            self._cache.clear()
        self._cache[sender] = result
        return result

    def skip(self, reason: str, n: int = 1) -> None:
        self._skipped[reason] += n

    def unknown(self, name: str, n: int = 1) -> None:
        self._skipped[UNKNOWN_DOMAIN] += n
        unknown = self.summary.unknown_domains
        if name in unknown or len(unknown) < MAX_UNKNOWN_NAMES:
            unknown[name] += n
        else:
            self.summary.unknown_other += n

    def malformed(self, reason: str, line: int | None = None) -> None:
        self._skipped[MALFORMED] += 1
        if len(self.summary.malformed_lines) < MAX_LINE_SAMPLES:
            self.summary.malformed_lines.append((line if line is not None else self.line(), reason))

    def line(self) -> int:
        return self.reader.line_num if self.reader is not None else 0

    def table(self, day: str) -> dict[int, list]:
        """The counters of one day, by sender domain id."""
        table = self.counts.get(day)
        if table is None:
            table = self.counts[day] = {}
        return table

    def maybe_flush(self) -> bool:
        """Write the counters out when too many are held; True when it did (tables are new)."""
        if self.keys >= self.flush_keys:
            self._flush()
            return True
        return False


def rows_with_recovery(reader, run: ImportRun) -> Iterable[list[str]]:
    """The reader's rows; a row the csv module cannot parse is counted malformed, not fatal."""
    last_error_line = -1
    while True:
        try:
            yield from reader
            return
        except csv.Error as exc:
            line = reader.line_num
            if line == last_error_line:  # the reader cannot get past this point
                run.malformed(f"unreadable CSV ({exc}); the rest of the file was not read", line)
                return
            last_error_line = line
            run.unparsed += 1
            run.malformed(f"unreadable CSV ({exc})", line)


def _upsert(rows: list[tuple]) -> None:
    S = DomainStat
    delivered = Case(
        None,
        [(EXCLUDED.delivered.is_null(), S.delivered)],
        fn.COALESCE(S.delivered, 0) + EXCLUDED.delivered,
    )
    for start in range(0, len(rows), UPSERT_BATCH):
        (
            S.insert_many(rows[start : start + UPSERT_BATCH], fields=[S.domain, S.day, S.sent, S.delivered, S.bounced, S.complaints])
            .on_conflict(
                conflict_target=[S.domain, S.day],
                update={
                    S.sent: S.sent + EXCLUDED.sent,
                    S.delivered: delivered,
                    S.bounced: S.bounced + EXCLUDED.bounced,
                    S.complaints: S.complaints + EXCLUDED.complaints,
                },
            )
            .execute()
        )


def run_import(
    path: str | os.PathLike,
    kind: str,
    parse: Callable[[object, ImportRun], None],
    *,
    settings,
    clock,
    progress: ProgressFn | None = None,
    flush_keys: int = FLUSH_KEYS,
) -> ImportSummary:
    """Import one file in one transaction; never raises for bad content (see the summary)."""
    path = Path(path)
    summary = ImportSummary(str(path), kind)
    started = time.perf_counter()
    try:
        size = path.stat().st_size
        gz = _is_gzip(path)
        # A cheap early answer for the usual re-run: only hash up front when a stored file
        # has exactly this size (the digest inside the transaction stays the authority).
        if not gz and ImportedFile.select().where(ImportedFile.size == size).exists():
            previous = ImportedFile.get_or_none(ImportedFile.digest == file_digest(path))
            if previous is not None:
                return _already(summary, previous, started)
        raw = open(path, "rb")
    except OSError as exc:
        summary.status, summary.error = "failed", f"cannot read: {exc.strerror or exc}"
        summary.seconds = time.perf_counter() - started
        return summary

    resolver = DomainResolver(settings.mfrom_subdomain)
    with ExitStack() as stack:
        stack.callback(raw.close)
        source = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
        hashing = _HashingReader(source)
        text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.reader(text)
        txn = ExitStack()
        opened: list[bool] = []

        def flush() -> None:
            if not opened:  # the first write opens the file's one transaction
                txn.enter_context(write_transaction())
                opened.append(True)
            to_row = run.to_row
            rows = [(d, day, *to_row(c)) for day, table in run.counts.items() for d, c in table.items()]
            # One global order for the row locks, so concurrent imports queue instead of deadlocking.
            rows.sort(key=lambda r: (r[0], r[1]))
            run.counts.clear()
            run.keys = 0
            _upsert(rows)
            summary.stat_rows += len(rows)

        run = ImportRun(summary, resolver, flush, flush_keys)
        run.reader = reader
        if progress is not None:

            def report() -> None:
                progress(raw.tell(), size, summary.rows_read)

            run.progress = report
        try:
            with txn:
                parse(reader, run)
                summary.digest = hashing.sha.hexdigest()
                summary.size = hashing.count
                flush()
                ImportedFile.create(
                    digest=summary.digest,
                    kind=kind,
                    name=path.name[:255],
                    size=summary.size,
                    rows_read=summary.rows_read,
                    rows_imported=summary.rows_imported,
                    imported_at=clock.now(),
                )
        except peewee.IntegrityError:
            previous = ImportedFile.get_or_none(ImportedFile.digest == summary.digest)
            if previous is None:
                raise
            return _already(ImportSummary(str(path), kind), previous, started, summary.digest)
        except FileFormatError as exc:
            summary.status, summary.error = "failed", str(exc)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            summary.status, summary.error = "failed", f"cannot read: {exc}"
        except peewee.DatabaseError as exc:
            if isinstance(exc, peewee.OperationalError) and is_lock_error(exc):
                raise  # rolled back; import_file runs the file again
            summary.status, summary.error = "failed", f"database error, nothing imported: {exc}"
    if progress is not None and summary.ok:
        progress(size, size, summary.rows_read)
    summary.seconds = time.perf_counter() - started
    return summary


def _already(summary: ImportSummary, previous, started: float, digest: str | None = None) -> ImportSummary:
    summary.status = "already imported"
    summary.digest = digest or previous.digest
    summary.size = previous.size
    when = previous.imported_at
    when_text = when.strftime("%Y-%m-%d %H:%M:%S") if isinstance(when, dt.datetime) else str(when)
    summary.previous = f"same content as {previous.name} imported {when_text} UTC"
    summary.seconds = time.perf_counter() - started
    return summary
