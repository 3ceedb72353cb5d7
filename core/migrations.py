"""Forward-only schema migrations.

Each migration is a function of the database, numbered by its place in MIGRATIONS; the
``schema_version`` table records the highest one applied. Append new ones; never edit a
released one.
"""

from __future__ import annotations

from typing import Callable

import peewee

from core.db import retry_locked
from core.errors import SettingsError
from core.models import SchemaVersion

# Each migration declares the tables as they were at its version, so a later change to
# core/models.py can never change what an old migration does. tests/core/test_migrations.py
# checks that the migrated schema matches the current models column for column.


def _frozen_base(db: peewee.Database) -> type[peewee.Model]:
    class Frozen(peewee.Model):
        class Meta:
            database = db
            legacy_table_names = False

    return Frozen


def _initial_schema(db: peewee.Database) -> None:
    Base = _frozen_base(db)

    class User(Base):
        name = peewee.CharField(max_length=64, unique=True)
        api_key_hash = peewee.CharField(max_length=64, unique=True)
        permissions = peewee.TextField()
        domain_limit = peewee.IntegerField(null=True)
        created_at = peewee.DateTimeField()

    class SenderDomain(Base):
        user = peewee.ForeignKeyField(User, column_name="user_id", on_delete="CASCADE")
        domain = peewee.CharField(max_length=253)
        status = peewee.CharField(max_length=20, index=True)
        verification_meta = peewee.TextField()
        policy_meta = peewee.TextField()
        options = peewee.TextField()
        created_at = peewee.DateTimeField()
        last_verified_at = peewee.DateTimeField(null=True)
        dkim_selector = peewee.CharField(max_length=63)
        dkim_public_key = peewee.TextField()
        dkim_private_key = peewee.TextField()

        class Meta:
            indexes = ((("domain", "user"), True),)

    class DomainStat(Base):
        domain = peewee.ForeignKeyField(SenderDomain, column_name="domain_id", on_delete="CASCADE")
        day = peewee.DateField()
        sent = peewee.BigIntegerField(default=0)
        delivered = peewee.BigIntegerField(null=True)
        bounced = peewee.BigIntegerField(default=0)
        complaints = peewee.BigIntegerField(default=0)

        class Meta:
            indexes = ((("domain", "day"), True),)

    class CacheEntry(Base):
        key = peewee.CharField(max_length=255, primary_key=True)
        value = peewee.TextField()
        expires_at = peewee.DoubleField(index=True)

    class RateEvent(Base):
        key = peewee.CharField(max_length=128)
        at = peewee.DoubleField()

        class Meta:
            indexes = ((("key", "at"), False),)

    db.create_tables([User, SenderDomain, DomainStat, CacheEntry, RateEvent])


def _imports_and_figures_index(db: peewee.Database) -> None:
    """Import bookkeeping (idempotent imports), and a covering index for the figures query."""
    Base = _frozen_base(db)

    class ImportedFile(Base):
        digest = peewee.CharField(max_length=64, unique=True)
        kind = peewee.CharField(max_length=16)
        name = peewee.CharField(max_length=255)
        size = peewee.BigIntegerField()
        rows_read = peewee.BigIntegerField(default=0)
        rows_imported = peewee.BigIntegerField(default=0)
        imported_at = peewee.DateTimeField()

    db.create_tables([ImportedFile])
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS domain_stat_figures "
        "ON domain_stat (domain_id, day, sent, bounced, complaints, delivered)"
    )


def _import_cursors_and_claims(db: peewee.Database) -> None:
    """Growing files: where each file was counted up to, and which files an import holds.

    ``imported_file`` stays as it was: its rows (files imported whole, by content digest)
    still keep those files from being counted twice."""
    Base = _frozen_base(db)

    class ImportCursor(Base):
        kind = peewee.CharField(max_length=16)
        name = peewee.CharField(max_length=255)
        head_digest = peewee.CharField(max_length=64, unique=True)
        head_len = peewee.IntegerField()
        offset = peewee.BigIntegerField()
        lines = peewee.BigIntegerField(default=0)
        tail_digest = peewee.CharField(max_length=64)
        tail_len = peewee.IntegerField()
        header = peewee.TextField(null=True)
        rows_read = peewee.BigIntegerField(default=0)
        rows_imported = peewee.BigIntegerField(default=0)
        first_imported_at = peewee.DateTimeField()
        imported_at = peewee.DateTimeField()

    class ImportClaim(Base):
        key = peewee.CharField(max_length=64, primary_key=True)
        owner = peewee.CharField(max_length=255)
        name = peewee.CharField(max_length=255)
        expires_at = peewee.DoubleField()

    db.create_tables([ImportCursor, ImportClaim])


def _status_before_delete(db: peewee.Database) -> None:
    """What a soft-deleted domain's Status was, so re-creating it keeps a suspension."""
    db.execute_sql("ALTER TABLE sender_domain ADD COLUMN status_before_delete VARCHAR(20)")


MIGRATIONS: list[Callable[[peewee.Database], None]] = [
    _initial_schema,  # 1
    _imports_and_figures_index,  # 2
    _import_cursors_and_claims,  # 3
    _status_before_delete,  # 4
]

LATEST = len(MIGRATIONS)


def current_version(db: peewee.Database) -> int:
    if not db.table_exists(SchemaVersion._meta.table_name):
        return 0
    row = SchemaVersion.select(peewee.fn.MAX(SchemaVersion.version)).scalar()
    return row or 0


def _tables(db: peewee.Database) -> list[str]:
    """The tables of the schema senderdeck would use (PostgreSQL: the current schema)."""
    if isinstance(db, peewee.PostgresqlDatabase):
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return sorted(str(row[0]) for row in db.execute_sql(sql).fetchall())


def migrate(db: peewee.Database) -> int:
    """Apply every migration newer than the database's version; return the version.

    A database that holds tables but not senderdeck's schema_version is another program's:
    refused, nothing added to it.
    """

    def run() -> int:
        with db.atomic():
            if isinstance(db, peewee.PostgresqlDatabase):
                # Two hosts starting at once must not both create the tables.
                db.execute_sql("SELECT pg_advisory_xact_lock(7412650193)")
            tables = _tables(db)
            if SchemaVersion._meta.table_name not in tables:
                if tables:
                    shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
                    raise SettingsError(
                        f"the database holds tables that are not senderdeck's ({shown}); refusing to add "
                        "senderdeck's tables to another program's database — use an empty one"
                    )
                db.create_tables([SchemaVersion])
            version = current_version(db)
            if version > LATEST:
                raise SettingsError(
                    f"database schema version {version} is newer than this senderdeck ({LATEST}); upgrade senderdeck"
                )
            for number in range(version + 1, LATEST + 1):
                MIGRATIONS[number - 1](db)
                SchemaVersion.create(version=number)
            return LATEST

    return retry_locked(run)
