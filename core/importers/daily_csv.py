"""A plain daily CSV: ``date,domain,sent,delivered,bounced,complaints``, one row per domain and day.

For installs without PowerMTA. The header row is optional; when present (it names ``date``
and ``domain``), columns are matched by name in any order and ``delivered``, ``bounced`` and
``complaints`` may be left out. ``date`` is ``YYYY-MM-DD`` (UTC); ``domain`` a sender
domain (Unicode or ASCII) or its MFROM host; counts are whole numbers ≥ 0. An empty
``delivered`` means deliveries were not recorded that day (DeliveryRate then falls back to
Sent − Bounced − Complaints). Rows for the same domain and day add up.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Iterable

from core.importers.base import MAX_COUNT, PROGRESS_EVERY, FileFormatError, ImportRun, non_blank
from core.importers.summary import NO_SENDER

KIND = "csv"
COLUMNS = ("date", "domain", "sent", "delivered", "bounced", "complaints")
REQUIRED = ("date", "domain", "sent")
MAX_DATES = 100_000  # distinct date texts remembered


def _count(text: str, name: str, optional: bool) -> int | None:
    text = text.strip()
    if not text:
        if optional:
            return None
        raise ValueError(f"{name} is empty")
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{name} is not a whole number ≥ 0")
    value = int(text)
    if value >= MAX_COUNT:
        raise ValueError(f"{name} is implausibly large")
    return value


def _layout(first_row: list[str]) -> tuple[dict[str, int], int, bool]:
    """(column -> index, row width, whether the first row is a header)."""
    names = [cell.strip().lower().lstrip("#") for cell in first_row]
    if "date" in names and "domain" in names:
        missing = [column for column in REQUIRED if column not in names]
        if missing:
            raise FileFormatError(
                f"the header row has no {', '.join(missing)} column (expected date,domain,sent,delivered,bounced,complaints)"
            )
        return {column: names.index(column) for column in COLUMNS if column in names}, len(first_row), True
    return dict(zip(COLUMNS, range(len(COLUMNS)))), len(COLUMNS), False


class Days:
    """A ``date`` cell -> ``"Y-m-d"``, or "" when it is not a date."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, text: str) -> str:
        text = text.strip()
        day = self._known.get(text)
        if day is None:
            try:
                day = dt.date.fromisoformat(text).isoformat() if len(text) == 10 else ""
            except ValueError:
                day = ""
            if len(self._known) < MAX_DATES:
                self._known[text] = day
        return day


def parse(rows: Iterable[list[str]], run: ImportRun) -> None:
    """Count each row; the first row of the file (``run.header``) is a header or a first row."""
    first_is_new = run.header is None
    if first_is_new:
        run.header = non_blank(rows)
        if run.header is None:
            return
    layout, width, has_header = _layout(run.header)
    if first_is_new and not has_header:
        rows = itertools.chain([run.header], rows)
    summary = run.summary
    days = Days()
    report_every = max(1, min(PROGRESS_EVERY, run.flush_keys))
    rows_read = imported = 0
    for row in rows:
        if not row or not any(cell.strip() for cell in row):
            continue
        rows_read += 1
        if rows_read % report_every == 0:
            summary.rows_read, summary.rows_imported = rows_read + run.unparsed, imported
            run.progress()
            run.maybe_flush()  # counters are found through run.table(), never kept across this
        if len(row) != width:
            run.malformed(f"has {len(row)} fields; expected {width}")
            continue
        if _count_row(row, layout, days, run):
            imported += 1
    summary.rows_read, summary.rows_imported = rows_read + run.unparsed, imported


def _count_row(row: list[str], layout: dict[str, int], days: Days, run: ImportRun) -> bool:
    """Add one row to its domain's day; False when it was skipped (and why is recorded)."""
    day = days.of(row[layout["date"]])
    if not day:
        run.malformed("date is not a date such as 2026-05-23")
        return False
    try:
        sent = _count(row[layout["sent"]], "sent", False)
        delivered = _count(row[layout["delivered"]], "delivered", True) if "delivered" in layout else None
        bounced = _count(row[layout["bounced"]], "bounced", True) or 0 if "bounced" in layout else 0
        complaints = _count(row[layout["complaints"]], "complaints", True) or 0 if "complaints" in layout else 0
    except ValueError as exc:
        run.malformed(str(exc))
        return False
    domain_text = row[layout["domain"]]
    target = run.resolve(domain_text)
    if target is None:
        run.malformed("domain is not a domain name") if domain_text.strip() else run.skip(NO_SENDER)
        return False
    if type(target) is not int:
        run.unknown(target)
        return False
    table = run.table(day)
    counters = table.get(target)
    if counters is None:
        table[target] = [sent, delivered, bounced, complaints]
        run.keys += 1
    else:
        counters[0] += sent
        counters[1] = counters[1] if delivered is None else (counters[1] or 0) + delivered
        counters[2] += bounced
        counters[3] += complaints
    return True
