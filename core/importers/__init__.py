"""Importers of delivery logs into daily stats: ``import_file(path, kind, …) -> ImportSummary``.

Kinds: ``pmta`` (PowerMTA accounting CSV, see ``core.importers.pmta``) and ``csv`` (a plain
daily CSV, see ``core.importers.daily_csv``). Shared behaviour (streaming, one transaction
per file, idempotency, the summary) lives in ``core.importers.base``.
"""

from __future__ import annotations

import os

import peewee

from core.db import retry_locked
from core.importers import daily_csv, pmta
from core.importers.base import FLUSH_KEYS, FileFormatError, ImportSummary, ProgressFn, run_import

PARSERS = {pmta.KIND: pmta.parse, daily_csv.KIND: daily_csv.parse}
KINDS = tuple(PARSERS)

__all__ = ["KINDS", "FileFormatError", "ImportSummary", "import_file"]


def import_file(
    path: str | os.PathLike,
    kind: str,
    *,
    settings,
    clock,
    progress: ProgressFn | None = None,
    flush_keys: int = FLUSH_KEYS,
) -> ImportSummary:
    """Import one file of ``kind`` into the bound database; the summary says what happened.

    Never raises for bad content: unreadable files and wrong formats come back as a summary
    with status "failed" and nothing written. KeyboardInterrupt rolls the file back.
    """
    if kind not in PARSERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
    # Another process holding the lock (SQLite busy past its timeout, a PostgreSQL deadlock or
    # serialization failure) rolled the file back: run it again, as a whole, a few times.
    try:
        return retry_locked(
            lambda: run_import(path, kind, PARSERS[kind], settings=settings, clock=clock, progress=progress, flush_keys=flush_keys)
        )
    except peewee.OperationalError as exc:
        summary = ImportSummary(str(path), kind, status="failed")
        summary.error = f"database busy, nothing imported (try again): {exc}"
        return summary
