"""Forward-only schema migrations.

Each migration is a function of the database, numbered by its place in MIGRATIONS; the
``schema_version`` table records the highest one applied. Append new ones; never edit a
released one.
"""

from __future__ import annotations

from typing import Callable

import peewee

from core.db import retry_locked
from core.models import (
    CacheEntry,
    DomainStat,
    ImportedFile,
    RateEvent,
    SchemaVersion,
    SenderDomain,
    User,
)


def _initial_schema(db: peewee.Database) -> None:
    db.create_tables([User, SenderDomain, DomainStat, CacheEntry, RateEvent])


def _imports_and_figures_index(db: peewee.Database) -> None:
    """Import bookkeeping (idempotent imports), and a covering index for the figures query."""
    db.create_tables([ImportedFile])
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS domain_stat_figures "
        "ON domain_stat (domain_id, day, sent, bounced, complaints, delivered)"
    )


MIGRATIONS: list[Callable[[peewee.Database], None]] = [
    _initial_schema,  # 1
    _imports_and_figures_index,  # 2
]

LATEST = len(MIGRATIONS)


def current_version(db: peewee.Database) -> int:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return row or 0


def migrate(db: peewee.Database) -> int:
    """Apply every migration newer than the database's version; return the version."""

    def run() -> int:
        with db.atomic():
            if isinstance(db, peewee.PostgresqlDatabase):
                # Two hosts starting at once must not both create the tables.
                db.execute_sql("SELECT pg_advisory_xact_lock(7412650193)")
            db.create_tables([SchemaVersion], safe=True)
            version = current_version(db)
            if version > LATEST:
                from core.errors import SettingsError

                raise SettingsError(
                    f"database schema version {version} is newer than this senderdeck ({LATEST}); upgrade senderdeck"
                )
            for number in range(version + 1, LATEST + 1):
                MIGRATIONS[number - 1](db)
                SchemaVersion.create(version=number)
            return LATEST

    return retry_locked(run)
