"""Where imported counts reach ``domain_stat``: one short transaction per commit.

``merge_transaction()`` is the only write transaction imports open for counts, and imports
take turns in it (SQLite's write lock; a PostgreSQL advisory lock), so what one import
checks there (its file's cursor) no other import can change before it commits.
``apply_staged_counts`` adds staged counts to the stored ones inside it and says which
(domain, day) rows changed: anything kept precomputed from ``domain_stat`` is updated there,
in the same transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import peewee
from peewee import EXCLUDED, Case, fn

from core.db import database, is_sqlite, write_transaction
from core.importers.staging import MAX_STORED, CountOverflow, StagedCounts
from core.models import DomainStat, SenderDomain

UPSERT_BATCH = 500  # rows per INSERT (6 parameters each; SQLite allows 32766)
ID_BATCH = 900  # ids per IN (…) list
MERGE_LOCK = (0x73640000, 1)  # pg_advisory_xact_lock(int, int): imports' merges, one at a time

ChangedRows = dict[int, set[str]]  # sender domain id -> days ("Y-m-d") whose row changed


@contextmanager
def merge_transaction() -> Iterator[None]:
    """The write transaction an import commits in; imports queue for it, briefly."""
    with write_transaction():
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", MERGE_LOCK)
        yield


def apply_staged_counts(staged: StagedCounts) -> ChangedRows:
    """Add what ``staged`` holds to ``domain_stat``; call inside ``merge_transaction()``.

    Counts for a sender domain removed since the import began are dropped. Raises
    CountOverflow (the transaction then rolls back) when a stored counter would pass 2^63 - 1.
    """
    changed: ChangedRows = {}
    days: dict[str, str] = {}  # one str object per day, however many domains share it
    live: dict[int, bool] = {}  # sender domain id -> whether it still exists
    batch: list[tuple] = []
    for row in staged.rows():
        batch.append(row)
        if len(batch) >= UPSERT_BATCH:
            _write(batch, live, changed, days)
            batch = []
    if batch:
        _write(batch, live, changed, days)
    if changed and is_sqlite():
        _refuse_sqlite_overflow(list(changed))
    return changed


def _write(batch: list[tuple], live: dict[int, bool], changed: ChangedRows, days: dict[str, str]) -> None:
    unchecked = list({row[0] for row in batch if row[0] not in live})
    if unchecked:
        found = {r[0] for r in SenderDomain.select(SenderDomain.id).where(SenderDomain.id.in_(unchecked)).tuples()}
        live.update((domain_id, domain_id in found) for domain_id in unchecked)
    rows = [row for row in batch if live[row[0]]]
    if not rows:
        return
    _upsert(rows)
    for domain_id, day, *_counts in rows:
        changed.setdefault(domain_id, set()).add(days.setdefault(day, day))


def _upsert(rows: list[tuple]) -> None:
    S = DomainStat
    delivered = Case(
        None,
        [(EXCLUDED.delivered.is_null(), S.delivered)],
        fn.COALESCE(S.delivered, 0) + EXCLUDED.delivered,
    )
    query = S.insert_many(rows, fields=[S.domain, S.day, S.sent, S.delivered, S.bounced, S.complaints]).on_conflict(
        conflict_target=[S.domain, S.day],
        update={
            S.sent: S.sent + EXCLUDED.sent,
            S.delivered: delivered,
            S.bounced: S.bounced + EXCLUDED.bounced,
            S.complaints: S.complaints + EXCLUDED.complaints,
        },
    )
    try:
        query.execute()
    except peewee.DataError as exc:  # PostgreSQL: bigint out of range
        if "out of range" in str(exc):
            raise CountOverflow(f"a stored count would pass {MAX_STORED:,} (2^63 - 1)") from None
        raise


def _refuse_sqlite_overflow(domain_ids: list[int]) -> None:
    """SQLite stores an integer sum past 2^63 - 1 as a REAL instead of failing: find one."""
    S = DomainStat
    too_big = (
        (fn.typeof(S.sent) == "real")
        | (fn.typeof(S.delivered) == "real")
        | (fn.typeof(S.bounced) == "real")
        | (fn.typeof(S.complaints) == "real")
    )
    for start in range(0, len(domain_ids), ID_BATCH):
        ids = domain_ids[start : start + ID_BATCH]
        if S.select(S.id).where(S.domain.in_(ids) & too_big).exists():
            raise CountOverflow(f"a stored count would pass {MAX_STORED:,} (2^63 - 1)")
