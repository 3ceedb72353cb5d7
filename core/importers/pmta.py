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
without a UTC offset is taken as UTC.
"""

from __future__ import annotations

import datetime as dt
import re

from core.importers.base import (
    NO_SENDER,
    PROGRESS_EVERY,
    MAX_CACHE,
    FileFormatError,
    ImportRun,
    address_domain,
    rows_with_recovery,
    safe_token,
)

KIND = "pmta"
KINDS = {"d": 0, "b": 1, "f": 2}  # counted record types -> their counter
MAX_TIMES = 200_000  # distinct timeLogged strings remembered

_TIME = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)


def utc_day(text: str) -> str | None:
    """``2026-05-23 23:30:00-0700`` -> ``"2026-05-24"``; None when it is not such a time."""
    try:
        when = dt.datetime.fromisoformat(text.strip())  # C-fast; takes +0000, +00:00, Z
    except ValueError:
        return _utc_day_slow(text)
    offset = when.utcoffset()
    if offset:
        when = when - offset
    return when.date().isoformat()


def _utc_day_slow(text: str) -> str | None:
    m = _TIME.match(text)
    if not m:
        return None
    try:
        when = dt.datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError:
        return None
    offset = m.group(7)
    if offset and offset[0] in "+-":
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        delta = dt.timedelta(hours=hours, minutes=minutes)
        when = when - delta if offset[0] == "+" else when + delta
    return when.date().isoformat()


def _fields(row: list[str]) -> dict[str, int]:
    names: dict[str, int] = {}
    for i, name in enumerate(row):
        names.setdefault(name.strip().lower(), i)
    return names


def _is_header(row: list[str]) -> bool:
    names = {c.strip().lower() for c in row}
    return "type" in names and "timelogged" in names


class _Layout:
    def __init__(self, row: list[str]) -> None:
        names = _fields(row)
        missing = [n for n in ("type", "timeLogged") if n.lower() not in names]
        if missing or not ({"orig", "header_from"} & names.keys()):
            wanted = ", ".join(missing + ([] if {"orig", "header_from"} & names.keys() else ["orig or header_From"]))
            raise FileFormatError(
                f"not a PowerMTA accounting file: its header row has no {wanted} field "
                "(expected a first row such as type,timeLogged,timeQueued,orig,rcpt,…)"
            )
        self.width = len(row)
        self.type = names["type"]
        self.time = names["timelogged"]
        self.orig = names.get("orig")
        self.from_ = names.get("header_from")


def parse(reader, run: ImportRun) -> None:
    summary = run.summary
    rows = rows_with_recovery(reader, run)
    layout = None
    for row in rows:
        if any(cell.strip() for cell in row):
            layout = _Layout(row)
            break
    if layout is None:
        raise FileFormatError("empty file: no header row (expected type,timeLogged,orig,…)")

    run.to_row = _to_row
    tables = run.counts
    resolve = run.resolve
    cache = run._cache  # the resolver's cache, read inline on the hot path
    times: dict[str, dict | bool] = {}  # timeLogged's minute -> that UTC day's counters (False: not a time)
    kinds = KINDS
    every = max(1, min(PROGRESS_EVERY, run.flush_keys))
    n = imported = new_keys = 0
    check_at = every
    w, i_type, i_time, i_orig, i_from = layout.width, layout.type, layout.time, layout.orig, layout.from_

    for row in rows:
        if len(row) != w:
            if not row or not any(cell.strip() for cell in row):
                continue  # blank line
            if _is_header(row):
                layout = _Layout(row)
                w, i_type, i_time, i_orig, i_from = layout.width, layout.type, layout.time, layout.orig, layout.from_
                continue
            n += 1
            run.malformed(f"has {len(row)} fields; the header names {w}")
            continue
        n += 1
        if n == check_at:
            check_at += every
            summary.rows_read, summary.rows_imported = n + run.unparsed, imported
            run.keys += new_keys
            new_keys = 0
            run.progress()
            if run.maybe_flush():
                times.clear()

        k = kinds.get(row[i_type])
        if k is None:
            rtype = row[i_type].strip()
            k = kinds.get(rtype.lower())
            if k is None:
                if rtype.lower() == "type" and _is_header(row):
                    n -= 1
                    layout = _Layout(row)
                    w, i_type, i_time, i_orig, i_from = layout.width, layout.type, layout.time, layout.orig, layout.from_
                else:
                    run.skip(f"ignored record type '{safe_token(rtype)}'" if rtype else "ignored record type ''")
                continue

        t = row[i_time]
        minute = t[:16] + t[19:]  # seconds never change the UTC day: one parse per minute
        table = times.get(minute)
        if table is None:
            day = utc_day(t)
            table = run.table(day) if day else False
            if len(times) >= MAX_TIMES:
                times.clear()
            times[minute] = table
        if table is False:
            run.malformed("timeLogged is not a time such as 2026-05-23 09:11:00+0000")
            continue

        target = None
        if i_from is not None:
            value = row[i_from]
            if value:
                target = cache.get(value, False)
                if target is False:
                    target = resolve(address_domain(value))
                    if len(cache) >= MAX_CACHE:
                        cache.clear()
                    cache[value] = target
        if target is None and i_orig is not None:
            value = row[i_orig]
            if value:
                target = resolve(value.rpartition("@")[2])

        if type(target) is int:
            c = table.get(target)
            if c is None:
                c = table[target] = [0, 0, 0]
                new_keys += 1
            c[k] += 1
            imported += 1
        elif target is None:
            run.skip(NO_SENDER)
        else:
            run.unknown(target)

    run.keys += new_keys
    summary.rows_read, summary.rows_imported = n + run.unparsed, imported


def _to_row(c: list) -> tuple:
    """[d, b, f] -> (sent, delivered, bounced, complaints): Sent = d + b; deliveries are
    recorded only on days with sends (a day with only complaints leaves Delivered NULL)."""
    d, b, f = c
    sent = d + b
    return (sent, d if sent else None, b, f)
