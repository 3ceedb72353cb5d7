"""Short-lived shared state behind one small interface: the probe and DNS-host caches and
the rate-limit windows.

The database backends are the embedded default, so two ``senderdeck`` processes in a row
(or on two hosts sharing PostgreSQL) see the same state; ``cache_url = "redis://…"`` moves
all of it to Redis.
"""

from __future__ import annotations

import json
import random
from typing import Any, Protocol

import peewee

from core.clock import Clock
from core.db import database, is_sqlite, require_driver, retry_locked, write_transaction
from core.errors import SettingsError
from core.models import CacheEntry, RateEvent
from core.prepared import Prepared, slot
from core.redaction import redact_url


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: float) -> None: ...
    def delete(self, *keys: str) -> None: ...


class RateLimiter(Protocol):
    def hit(self, key: str, limit: int, window: float) -> float | None:
        """Count one request; None when allowed, else seconds until one is allowed again."""


class DatabaseCache:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def get(self, key: str) -> Any | None:
        row = (
            CacheEntry.select(CacheEntry.value)
            .where((CacheEntry.key == key) & (CacheEntry.expires_at > self.clock.monotonic()))
            .tuples()
            .first()
        )
        return json.loads(row[0]) if row else None

    def set(self, key: str, value: Any, ttl: float) -> None:
        now = self.clock.monotonic()
        payload = json.dumps(value, ensure_ascii=False)

        def write() -> None:
            with database.atomic():
                CacheEntry.insert(key=key, value=payload, expires_at=now + ttl).on_conflict(
                    conflict_target=[CacheEntry.key],
                    update={CacheEntry.value: payload, CacheEntry.expires_at: now + ttl},
                ).execute()
                if random.random() < 0.05:  # purge now and then, not on every write
                    CacheEntry.delete().where(CacheEntry.expires_at <= now).execute()

        retry_locked(write)

    def delete(self, *keys: str) -> None:
        if keys:
            retry_locked(lambda: CacheEntry.delete().where(CacheEntry.key.in_(list(keys))).execute())


# Every API request is counted: one statement admits it — inserts its event only while fewer
# than ``limit`` events of the key lie inside the window — compiled once (core/prepared.py).
_IN_WINDOW = (RateEvent.key == slot("key")) & (RateEvent.at > slot("since"))
_ADMIT = Prepared(
    lambda: RateEvent.insert_from(
        peewee.Select(columns=[slot("key"), slot("at")]).where(
            RateEvent.select(peewee.fn.COUNT(RateEvent.id)).where(_IN_WINDOW) < slot("limit")
        ),
        [RateEvent.key, RateEvent.at],
    )
)
_OLDEST = Prepared(lambda: RateEvent.select(peewee.fn.MIN(RateEvent.at)).where(_IN_WINDOW))
_EXPIRE = Prepared(lambda: RateEvent.delete().where((RateEvent.key == slot("key")) & (RateEvent.at <= slot("since"))))
PURGE_EVERY = 16  # admitted requests, on average, between removals of a key's expired events


class DatabaseRateLimiter:
    """A sliding-window log in the database: exact, and shared by every process."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def hit(self, key: str, limit: int, window: float) -> float | None:
        def attempt() -> float | None:
            now = self.clock.monotonic()
            since = now - window
            with write_transaction():  # SQLite: the write lock up front, so count and insert are one step
                if not is_sqlite():
                    # Serialise the count-then-insert per key across PostgreSQL sessions.
                    database.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
                admitted = _ADMIT.execute(key=key, at=now, since=since, limit=limit).rowcount == 1
                if admitted and random.randrange(PURGE_EVERY):
                    return None
                # Events out of the window only take room: removed when refusing, and now and then.
                _EXPIRE.execute(key=key, since=since)
                if admitted:
                    return None
                oldest = _OLDEST.execute(key=key, since=since).fetchone()[0]
                return max(0.0, oldest + window - now) if oldest is not None else 0.0

        return retry_locked(attempt)


_RATE_SCRIPT = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return false
"""


class RedisCache:
    """Entries expire by Redis's own TTL and also by the injected clock (stored with the
    value), so a frozen or advanced test clock means the same on Redis as in the database."""

    def __init__(self, url: str, clock: Clock | None = None, prefix: str = "senderdeck:") -> None:
        require_driver("redis", "Redis", "redis", f"cache_url {redact_url(url)}")
        import redis  # the optional `redis` extra: only needed when cache_url names Redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.clock = clock
        self.prefix = prefix

    def get(self, key: str) -> Any | None:
        raw = self.redis.get(self.prefix + key)
        if raw is None:
            return None
        entry = json.loads(raw)
        if not isinstance(entry, dict) or "v" not in entry:
            return None
        if self.clock is not None and entry.get("exp") is not None and entry["exp"] <= self.clock.monotonic():
            return None
        return entry["v"]

    def set(self, key: str, value: Any, ttl: float) -> None:
        expires = self.clock.monotonic() + ttl if self.clock is not None else None
        payload = json.dumps({"v": value, "exp": expires}, ensure_ascii=False)
        self.redis.set(self.prefix + key, payload, px=max(1, int(ttl * 1000)))

    def delete(self, *keys: str) -> None:
        if keys:
            self.redis.delete(*(self.prefix + k for k in keys))


class RedisRateLimiter:
    def __init__(self, cache: RedisCache, clock: Clock) -> None:
        self.cache = cache
        self.clock = clock
        self._script = cache.redis.register_script(_RATE_SCRIPT)

    def hit(self, key: str, limit: int, window: float) -> float | None:
        now = self.clock.monotonic()
        member = f"{now:.6f}:{random.random():.12f}"
        result = self._script(keys=[self.cache.prefix + "rate:" + key], args=[now, window, limit, member])
        return None if result is None else max(0.0, float(result))


def build_cache(cache_url: str, clock: Clock) -> tuple[Cache, RateLimiter]:
    """The cache and rate limiter for the settings' ``cache_url`` (empty: the database)."""
    if cache_url:
        if not cache_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(f"cache_url {redact_url(cache_url)!r}: expected redis://HOST:PORT/DB or empty for the database")
        cache = RedisCache(cache_url, clock)
        return cache, RedisRateLimiter(cache, clock)
    return DatabaseCache(clock), DatabaseRateLimiter(clock)
