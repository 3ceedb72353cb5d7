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

from core.importers.base import (
    MAX_COUNT,
    NO_SENDER,
    PROGRESS_EVERY,
    FileFormatError,
    ImportRun,
    rows_with_recovery,
)

KIND = "csv"
COLUMNS = ("date", "domain", "sent", "delivered", "bounced", "complaints")
REQUIRED = ("date", "domain", "sent")


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


def parse(reader, run: ImportRun) -> None:
    summary = run.summary
    rows = rows_with_recovery(reader, run)
    layout = dict(zip(COLUMNS, range(len(COLUMNS))))
    width = len(COLUMNS)
    dates: dict[str, str | None] = {}
    every = max(1, min(PROGRESS_EVERY, run.flush_keys))
    n = imported = 0
    first = True
    for row in rows:
        if not row or not any(cell.strip() for cell in row):
            continue
        if first:
            first = False
            names = [c.strip().lower().lstrip("#") for c in row]
            if "date" in names and "domain" in names:
                missing = [c for c in REQUIRED if c not in names]
                if missing:
                    raise FileFormatError(
                        f"the header row has no {', '.join(missing)} column (expected date,domain,sent,delivered,bounced,complaints)"
                    )
                layout = {c: names.index(c) for c in COLUMNS if c in names}
                width = len(row)
                continue
        n += 1
        if n % every == 0:
            summary.rows_read, summary.rows_imported = n + run.unparsed, imported
            run.progress()
            run.maybe_flush()  # counters are found through run.table(), never kept across this
        if len(row) != width:
            run.malformed(f"has {len(row)} fields; expected {width}")
            continue
        raw_date = row[layout["date"]].strip()
        day = dates.get(raw_date)
        if day is None:
            try:
                day = dt.date.fromisoformat(raw_date).isoformat() if len(raw_date) == 10 else ""
            except ValueError:
                day = ""
            if len(dates) < 100_000:
                dates[raw_date] = day
        if not day:
            run.malformed("date is not a date such as 2026-05-23")
            continue
        try:
            sent = _count(row[layout["sent"]], "sent", False)
            delivered = _count(row[layout["delivered"]], "delivered", True) if "delivered" in layout else None
            bounced = _count(row[layout["bounced"]], "bounced", True) or 0 if "bounced" in layout else 0
            complaints = _count(row[layout["complaints"]], "complaints", True) or 0 if "complaints" in layout else 0
        except ValueError as exc:
            run.malformed(str(exc))
            continue
        target = run.resolve(row[layout["domain"]])
        if type(target) is int:
            table = run.table(day)
            c = table.get(target)
            if c is None:
                table[target] = [sent, delivered, bounced, complaints]
                run.keys += 1
            else:
                c[0] += sent
                c[1] = c[1] if delivered is None else (c[1] or 0) + delivered
                c[2] += bounced
                c[3] += complaints
            imported += 1
        elif target is None:
            if row[layout["domain"]].strip():
                run.malformed("domain is not a domain name")
            else:
                run.skip(NO_SENDER)
        else:
            run.unknown(target)
    summary.rows_read, summary.rows_imported = n + run.unparsed, imported
