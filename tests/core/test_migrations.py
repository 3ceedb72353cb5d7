"""Schema versions: a new database is migrated to the latest version, reopening is a no-op,
and a database from a newer senderdeck is refused rather than damaged."""

from __future__ import annotations

import peewee
import pytest

from core import db, migrations
from core.errors import BackendUnavailable, SettingsError
from core.models import SchemaVersion, User


def connect_migrated(url: str):
    """Connect and migrate, as ``core.context.build_context`` does."""
    database = db.connect(url)
    migrations.migrate(database)
    return database


def test_new_database_reaches_latest_and_reopen_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    database = connect_migrated(url)
    assert migrations.current_version(database) == migrations.LATEST
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    database.close()
    database = connect_migrated(url)
    assert SchemaVersion.select().count() == migrations.LATEST
    database.close()


def version_1_database(url: str):
    """A database as the first release left it: migration 1 applied, nothing after."""
    database = db.open_database(url)
    db.database.initialize(database)
    database.create_tables([SchemaVersion])
    migrations.MIGRATIONS[0](database)
    SchemaVersion.create(version=1)
    return database


def test_migrations_apply_in_order_from_an_older_version(tmp_path):
    database = version_1_database(f"sqlite:///{tmp_path / 'old.db'}")
    assert migrations.migrate(database) == migrations.LATEST
    assert User.table_exists()
    database.close()


def test_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    database = connect_migrated(url)
    SchemaVersion.create(version=migrations.LATEST + 1)
    database.close()
    with pytest.raises(SettingsError, match="newer than this senderdeck"):
        connect_migrated(url)


def test_an_unreachable_server_is_unavailable_and_a_bad_url_a_settings_error(tmp_path):
    with pytest.raises(BackendUnavailable, match="try again"):
        db.connect("postgresql://nobody:pw@127.0.0.1:1/none")
    with pytest.raises(SettingsError, match="unsupported"):
        db.connect("bogus://x")


def test_the_schema_marker_table_is_the_one_the_file_check_looks_for():
    from core import sqlitefile

    assert SchemaVersion._meta.table_name == sqlitefile.SCHEMA_TABLE


def _columns(database, table):
    return sorted((c.name, c.data_type.lower(), c.null, c.primary_key) for c in database.get_columns(table))


def _indexes(database, table):
    return sorted((tuple(i.columns), i.unique) for i in database.get_indexes(table))


def test_migrated_schema_matches_the_models(tmp_path):
    """A model changed without a migration (or a migration that drifted) fails here."""
    from core.models import ALL_MODELS

    migrated = connect_migrated(f"sqlite:///{tmp_path / 'migrated.db'}")
    fresh = db.open_database(f"sqlite:///{tmp_path / 'models.db'}")
    with fresh.bind_ctx(ALL_MODELS):
        fresh.create_tables(ALL_MODELS)
    for model in ALL_MODELS:
        table = model._meta.table_name
        assert _columns(migrated, table) == _columns(fresh, table), table
        model_indexes = _indexes(fresh, table)
        assert set(model_indexes) <= set(_indexes(migrated, table)), table
    migrated.close()
    fresh.close()


def test_a_version_1_database_with_data_is_carried_forward(tmp_path):
    """A database left at version 1 (as the first release wrote it) keeps its rows."""
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    database = version_1_database(url)
    database.execute_sql(
        "INSERT INTO user (name, api_key_hash, permissions, created_at) VALUES ('old', 'h', '[\"User.Update\"]', '2026-01-01 00:00:00')"
    )
    database.close()
    database = connect_migrated(url)
    assert migrations.current_version(database) == migrations.LATEST
    assert [u.name for u in User.select()] == ["old"] and User.get().can("User.Update")
    database.close()


def test_files_imported_before_version_3_are_kept_for_the_importers(tmp_path):
    """Migration 3 adds import cursors and claims beside imported_file, whose rows stay."""
    from core.models import ImportClaim, ImportCursor, ImportedFile

    database = version_1_database(f"sqlite:///{tmp_path / 'v2.db'}")
    migrations.MIGRATIONS[1](database)
    SchemaVersion.create(version=2)
    database.execute_sql(
        "INSERT INTO imported_file (digest, kind, name, size, rows_read, rows_imported, imported_at)"
        " VALUES ('ab', 'pmta', 'acct-old.csv', 10, 1, 1, '2026-01-01 00:00:00')"
    )
    assert migrations.migrate(database) == migrations.LATEST
    assert [(f.name, f.size) for f in ImportedFile.select()] == [("acct-old.csv", 10)]
    assert ImportCursor.select().count() == 0 and ImportClaim.select().count() == 0
    database.close()


def test_a_database_holding_another_programs_tables_is_refused_on_every_backend(settings):
    """Issue 11.11: never add senderdeck's tables to a non-empty database that is not senderdeck's."""
    from core.context import build_context

    database = db.open_database(settings.database)
    database.connect()
    with database.atomic():
        database.execute_sql("CREATE TABLE invoice (id INTEGER, total INTEGER)")
        database.execute_sql("INSERT INTO invoice (id, total) VALUES (1, 42)")
    with pytest.raises(SettingsError, match=r"not senderdeck's \(invoice\)"):
        build_context(settings)
    assert migrations._tables(database) == ["invoice"]
    assert database.execute_sql("SELECT total FROM invoice").fetchone()[0] == 42
    database.close()
