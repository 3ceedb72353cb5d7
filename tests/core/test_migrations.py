"""Schema versions: a new database is migrated to the latest version, reopening is a no-op,
and a database from a newer senderdeck is refused rather than damaged."""

from __future__ import annotations

import peewee
import pytest

from core import db, migrations
from core.errors import SettingsError
from core.models import SchemaVersion, User


def test_new_database_reaches_latest_and_reopen_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    database = db.connect(url)
    assert migrations.current_version(database) == migrations.LATEST
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    database.close()
    database = db.connect(url)
    assert SchemaVersion.select().count() == migrations.LATEST
    database.close()


def test_migrations_apply_in_order_from_an_older_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    database = db.open_database(url)
    db.database.initialize(database)
    database.create_tables([SchemaVersion])
    migrations.MIGRATIONS[0](database)
    SchemaVersion.create(version=1)
    assert migrations.migrate(database) == migrations.LATEST
    assert User.table_exists()
    database.close()


def test_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    database = db.connect(url)
    SchemaVersion.create(version=migrations.LATEST + 1)
    database.close()
    with pytest.raises(SettingsError, match="newer than this senderdeck"):
        db.connect(url)


def test_unreachable_database_is_a_settings_error(tmp_path):
    with pytest.raises(SettingsError):
        db.connect("postgresql://nobody:pw@127.0.0.1:1/none")
    with pytest.raises(SettingsError):
        db.connect("bogus://x")
