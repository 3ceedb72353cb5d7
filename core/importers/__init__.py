"""Importers of delivery logs into daily stats.

``import_file(path, kind, …) -> ImportSummary`` imports one file, counting only what earlier
imports of it did not (a file is known by its content; see ``core.importers.cursors``).
``core.importers.streams`` keeps following growing files and reads PowerMTA's accounting pipe.

Kinds: ``pmta`` (PowerMTA accounting CSV, ``core.importers.pmta``) and ``csv`` (a plain daily
CSV, ``core.importers.daily_csv``). Where things live: the parser interface in ``base``,
attribution in ``attribution``, reading in ``reading``, staging in ``staging``, the one write
transaction in ``storage``, the run loop in ``runner``.
"""

from __future__ import annotations

import os

from core.importers import daily_csv, pmta
from core.importers.base import FLUSH_KEYS, FileFormatError
from core.importers.claims import Claims, WaitFn
from core.importers.runner import DEFAULT_WAIT, Importer, ProgressFn
from core.importers.summary import ALREADY, FAILED, IMPORTED, SKIPPED, ImportSummary

PARSERS = {pmta.KIND: pmta.parse, daily_csv.KIND: daily_csv.parse}
KINDS = tuple(PARSERS)

__all__ = [
    "ALREADY", "DEFAULT_WAIT", "FAILED", "IMPORTED", "KINDS", "SKIPPED",
    "FileFormatError", "ImportSummary", "import_file", "importer",
]


def importer(
    kind: str,
    *,
    settings,
    clock,
    progress: ProgressFn | None = None,
    flush_keys: int = FLUSH_KEYS,
    wait: float = DEFAULT_WAIT,
    on_wait: WaitFn | None = None,
    claims: Claims | None = None,
    keep_claim: bool = False,
) -> Importer:
    if kind not in PARSERS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
    return Importer(
        kind, PARSERS[kind], settings, clock,
        progress=progress, flush_keys=flush_keys, wait=wait, on_wait=on_wait, claims=claims, keep_claim=keep_claim,
    )


def import_file(path: str | os.PathLike, kind: str, *, settings, clock, **options) -> ImportSummary:
    """Import what is new in one file of ``kind`` into the bound database.

    Never raises for bad content: unreadable files and wrong formats come back as a summary
    with status "failed" and nothing written. KeyboardInterrupt leaves nothing written.
    Options: ``progress``, ``flush_keys``, ``wait``, ``on_wait`` (see ``importer``)."""
    return importer(kind, settings=settings, clock=clock, **options).import_path(path)
