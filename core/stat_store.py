"""The one writer of ``domain_stat``, which keeps the stored figures in step.

Imports, the demo builder and the tests' helpers all write daily counts through
``write_counts``; it moves the stored figures (core/stored_figures.py) of every domain it
touches by each day's difference, in the same transaction, so a stored row never stops being
what ``domain_stat`` gives for its day. ``refresh_figures`` brings the rows to a new UTC day;
``current_figures`` is the read the lists use.

Every write of either table runs in ``stats_transaction()``, one at a time (SQLite's write
lock; a PostgreSQL advisory lock), so a recompute never interleaves with an import's merge.
"""

from __future__ import annotations

import datetime as dt
import weakref
from contextlib import contextmanager
from typing import Iterable, Iterator

import peewee

from core import stored_figures
from core.db import database, insert_rows, is_lock_error, is_sqlite, retry_locked, write_transaction
from core.models import DomainFigures, DomainStat, SenderDomain
from core.stats import Figures, WindowSums, day_sums

MAX_STORED = 2**63 - 1  # domain_stat's counters (and the window sums) are 64-bit signed integers
BATCH = 500  # (domain, day) rows read and written at a time
STATS_LOCK = (0x73640000, 1)  # pg_advisory_xact_lock(int, int): writes of stats and figures, one at a time

StatRow = tuple  # (domain_id, day as date or "Y-m-d", sent, delivered or None, bounced, complaints)
ChangedRows = dict[int, set[str]]  # sender domain id -> days ("Y-m-d") whose row changed


class CountOverflow(ValueError):
    """A counter (or a window's sum of them) would pass what the database can store."""


@contextmanager
def stats_transaction() -> Iterator[None]:
    """The write transaction every write of ``domain_stat`` and ``domain_figures`` runs in;
    writers queue for it, briefly."""
    with write_transaction():
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", STATS_LOCK)
        yield


def write_counts(rows: Iterable[StatRow], *, add: bool = True) -> ChangedRows:
    """Write daily counts into ``domain_stat`` and move the stored figures of the domains
    touched; call inside ``stats_transaction()``.

    ``add``: add to the stored counts (imports: a day's deliveries stay unrecorded (NULL)
    until some are); otherwise set them (the demo builder, tests). Counts for a sender domain
    that no longer exists are dropped. Raises CountOverflow (the transaction then rolls back)
    when a stored counter or a window's sum would pass 2^63 - 1.
    """
    changed: ChangedRows = {}
    days: dict[str, str] = {}  # one str object per day, however many domains share it
    live: dict[int, bool] = {}  # sender domain id -> whether it still exists
    tracker = _FiguresTracker()
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _write(batch, add, live, changed, days, tracker)
            batch = []
    if batch:
        _write(batch, add, live, changed, days, tracker)
    tracker.save()
    return changed


def store_counts(rows: Iterable[StatRow], *, add: bool = False) -> ChangedRows:
    """``write_counts`` in a transaction of its own (the demo builder, tests): by default the
    counts given replace the stored ones."""
    rows = list(rows)
    return retry_locked(lambda: _in_transaction(lambda: write_counts(rows, add=add)))


def _in_transaction(work):
    with stats_transaction():
        return work()


def delete_counts(domain_ids: list[int] | None = None) -> None:
    """Remove the daily counts (of ``domain_ids``, or all) and their stored figures; inside
    ``stats_transaction()``. For tests and benches that start over."""
    for model in (DomainStat, DomainFigures):
        query = model.delete()
        if domain_ids is not None:
            query = query.where(model.domain.in_(domain_ids))
        query.execute()


def _write(batch: list[tuple], add: bool, live: dict[int, bool], changed: ChangedRows, days: dict[str, str], tracker) -> None:
    unchecked = list({row[0] for row in batch if row[0] not in live})
    if unchecked:
        sql = f"SELECT id FROM {SenderDomain._meta.table_name} WHERE id IN ({', '.join([database.param] * len(unchecked))})"
        found = {r[0] for r in database.execute_sql(sql, unchecked).fetchall()}
        live.update((domain_id, domain_id in found) for domain_id in unchecked)
    given: dict[tuple[int, str], tuple] = {}  # a (domain, day) given twice in a batch counts as one row
    for domain_id, day, *counts in batch:
        if live[domain_id]:
            text = day if isinstance(day, str) else day.isoformat()
            key = (domain_id, days.setdefault(text, text))
            given[key] = _after(given[key], counts) if add and key in given else tuple(counts)
    if not given:
        return
    tracker.load(domain_id for domain_id, _day in given)
    before = _stored_counts(list(given))
    # The new counts, computed here from the stored ones (read inside this transaction, which
    # no other writer of domain_stat can enter): checked before anything is written, and
    # the same numbers the stored figures are moved by.
    after = {key: _after(before.get(key), counts) if add else counts for key, counts in given.items()}
    for counts in after.values():
        if any(c is not None and c > MAX_STORED for c in counts):
            raise CountOverflow(f"a stored count would pass {MAX_STORED:,} (2^63 - 1)")
    _upsert(after)
    for (domain_id, day), counts in after.items():
        tracker.move(domain_id, day, before.get((domain_id, day)), counts)
        changed.setdefault(domain_id, set()).add(day)


def _after(old: tuple | None, added) -> tuple:
    """A row's counts after ``added`` is added to ``old``: deliveries stay unrecorded (None)
    until some are."""
    sent, delivered, bounced, complaints = added
    if old is None:
        return sent, delivered, bounced, complaints
    if delivered is not None:
        delivered = (old[1] or 0) + delivered
    else:
        delivered = old[1]
    return old[0] + sent, delivered, old[2] + bounced, old[3] + complaints


def _stored_counts(keys: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    """The counts stored now for each (domain, day) of ``keys`` that has a row: one indexed
    query per day (or per domain, when the keys hold fewer domains than days), so each key
    is one index lookup."""
    by_day: dict[str, list[int]] = {}
    by_domain: dict[int, list[str]] = {}
    for domain_id, day in keys:
        by_day.setdefault(day, []).append(domain_id)
        by_domain.setdefault(domain_id, []).append(day)
    p = database.param
    day_param = p if is_sqlite() else f"CAST({p} AS DATE)"
    select = f"SELECT domain_id, day, sent, delivered, bounced, complaints FROM {DomainStat._meta.table_name} WHERE "
    if len(by_day) <= len(by_domain):
        queries = [
            (select + f"day = {day_param} AND domain_id IN ({', '.join([p] * len(ids))})", [day, *ids]) for day, ids in by_day.items()
        ]
    else:
        queries = [
            (select + f"domain_id = {p} AND day IN ({', '.join([day_param] * len(days))})", [domain_id, *days])
            for domain_id, days in by_domain.items()
        ]
    out = {}
    for sql, params in queries:
        for domain_id, stored_day, sent, delivered, bounced, complaints in database.execute_sql(sql, params).fetchall():
            key_day = stored_day if isinstance(stored_day, str) else stored_day.isoformat()
            out[(domain_id, key_day[:10])] = (int(sent), None if delivered is None else int(delivered), int(bounced), int(complaints))
    return out


def _upsert(counts: dict[tuple[int, str], tuple]) -> None:
    """Store each (domain, day)'s counts, inserting or replacing its row."""
    p = database.param
    insert_rows(
        f"INSERT INTO {DomainStat._meta.table_name} (domain_id, day, sent, delivered, bounced, complaints)",
        f"({p}, {p if is_sqlite() else f'CAST({p} AS DATE)'}, {p}, {p}, {p}, {p})",
        "ON CONFLICT (domain_id, day) DO UPDATE SET "
        "sent = EXCLUDED.sent, delivered = EXCLUDED.delivered, bounced = EXCLUDED.bounced, complaints = EXCLUDED.complaints",
        [(domain_id, day, *values) for (domain_id, day), values in counts.items()],
    )


class _FiguresTracker:
    """The stored figures of the domains a write touches, each moved by the difference a
    changed day makes to the windows ending on the row's own day (a domain without a stored
    row has nothing to keep: a read computes it)."""

    def __init__(self) -> None:
        self._rows: dict[int, tuple[dt.date, list[int]] | None] = {}
        self._moved: set[int] = set()
        self._dates: dict[str, dt.date] = {}

    def load(self, domain_ids: Iterable[int]) -> None:
        wanted = [d for d in set(domain_ids) if d not in self._rows]
        if not wanted:
            return
        stored = stored_figures.load(wanted)
        for domain_id in wanted:
            found = stored.get(domain_id)
            self._rows[domain_id] = (found[0], list(found[1])) if found else None

    def move(self, domain_id: int, day: str, old: tuple | None, new: tuple) -> None:
        row = self._rows.get(domain_id)
        if row is None:
            return
        when = self._dates.get(day)
        if when is None:
            when = self._dates[day] = dt.date.fromisoformat(day)
        back = (row[0] - when).days
        plus = day_sums(back, *new)
        if plus is None:
            return  # a day outside every window of the row's day, before and after
        minus = day_sums(back, *old) if old is not None else None
        sums = row[1]
        for i, value in enumerate(plus):
            sums[i] += value - (minus[i] if minus is not None else 0)
        self._moved.add(domain_id)

    def save(self) -> None:
        moved: dict[int, tuple[dt.date, WindowSums]] = {}
        for domain_id in self._moved:
            day, sums = self._rows[domain_id]
            if max(sums) > MAX_STORED:
                raise CountOverflow(f"a domain's 30-day sum would pass {MAX_STORED:,} (2^63 - 1)")
            moved[domain_id] = (day, WindowSums(*sums))
        stored_figures.update(moved)


# ---- the lists' read, and the daily refresh ---------------------------------------------


def current_figures(user_id: int | None, today: dt.date, *, store: bool = False) -> dict[int, Figures]:
    """The figures for ``today`` of every live domain of the user (None: of every tenant):
    the stored rows, and for domains without a row for ``today`` the figures computed from
    ``domain_stat`` now. ``store``: write those back too, a chunk per short transaction (the
    first operator's list of a UTC day refreshes the table this way)."""
    figures, stale = stored_figures.read_stored(user_id, today)
    if stale:
        figures.update(_computed(stale, today, store))
    return figures


def figures_of(domain_ids: list[int], today: dt.date, *, store: bool = False) -> dict[int, Figures]:
    """``current_figures`` for the domains ``domain_ids`` (a chunk of a longer read)."""
    figures, stale = stored_figures.read_ids(domain_ids, today)
    if stale:
        figures.update(_computed(stale, today, store))
    return figures


def _computed(domain_ids: list[int], today: dt.date, store: bool) -> dict[int, Figures]:
    """Figures computed from ``domain_stat`` (and stored, when ``store``: a read never fails
    because it could not write them back, e.g. while other writers held the lock too long)."""
    computed = None
    if store:
        try:
            computed = _recompute(domain_ids, today)
        except peewee.OperationalError as exc:
            if not is_lock_error(exc):
                raise
    if computed is None:
        computed = stored_figures.compute(domain_ids, today)
    return {domain_id: sums.figures() for domain_id, sums in computed.items()}


def refresh_figures(today: dt.date) -> int:
    """Recompute and store the figures of every live domain without a row for ``today``
    (a new UTC day moved every window), a chunk of domains per short transaction; returns
    how many were refreshed (0 when the table was current: one indexed scan)."""
    done, after = 0, 0
    while True:
        ids = stored_figures.stale_ids(today, after, stored_figures.CHUNK)
        if not ids:
            return done
        _recompute(ids, today)
        done += len(ids)
        after = ids[-1]


_refreshed_to: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # database -> the day it was found current


def refresh_if_new_day(today: dt.date) -> int:
    """``refresh_figures`` the first time this process sees ``today`` (per database): what
    imports call after each commit, so the figures follow a new UTC day within a cron run,
    or one commit of a follower, after midnight. Cheap when nothing is stale."""
    db = database.obj
    if _refreshed_to.get(db) == today:
        return 0
    done = 0 if stored_figures.all_stored(today) else refresh_figures(today)
    _refreshed_to[db] = today
    return done


def _recompute(domain_ids: list[int], today: dt.date) -> dict[int, WindowSums]:
    out: dict[int, WindowSums] = {}
    for start in range(0, len(domain_ids), stored_figures.CHUNK):
        chunk = domain_ids[start : start + stored_figures.CHUNK]

        def work() -> dict[int, WindowSums]:
            with stats_transaction():  # computed and stored with no write in between
                sums = stored_figures.compute(chunk, today)
                stored_figures.save(sums, today)
                return sums

        out.update(retry_locked(work))
    return out
