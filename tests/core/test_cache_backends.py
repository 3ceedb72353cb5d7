"""The cache and rate-limit backends, for real: the database (SQLite, PostgreSQL) and Redis."""

from __future__ import annotations

import peewee
import pytest

from core.cache import DatabaseCache, DatabaseRateLimiter, RedisCache, RedisRateLimiter, build_cache
from core.errors import SettingsError
from core.models import CacheEntry, RateEvent
from tests.core.hammer import rate_hits, run_workers


def test_the_configured_backends_are_in_use(ctx, backend):
    if backend == "sqlite":
        assert isinstance(ctx.database, peewee.SqliteDatabase)
    else:
        assert isinstance(ctx.database, peewee.PostgresqlDatabase)
        assert ctx.database.execute_sql("SELECT current_schema()").fetchone()[0].startswith("t")
    ctx.cache.set("probe:1", {"ok": True}, 60)
    ctx.limiter.hit("api:1", 5, 60)
    if backend.endswith("+redis"):
        assert isinstance(ctx.cache, RedisCache) and isinstance(ctx.limiter, RedisRateLimiter)
        assert ctx.cache.redis.exists("senderdeck:probe:1") and ctx.cache.redis.exists("senderdeck:rate:api:1")
        assert CacheEntry.select().count() == 0 and RateEvent.select().count() == 0
    else:
        assert isinstance(ctx.cache, DatabaseCache) and isinstance(ctx.limiter, DatabaseRateLimiter)
        assert CacheEntry.select().count() == 1 and RateEvent.select().count() == 1


def test_cache_round_trip_overwrite_delete(ctx):
    value = {"Checks": {"sl.example.com": {"State": "matched", "Found": ["ü", 1, None, True]}}}
    ctx.cache.set("probe:7", value, 60)
    assert ctx.cache.get("probe:7") == value
    ctx.cache.set("probe:7", [1, 2], 60)
    assert ctx.cache.get("probe:7") == [1, 2]
    ctx.cache.set("probe:8", "x", 60)
    ctx.cache.delete("probe:7", "probe:404")
    assert ctx.cache.get("probe:7") is None
    assert ctx.cache.get("probe:8") == "x"
    ctx.cache.delete()  # nothing to delete is fine
    assert ctx.cache.get("never-set") is None


def test_cache_entries_expire_by_the_injected_clock(ctx, clock):
    ctx.cache.set("dnshost:example.com", {"DnsHost": "Cloudflare"}, 3600)
    clock.advance(3599)
    assert ctx.cache.get("dnshost:example.com") == {"DnsHost": "Cloudflare"}
    clock.advance(1)
    assert ctx.cache.get("dnshost:example.com") is None


def test_rate_limit_is_a_sliding_window(ctx, clock):
    for _ in range(3):
        assert ctx.limiter.hit("sendtest:1", 3, 300) is None
        clock.advance(100)
    # Hits at t=0, 100, 200; now t=300: the first has just left the window.
    assert ctx.limiter.hit("sendtest:1", 3, 300) is None
    wait = ctx.limiter.hit("sendtest:1", 3, 300)
    assert wait == pytest.approx(100, abs=0.01)  # the t=100 hit leaves at t=400
    assert ctx.limiter.hit("sendtest:2", 3, 300) is None  # keys are separate
    clock.advance(100)
    assert ctx.limiter.hit("sendtest:1", 3, 300) is None
    # A refused hit is not counted: the window still holds exactly three.
    assert ctx.limiter.hit("sendtest:1", 3, 300) is not None


def test_rate_limit_is_exact_across_processes(ctx, backend):
    """Four processes race 15 hits each at a limit of 20: exactly 20 are allowed."""
    jobs = [(ctx.settings.database, ctx.settings.cache_url, "race", 15, 20) for _ in range(4)]
    allowed = run_workers(rate_hits, jobs)
    assert sum(allowed) == 20, allowed


def test_cache_url_must_be_redis():
    from core.clock import SystemClock

    with pytest.raises(SettingsError, match="expected redis://"):
        build_cache("memcached://127.0.0.1:11211", SystemClock())


@pytest.mark.sqlite_only
def test_unreachable_redis_is_a_coded_503_not_a_crash(tmp_path, clock):
    from core.context import build_context
    from core.settings import Settings
    from core.users import create_user
    from tests.backends import free_port

    settings = Settings(database=f"sqlite:///{tmp_path / 'r.db'}", cache_url=f"redis://127.0.0.1:{free_port()}/0")
    ctx = build_context(settings, clock=clock)
    try:
        _, key = create_user("alice", clock)
        status, body = ctx.api.dispatch({"Command": "user.senderdomain.list", "APIKey": key})
    finally:
        ctx.close()
    assert status == 503
    [error] = body["Errors"]
    assert error["Code"] == 17 and "Redis" in error["Message"]
