"""Peewee models only. Column names follow the spec's field names where the API shows them."""

from __future__ import annotations

import json

import peewee

from core.db import database

STATUS_ENABLED = "Enabled"
STATUS_DISABLED = "Disabled"
STATUS_PENDING = "Approval Pending"
STATUS_SUSPENDED = "Suspended"
STATUS_DELETED = "Deleted"
STATUSES = (STATUS_ENABLED, STATUS_DISABLED, STATUS_PENDING, STATUS_SUSPENDED, STATUS_DELETED)

PERMISSION_USER_UPDATE = "User.Update"


class JSONField(peewee.TextField):
    """JSON kept as text, so SQLite and PostgreSQL store it the same way."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    name = peewee.CharField(max_length=64, unique=True)
    api_key_hash = peewee.CharField(max_length=64, unique=True)  # sha256 hex of the key
    permissions = JSONField(default=lambda: [PERMISSION_USER_UPDATE])
    domain_limit = peewee.IntegerField(null=True)  # None: the settings' default
    created_at = peewee.DateTimeField()

    def can(self, permission: str) -> bool:
        return permission in (self.permissions or [])


class SenderDomain(BaseModel):
    user = peewee.ForeignKeyField(User, backref="sender_domains", column_name="user_id", on_delete="CASCADE")
    domain = peewee.CharField(max_length=253)  # ASCII (punycode), lower case, no trailing dot
    status = peewee.CharField(max_length=20, default=STATUS_PENDING, index=True)
    verification_meta = JSONField(default=dict)
    policy_meta = JSONField(default=list)
    options = JSONField(default=dict)
    created_at = peewee.DateTimeField()
    last_verified_at = peewee.DateTimeField(null=True)
    dkim_selector = peewee.CharField(max_length=63)
    dkim_public_key = peewee.TextField()  # base64 DER SubjectPublicKeyInfo, as in p=
    dkim_private_key = peewee.TextField()  # PKCS#8 PEM, for export to the MTA
    # The Status a soft-deleted domain had: re-creating it must not lift a suspension.
    status_before_delete = peewee.CharField(max_length=20, null=True)

    class Meta:
        indexes = ((("domain", "user"), True),)


class DomainStat(BaseModel):
    domain = peewee.ForeignKeyField(SenderDomain, backref="stats", column_name="domain_id", on_delete="CASCADE")
    day = peewee.DateField()
    sent = peewee.BigIntegerField(default=0)
    delivered = peewee.BigIntegerField(null=True)  # None: delivery events not recorded
    bounced = peewee.BigIntegerField(default=0)
    complaints = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("domain", "day"), True),)


class CacheEntry(BaseModel):
    """The in-database cache backend (probe results, DNS hosts)."""

    key = peewee.CharField(max_length=255, primary_key=True)
    value = peewee.TextField()
    expires_at = peewee.DoubleField(index=True)


class RateEvent(BaseModel):
    """One counted request in a sliding rate-limit window (database backend)."""

    key = peewee.CharField(max_length=128)
    at = peewee.DoubleField()

    class Meta:
        indexes = ((("key", "at"), False),)


class ImportedFile(BaseModel):
    """A stats file imported before schema version 3, by the SHA-256 of its whole content.

    No new rows are written (``ImportCursor`` took over); importers still consult these so a
    file imported before the upgrade is not counted again, and one that grew since adds only
    what follows the size it had then."""

    digest = peewee.CharField(max_length=64, unique=True)  # sha256 hex of the (decompressed) bytes
    kind = peewee.CharField(max_length=16)  # "pmta" | "csv"
    name = peewee.CharField(max_length=255)  # the file's base name, for messages
    size = peewee.BigIntegerField()
    rows_read = peewee.BigIntegerField(default=0)
    rows_imported = peewee.BigIntegerField(default=0)
    imported_at = peewee.DateTimeField()


class ImportCursor(BaseModel):
    """How far one log file has been counted.

    A file is known by its content, not its name: the SHA-256 of its first block (so a renamed
    or gzipped copy is the same file), and ``offset``, the end of the last complete record
    counted. The next import reads from there; ``tail_digest`` (the bytes just before
    ``offset``) tells a file that changed behind the cursor from one that only grew."""

    kind = peewee.CharField(max_length=16)  # "pmta" | "csv"
    name = peewee.CharField(max_length=255)  # the base name it was last read under, for messages
    head_digest = peewee.CharField(max_length=64, unique=True)  # sha256 hex of the first head_len bytes
    head_len = peewee.IntegerField()  # a full block, or all that was counted of a shorter file
    offset = peewee.BigIntegerField()  # bytes (decompressed) counted: the end of the last complete record
    lines = peewee.BigIntegerField(default=0)  # lines before offset, so line numbers in messages continue
    tail_digest = peewee.CharField(max_length=64)  # sha256 hex of the tail_len bytes before offset
    tail_len = peewee.IntegerField()
    header = JSONField(null=True)  # the header row in force at offset (None: none seen yet)
    rows_read = peewee.BigIntegerField(default=0)
    rows_imported = peewee.BigIntegerField(default=0)
    first_imported_at = peewee.DateTimeField()
    imported_at = peewee.DateTimeField()  # the last import that counted rows from it


class ImportClaim(BaseModel):
    """A file being imported right now: a second import of it waits (or skips) instead of
    reading it twice. A lease: renewed while the import runs, void once ``expires_at`` passed."""

    key = peewee.CharField(max_length=64, primary_key=True)  # sha256 hex of the file's first block
    owner = peewee.CharField(max_length=255)  # host:pid:token of the import holding it
    name = peewee.CharField(max_length=255)  # the file's base name, for messages
    expires_at = peewee.DoubleField()  # Unix time


class SchemaVersion(BaseModel):
    version = peewee.IntegerField()


ALL_MODELS = [User, SenderDomain, DomainStat, CacheEntry, RateEvent, ImportedFile, ImportCursor, ImportClaim]
