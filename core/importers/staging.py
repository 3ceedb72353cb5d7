"""Counts an import has read but not yet applied: ``StagedCounts``.

An import parses its whole file before it touches ``domain_stat`` (see ``core.importers.storage``),
so no database lock is held while it reads. What it counted waits here, aggregated per
(sender domain, UTC day): in memory up to ``memory_keys`` keys, then in a temporary SQLite
file of its own, so memory stays bounded however many domains and days a file covers.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from typing import Iterable, Iterator

from core.stat_store import MAX_STORED, CountOverflow  # noqa: F401  (raised here, caught by the importers)

StagedRow = tuple  # (domain_id, "Y-m-d", sent, delivered or None, bounced, complaints)


def _add_delivered(stored: int | None, new: int | None) -> int | None:
    """Deliveries add up; a day with none recorded (None) stays None until some are."""
    if new is None:
        return stored
    return new if stored is None else stored + new


class StagedCounts:
    def __init__(self, memory_keys: int = 100_000) -> None:
        self.memory_keys = max(1, memory_keys)
        self._memory: dict[tuple[int, str], list] = {}
        self._spill: sqlite3.Connection | None = None
        self._spill_path: str | None = None

    def add(self, domain_id: int, day: str, sent: int, delivered: int | None, bounced: int, complaints: int) -> None:
        counters = self._memory.get((domain_id, day))
        if counters is None:
            self._memory[(domain_id, day)] = [sent, delivered, bounced, complaints]
            if len(self._memory) >= self.memory_keys:
                self._spill_memory()
        else:
            counters[0] += sent
            counters[1] = _add_delivered(counters[1], delivered)
            counters[2] += bounced
            counters[3] += complaints

    def add_rows(self, rows: Iterable[StagedRow]) -> None:
        for row in rows:
            self.add(*row)

    def __bool__(self) -> bool:
        return bool(self._memory) or self._spill is not None

    def rows(self) -> Iterator[StagedRow]:
        """Every staged (domain, day) once, in (domain, day) order; raises CountOverflow."""
        if self._spill is None:
            for (domain_id, day), (sent, delivered, bounced, complaints) in sorted(self._memory.items()):
                _check(domain_id, day, sent, delivered, bounced, complaints)
                yield (domain_id, day, sent, delivered, bounced, complaints)
            return
        self._spill_memory()
        cursor = self._spill.execute(
            "SELECT domain, day, sent, delivered, bounced, complaints FROM staged ORDER BY domain, day"
        )
        for row in cursor:
            _check(*row)
            yield row

    def close(self) -> None:
        self._memory.clear()
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        if self._spill_path is not None:
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.unlink(self._spill_path + suffix)
                except FileNotFoundError:
                    pass
            self._spill_path = None

    def __enter__(self) -> "StagedCounts":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _spill_memory(self) -> None:
        if self._spill is None:
            fd, self._spill_path = tempfile.mkstemp(prefix="senderdeck-import-", suffix=".db")
            os.close(fd)
            self._spill = sqlite3.connect(self._spill_path, isolation_level=None)
            self._spill.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                "CREATE TABLE staged (domain INTEGER NOT NULL, day TEXT NOT NULL, sent INTEGER NOT NULL,"
                " delivered INTEGER, bounced INTEGER NOT NULL, complaints INTEGER NOT NULL,"
                " PRIMARY KEY (domain, day)) WITHOUT ROWID;"
            )
        rows = []
        for (domain_id, day), counters in self._memory.items():
            _check(domain_id, day, *counters)
            rows.append((domain_id, day, *counters))
        self._memory.clear()
        self._spill.execute("BEGIN")
        # SQLite turns an integer sum past 2**63 - 1 into a REAL: _check notices on the way out.
        self._spill.executemany(
            "INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (domain, day) DO UPDATE SET"
            " sent = sent + excluded.sent,"
            " delivered = CASE WHEN excluded.delivered IS NULL THEN delivered ELSE COALESCE(delivered, 0) + excluded.delivered END,"
            " bounced = bounced + excluded.bounced, complaints = complaints + excluded.complaints",
            rows,
        )
        self._spill.execute("COMMIT")


def _check(domain_id: int, day: str, *counts) -> None:
    for value in counts:
        if value is not None and (type(value) is not int or value > MAX_STORED):
            raise CountOverflow(f"the counts for one sender domain on {day} add up past {MAX_STORED:,} (2^63 - 1)")
