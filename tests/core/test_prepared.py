"""Prepared queries: built once per database and shape, run with each call's values, rows
converted as peewee converts them."""

from __future__ import annotations

import datetime as dt

from core import db as dbmod
from core import users
from core.context import build_context
from core.models import SenderDomain, User
from core.prepared import Prepared, slot
from core.settings import Settings
from tests.conftest import shared_dkim_key


def test_built_once_and_run_with_each_calls_values(ctx, alice, bob):
    builds = []

    def build(limit):
        builds.append(limit)
        return User.select().where(User.name == slot("name")).limit(limit)

    by_name = Prepared(build)
    assert by_name.first(User, 1, name="alice").id == alice.id
    assert by_name.first(User, 1, name="bob").id == bob.id
    assert by_name.first(User, 1, name="nobody") is None
    assert builds == [1]  # one shape, compiled once
    by_name.first(User, 2, name="alice")
    assert builds == [1, 2]


def test_rows_convert_like_peewee(ctx, alice):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com", "CustomSubdomain": "em"})
    owned = Prepared(lambda: SenderDomain.select().where(SenderDomain.id == slot("id")).limit(1))
    row = owned.first(SenderDomain, id=view.id)
    expected = SenderDomain.get_by_id(view.id)
    assert row.__data__ == expected.__data__
    assert isinstance(row.created_at, dt.datetime) and row.options["CustomSubdomain"] == "em"
    assert row.user_id == alice.id and not row.dirty_fields


def test_each_database_gets_its_own_compiled_query(tmp_path, ctx, alice):
    by_name = Prepared(lambda: User.select().where(User.name == slot("name")).limit(1))
    assert by_name.first(User, name="alice").id == alice.id
    other = build_context(Settings(database=f"sqlite:///{tmp_path / 'other.db'}"), keygen=shared_dkim_key)
    try:
        users.create_user("carol", other.clock)
        assert by_name.first(User, name="carol") is not None and by_name.first(User, name="alice") is None
    finally:
        other.close()
        dbmod.database.initialize(ctx.database)
    assert by_name.first(User, name="alice").id == alice.id
