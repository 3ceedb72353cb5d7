"""PowerMTA accounting files (``acct-*.csv``), as PowerMTA writes them.

The first row is a header naming the fields (any order, any subset, as configured by
``record-fields``), for example::

    type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,
    srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,
    envId,queue,vmtaPool,header_From

Fields are matched by name, case-insensitively; a header row appearing again later (files
concatenated, or PowerMTA restarted) replaces the current one. Needed: ``type``,
``timeLogged``, and ``orig`` or ``header_From``.

Counting, per sender domain and UTC day of ``timeLogged``:

- ``d`` (delivered): Sent + 1, Delivered + 1;
- ``b`` (bounced): Sent + 1, Bounced + 1 — so Sent is attempted deliveries, d + b;
- ``f`` (feedback-loop complaint): Complaints + 1 (on the day the complaint was logged);
- every other type (``t`` transient, ``tq``, ``rb`` remote bounce, ``r`` receipt, …) is
  skipped and counted by type. ``rb`` in particular is not a bounce here: its message was
  already counted by its ``d`` record.

A record belongs to the domain of its ``header_From`` when the file has that field and the
row has a From address, else to its envelope sender ``orig``; an MFROM host
(``sl.example.com``) maps back to its sender domain (``example.com``). A ``timeLogged``
without a UTC offset is taken as UTC; seconds may be left out (``2026-05-23 23:59+05:00``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from core.importers.attribution import Attribution, address_domain
from core.importers.base import PROGRESS_EVERY, FileFormatError, ImportRun, non_blank, safe_token
from core.importers.summary import NO_SENDER

KIND = "pmta"

# The counted record types, each with its place in a (sender domain, day)'s counters [d, b, f].
DELIVERED, BOUNCED, COMPLAINT = 0, 1, 2
RECORD_COUNTERS = {"d": DELIVERED, "b": BOUNCED, "f": COMPLAINT}
MAX_TIMES = 200_000  # distinct timeLogged minutes remembered
_UNSEEN = object()  # a cache miss (None is a remembered answer)

_TIME = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def utc_day(text: str) -> str | None:
    """``2026-05-23 23:30:00-0700`` -> ``"2026-05-24"``; None when it is not such a time.

    A time whose UTC day falls outside years 1-9999 (``0001-01-01 00:00+01:00``) is not a
    typo in one row but a file no PowerMTA wrote: the whole file fails (``FileFormatError``).
    """
    try:
        when = dt.datetime.fromisoformat(text.strip())  # C-fast; takes +0000, +00:00, Z, no seconds
    except ValueError:
        return _utc_day_slow(text)
    try:
        offset = when.utcoffset()
        if offset:
            when = when - offset
    except OverflowError:
        raise _out_of_range(text) from None
    return when.date().isoformat()


def _out_of_range(text: str) -> FileFormatError:
    shown = text.strip()[:32]
    shown = shown if all(c.isascii() and (c.isalnum() or c in " :+-.TZ") for c in shown) else "…"
    return FileFormatError(f"timeLogged {shown!r} is outside the dates senderdeck can store (UTC years 1 to 9999)")


def _utc_day_slow(text: str) -> str | None:
    """What ``fromisoformat`` refuses: ``UTC``/``GMT`` suffixes, ``+05:30`` after a space."""
    match = _TIME.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        when = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    if offset and offset[0] in "+-":
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        delta = dt.timedelta(hours=hours, minutes=minutes)
        try:
            when = when - delta if offset[0] == "+" else when + delta
        except OverflowError:
            raise _out_of_range(text) from None
    return when.date().isoformat()


class Layout:
    """Where a header row puts the fields this importer reads."""

    def __init__(self, header: list[str]) -> None:
        names: dict[str, int] = {}
        for index, name in enumerate(header):
            names.setdefault(name.strip().lower(), index)
        has_sender = bool({"orig", "header_from"} & names.keys())
        missing = [name for name in ("type", "timeLogged") if name.lower() not in names]
        if missing or not has_sender:
            wanted = ", ".join(missing + ([] if has_sender else ["orig or header_From"]))
            raise FileFormatError(
                f"not a PowerMTA accounting file: its header row has no {wanted} field "
                "(expected a first row such as type,timeLogged,timeQueued,orig,rcpt,…)"
            )
        self.header = header
        self.width = len(header)
        self.type = names["type"]
        self.time_logged = names["timelogged"]
        self.orig = names.get("orig")
        self.header_from = names.get("header_from")

    @staticmethod
    def is_header(row: list[str]) -> bool:
        names = {cell.strip().lower() for cell in row}
        return "type" in names and "timelogged" in names


class UtcDays:
    """``timeLogged`` -> the counter table of its UTC day, parsing each distinct minute once
    (seconds never move a time to another day)."""

    def __init__(self, run: ImportRun) -> None:
        self._run = run
        self._tables: dict[str, dict | None] = {}

    def table(self, time_logged: str) -> dict | None:
        # "2026-05-23 09:11:42+0000" -> "2026-05-23 09:11+0000"; a time without seconds as it is.
        minute = time_logged[:16] + time_logged[19:] if time_logged[16:17] == ":" else time_logged
        tables = self._tables
        table = tables.get(minute, _UNSEEN)
        if table is not _UNSEEN:
            return table
        day = utc_day(time_logged)
        table = self._run.table(day) if day else None
        if len(tables) >= MAX_TIMES:
            tables.clear()
        tables[minute] = table
        return table

    def forget(self) -> None:
        """The run staged its counters: the tables held here are gone."""
        self._tables.clear()


class Senders:
    """A record's sender domain under one layout: its From header's, else its envelope sender's."""

    def __init__(self, attribution: Attribution, layout: Layout) -> None:
        self._attribution = attribution
        self._answers = attribution.cache  # whole From values are remembered beside domains
        self._header_from = layout.header_from
        self._orig = layout.orig

    def of(self, row: list[str]) -> int | str | None:
        if self._header_from is not None:
            header_from = row[self._header_from]
            if header_from:
                sender = self._answers.get(header_from, _UNSEEN)
                if sender is _UNSEEN:
                    sender = self._attribution.resolve(address_domain(header_from))
                    self._attribution.remember(header_from, sender)
                if sender is not None:
                    return sender
        if self._orig is not None:
            orig = row[self._orig]
            if orig:
                return self._attribution.resolve(orig.rpartition("@")[2])
        return None


def parse(rows: Iterable[list[str]], run: ImportRun) -> None:
    layout = _first_layout(rows, run)
    run.to_row = _to_row
    summary = run.summary
    days = UtcDays(run)
    senders = Senders(run.attribution, layout)
    report_every = max(1, min(PROGRESS_EVERY, run.flush_keys))
    next_report = report_every
    rows_read = imported = new_keys = 0

    for row in rows:
        if len(row) != layout.width:
            layout, counted = _row_of_other_width(row, layout, run)
            senders = Senders(run.attribution, layout)
            rows_read += counted
            continue
        rows_read += 1
        if rows_read == next_report:
            next_report += report_every
            summary.rows_read, summary.rows_imported = rows_read + run.unparsed, imported
            run.keys += new_keys
            new_keys = 0
            run.progress()
            if run.maybe_flush():
                days.forget()

        counter = RECORD_COUNTERS.get(row[layout.type])
        if counter is None:
            counter, in_force = _unusual_type(row, layout, run)
            if in_force is not layout:  # a header row again: not a record
                layout, senders = in_force, Senders(run.attribution, in_force)
                rows_read -= 1
                continue
            if counter is None:
                continue
        day_counters = days.table(row[layout.time_logged])
        if day_counters is None:
            run.malformed("timeLogged is not a time such as 2026-05-23 09:11:00+0000")
            continue
        sender = senders.of(row)
        if type(sender) is not int:
            run.skip(NO_SENDER) if sender is None else run.unknown(sender)
            continue
        counters = day_counters.get(sender)
        if counters is None:
            counters = day_counters[sender] = [0, 0, 0]
            new_keys += 1
        counters[counter] += 1
        imported += 1

    run.keys += new_keys
    summary.rows_read, summary.rows_imported = rows_read + run.unparsed, imported


def _first_layout(rows: Iterable[list[str]], run: ImportRun) -> Layout:
    """The header in force: the one an earlier import left off under, or the file's first row."""
    if run.header is None:
        run.header = non_blank(rows)
        if run.header is None:
            raise FileFormatError("empty file: no header row (expected type,timeLogged,orig,…)")
    return Layout(run.header)


def _row_of_other_width(row: list[str], layout: Layout, run: ImportRun) -> tuple[Layout, int]:
    """A row whose width is not the header's: blank (ignored), a new header, or malformed.
    Returns the layout in force after it and how many rows it counts as read."""
    if not any(cell.strip() for cell in row):
        return layout, 0
    if Layout.is_header(row):
        run.header = row
        return Layout(row), 0
    run.malformed(f"has {len(row)} fields; the header names {layout.width}")
    return layout, 1


def _unusual_type(row: list[str], layout: Layout, run: ImportRun) -> tuple[int | None, Layout]:
    """A type that is not exactly ``d``, ``b`` or ``f``: padded or upper case (counted), a
    repeated header row of the same width (adopted), or a type not counted (skipped)."""
    record_type = row[layout.type].strip()
    counter = RECORD_COUNTERS.get(record_type.lower())
    if counter is not None:
        return counter, layout
    if record_type.lower() == "type" and Layout.is_header(row):
        run.header = row
        return None, Layout(row)
    run.skip(f"ignored record type '{safe_token(record_type)}'" if record_type else "ignored record type ''")
    return None, layout


def _to_row(counters: list) -> tuple:
    """[d, b, f] -> (sent, delivered, bounced, complaints): Sent = d + b; deliveries are
    recorded only on days with sends (a day with only complaints leaves Delivered NULL)."""
    delivered, bounced, complaints = counters
    sent = delivered + bounced
    return (sent, delivered if sent else None, bounced, complaints)

