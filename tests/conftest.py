"""Shared fixtures: a real SQLite file per test, a frozen clock, a fast DKIM key source."""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from core.clock import FixedClock
from core.context import build_context
from core.records import generate_dkim_key
from core.settings import Settings
from core import users

FROZEN_NOW = dt.datetime(2026, 5, 23, 9, 11, 0)


@functools.lru_cache(maxsize=1)
def shared_dkim_key():
    """One real 2048-bit key for the whole run: generating one per domain costs ~0.1 s."""
    return generate_dkim_key()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FROZEN_NOW)


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database=f"sqlite:///{tmp_path / 'senderdeck.db'}", nameservers=["127.0.0.1:1"])


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
