"""Shared fixtures: a fresh database per test on every backend (tests/backends.py), a frozen
clock, a fast DKIM key source."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from core.clock import FixedClock
from core.context import build_context
from core.records import generate_dkim_key
from core.settings import Settings
from core import users
from tests.backends import backend_urls, backends_for, pg_server, redis_server  # noqa: F401 (fixtures)

FROZEN_NOW = dt.datetime(2026, 5, 23, 9, 11, 0)


@functools.lru_cache(maxsize=1)
def shared_dkim_key():
    """One real 2048-bit key for the whole run: generating one per domain costs ~0.1 s."""
    return generate_dkim_key()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FROZEN_NOW)


def pytest_generate_tests(metafunc):
    # Every test that uses `settings` (and so `ctx`) runs on sqlite, postgresql and
    # postgresql+redis; TUI tests and `sqlite_only` ones on sqlite alone.
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends_for(metafunc.definition))


@pytest.fixture
def settings(tmp_path, backend, request) -> Settings:
    with backend_urls(backend, request, tmp_path) as (database, cache_url):
        yield Settings(database=database, cache_url=cache_url, nameservers=["127.0.0.1:1"])


@pytest.fixture
def ctx(settings, clock):
    context = build_context(settings, clock=clock, keygen=shared_dkim_key)
    yield context
    context.close()


@pytest.fixture
def alice(ctx):
    user, key = users.create_user("alice", ctx.clock)
    user.api_key = key
    return user


@pytest.fixture
def bob(ctx):
    user, key = users.create_user("bob", ctx.clock)
    user.api_key = key
    return user
