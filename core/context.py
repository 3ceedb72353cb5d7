"""Wires the engine together from Settings: database, cache, rate limits, service, API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import peewee

from core import db as dbmod
from core import migrations
from core.api import Api
from core.cache import Cache, RateLimiter, build_cache
from core.clock import Clock, SystemClock
from core.events import Hooks
from core.records import DkimKey, generate_dkim_key
from core.service import SenderDomainService
from core.settings import Settings


@dataclass
class Context:
    settings: Settings
    database: peewee.Database
    clock: Clock
    cache: Cache
    limiter: RateLimiter
    hooks: Hooks
    service: SenderDomainService
    api: Api

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()


def build_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    keygen: Callable[[], DkimKey] = generate_dkim_key,
) -> Context:
    clock = clock or SystemClock()
    database = dbmod.connect(settings.database)
    try:
        migrations.migrate(database)
    except peewee.DatabaseError as exc:  # e.g. a damaged file, or the server went away
        database.close()
        raise dbmod.database_error(settings.database, exc) from None
    cache, limiter = build_cache(settings.cache_url, clock)
    hooks = Hooks()
    service = SenderDomainService(settings, clock, cache, limiter, hooks, keygen=keygen)
    return Context(settings, database, clock, cache, limiter, hooks, service, Api(service))
