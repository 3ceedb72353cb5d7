"""Where imported counts reach ``domain_stat``: one short transaction per commit.

``merge_transaction()`` is the only write transaction imports open for counts, and imports
take turns in it (core.stat_store's ``stats_transaction``: SQLite's write lock; a PostgreSQL
advisory lock), so what one import checks there (its file's cursor) no other import can
change before it commits. ``apply_staged_counts`` adds staged counts to the stored ones
inside it through ``core.stat_store.write_counts``, which moves the stored figures of the
domains it touched in the same transaction, and says which (domain, day) rows changed.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from core.importers.staging import StagedCounts
from core.stat_store import ChangedRows, stats_transaction, write_counts

__all__ = ["ChangedRows", "apply_staged_counts", "merge_transaction"]


@contextmanager
def merge_transaction() -> Iterator[None]:
    """The write transaction an import commits in; imports queue for it, briefly."""
    with stats_transaction():
        yield


def apply_staged_counts(staged: StagedCounts) -> ChangedRows:
    """Add what ``staged`` holds to ``domain_stat``; call inside ``merge_transaction()``.

    Counts for a sender domain removed since the import began are dropped. Raises
    CountOverflow (the transaction then rolls back) when a stored counter would pass 2^63 - 1.
    """
    return write_counts(staged.rows(), add=True)
