"""The List figures kept precomputed per domain: the ``domain_figures`` table.

Aggregating 30 days of stats per domain on every read costs about half a second per 10,000
domains; a list of 100,000 reads one stored row each instead. One rule keeps them right:

    a stored row holds what ``domain_stat`` gives for its domain on the row's own ``day``.

Writes of ``domain_stat`` (all through ``core.stat_store.write_counts``) move the rows of the
domains they touch by each day's difference, in the same transaction; a new UTC day moves
every window, and ``core.stat_store.refresh_figures`` recomputes the rows not yet at the
new day. A read for ``today`` takes the rows stored for ``today`` and computes the others
(not stored yet, or of another day) from ``domain_stat`` on the spot: never wrong, only
slower until the day's refresh. This module reads and writes the table; the transactions
are the caller's (``core.stat_store``).
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from peewee import JOIN, fn

from core.db import database, insert_rows
from core.listing import live_by_status, live_domains
from core.models import STATUS_DELETED, DomainFigures, SenderDomain
from core.prepared import Prepared, slot
from core.stats import Figures, WindowSums, window_sums_for

CHUNK = 2000  # domains per recompute (and per short transaction when it is stored)
NO_SUMS = WindowSums()
UPSERT_BATCH = 500  # rows per INSERT (17 parameters each; SQLite allows 32,766)

F = DomainFigures
SUM_COLUMNS = (F.volume_7d, F.v_prior, F.sent30, F.bounced30, F.complaints30, F.delivered30, F.recorded30, F.fallback30)
FIGURE_COLUMNS = (F.volume_7d, F.volume_delta, F.reputation, F.reputation_bucket, F.delivery_rate, F.bounce_rate)


def _read_of_user():
    """A user's live domains with their stored figures, and whether they are for ``day``."""
    S = SenderDomain
    return (
        S.select(S.id, F.day == slot("day"), *FIGURE_COLUMNS)
        .join(F, JOIN.LEFT_OUTER, on=(F.domain == S.id))
        .where(live_domains(slot("user")))
    )


# The API's list (one tenant's domains) and the operator's (every tenant's): compiled once.
_READ_OF_USER = Prepared(_read_of_user)
_LIVE_IDS = Prepared(lambda: SenderDomain.select(SenderDomain.id).where(live_by_status()))
_LIVE_COUNT = Prepared(lambda: SenderDomain.select(fn.COUNT(SenderDomain.id)).where(live_by_status()))
_NOT_LIVE_IDS = Prepared(
    lambda: SenderDomain.select(SenderDomain.id).where((SenderDomain.status == STATUS_DELETED) | (SenderDomain.id <= 0))
)
_ALL_STORED = Prepared(lambda: F.select(F.domain, *FIGURE_COLUMNS).where(F.day == slot("day")))


def read_stored(user_id: int | None, today: dt.date) -> tuple[dict[int, Figures], list[int]]:
    """The stored figures for ``today`` of the user's live domains (None: every tenant's),
    and the ids of the live domains with none stored for ``today``."""
    current: dict[int, Figures] = {}
    make = Figures._make
    if user_id is not None:
        stale: list[int] = []
        for row in _READ_OF_USER.execute(day=today, user=user_id).fetchall():
            if row[1]:
                current[row[0]] = make(row[2:])
            else:
                stale.append(row[0])
        return current, stale
    # Every tenant's: the day's rows in one plain scan, less the few deleted domains', not a
    # join of 100,000 rows in SQL (which costs about as much again); the live domains' ids
    # are read only when some lack a row (their count, from the status index, says so).
    gone = {row[0] for row in _NOT_LIVE_IDS.execute().fetchall()}
    for row in _ALL_STORED.execute(day=today).fetchall():
        if row[0] not in gone:
            current[row[0]] = make(row[1:])
    if _LIVE_COUNT.execute().fetchone()[0] == len(current):
        return current, []
    return current, [row[0] for row in _LIVE_IDS.execute().fetchall() if row[0] not in current]


def read_ids(domain_ids: list[int], today: dt.date) -> tuple[dict[int, Figures], list[int]]:
    """``read_stored`` for the domains ``domain_ids`` (live or not)."""
    current: dict[int, Figures] = {}
    make = Figures._make
    columns = ", ".join(c.column_name for c in FIGURE_COLUMNS)
    p = database.param
    for start in range(0, len(domain_ids), CHUNK):
        chunk = domain_ids[start : start + CHUNK]
        sql = f"SELECT domain_id, {columns} FROM {F._meta.table_name} WHERE day = {p} AND domain_id IN ({', '.join([p] * len(chunk))})"
        current.update((row[0], make(row[1:])) for row in database.execute_sql(sql, [today, *chunk]).fetchall())
    return current, [d for d in domain_ids if d not in current]


def compute(domain_ids: list[int], today: dt.date) -> dict[int, WindowSums]:
    """The window sums ending ``today`` of each domain, from ``domain_stat`` (every id
    present: ``NO_SUMS`` for a domain without stats in the windows)."""
    out: dict[int, WindowSums] = {}
    for start in range(0, len(domain_ids), CHUNK):
        chunk = domain_ids[start : start + CHUNK]
        found = window_sums_for(chunk, today)
        out.update((domain_id, found.get(domain_id, NO_SUMS)) for domain_id in chunk)
    return out


def save(sums: dict[int, WindowSums], today: dt.date) -> None:
    """Store ``sums`` (and the figures made of them) as the rows for ``today``, except over
    rows of a later day; inside the caller's write transaction."""
    write_rows([_row(domain_id, today, s, s.figures()) for domain_id, s in sums.items()])


def write_rows(rows: list[tuple]) -> None:
    """Insert or replace rows of (domain_id, day, the window sums, the figures made of them),
    several hundred per statement, except over a row of a later day (a host whose clock is
    still on yesterday never moves a row back a day)."""
    if not rows:
        return
    p = database.param
    names = [c.column_name for c in (F.domain, F.day, *SUM_COLUMNS, *FIGURE_COLUMNS[1:])]
    insert_rows(
        f"INSERT INTO {F._meta.table_name} ({', '.join(names)})",
        "(" + ", ".join([p] * len(names)) + ")",
        "ON CONFLICT (domain_id) DO UPDATE SET " + ", ".join(f"{n} = EXCLUDED.{n}" for n in names[1:])
        + f" WHERE {F._meta.table_name}.day <= EXCLUDED.day",
        rows,
        UPSERT_BATCH,
    )


def _row(domain_id: int, day: dt.date, s: WindowSums, f: Figures) -> tuple:
    return (domain_id, day, *s, f.volume_delta, f.reputation, f.reputation_bucket, f.delivery_rate, f.bounce_rate)


def load(domain_ids: Iterable[int]) -> dict[int, tuple[dt.date, WindowSums]]:
    """The stored day and window sums of each of ``domain_ids`` that has a row."""
    ids = list(domain_ids)
    out: dict[int, tuple[dt.date, WindowSums]] = {}
    columns = ", ".join(c.column_name for c in SUM_COLUMNS)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        sql = f"SELECT domain_id, day, {columns} FROM {F._meta.table_name} WHERE domain_id IN ({', '.join([database.param] * len(chunk))})"
        for domain_id, day, *sums in database.execute_sql(sql, chunk).fetchall():
            out[domain_id] = (_date(day), WindowSums(*(int(v) for v in sums)))
    return out


def update(rows: dict[int, tuple[dt.date, WindowSums]]) -> None:
    """Write new window sums (and their figures) over stored rows, each for its own day;
    inside the caller's write transaction."""
    write_rows([_row(domain_id, day, sums, sums.figures()) for domain_id, (day, sums) in rows.items()])


_STORED_FOR_DAY = Prepared(
    lambda: F.select(fn.COUNT(F.domain)).where(
        (F.day == slot("day")) & F.domain.not_in(SenderDomain.select(SenderDomain.id).where(SenderDomain.status == STATUS_DELETED))
    )
)


def all_stored(today: dt.date) -> bool:
    """Whether every live domain has its row for ``today`` (two counts: cheap when it has)."""
    return _STORED_FOR_DAY.execute(day=today).fetchone()[0] >= _LIVE_COUNT.execute().fetchone()[0]


def stale_ids(today: dt.date, after: int, limit: int) -> list[int]:
    """Up to ``limit`` live domains above DomainID ``after`` without a row for ``today``,
    in DomainID order (the refresh walks them chunk by chunk)."""
    S = SenderDomain
    query = (
        S.select(S.id)
        .join(F, JOIN.LEFT_OUTER, on=(F.domain == S.id))
        .where(live_by_status() & (S.id > after) & (F.day.is_null() | (F.day != today)))
        .order_by(S.id)
        .limit(limit)
        .tuples()
    )
    return [row[0] for row in database.execute(query)]


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
