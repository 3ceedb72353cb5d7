"""What every part of the sender-domain service shares: its collaborators (settings, clock,
cache, rate limiter, hooks, key generator), the ownership read each command on one domain
starts with, and the DNS record template for a domain's options.

``SenderDomainService`` (core/service.py) is this base with its parts mixed in
(core/verifying.py, core/sendtest.py); they read each other only through what is here.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Mapping

from core import records as templates
from core.cache import Cache, RateLimiter
from core.clock import Clock
from core.db import for_update
from core.errors import not_found
from core.events import Hooks
from core.listing import live_domains
from core.models import STATUS_DELETED, SenderDomain, User
from core.prepared import Prepared, slot
from core.settings import Settings

# Every command on one domain reads it first: compiled once (core/prepared.py).
_OWNED = Prepared(
    lambda: SenderDomain.select()
    .where((SenderDomain.id == slot("id")) & (SenderDomain.user == slot("user")) & (SenderDomain.status != STATUS_DELETED))
    .limit(1)
)


class ServiceBase:
    """The collaborators and the reads that the service and its mixed-in parts all use."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        cache: Cache,
        limiter: RateLimiter,
        hooks: Hooks | None = None,
        keygen: Callable[[], templates.DkimKey] = templates.generate_dkim_key,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.cache = cache
        self.limiter = limiter
        self.hooks = hooks or Hooks()
        self.keygen = keygen

    def _owned(self, user: User, domain_id: int, *, lock: bool = False) -> SenderDomain:
        """The caller's live domain, or code 2 (the same answer for someone else's domain).

        ``lock`` (inside a write transaction) holds the row until commit on PostgreSQL; SQLite's
        IMMEDIATE transaction already holds the whole database.
        """
        if lock:
            query = SenderDomain.select().where(
                (SenderDomain.id == domain_id)
                & (SenderDomain.user == user.id)
                & (SenderDomain.status != STATUS_DELETED)
            )
            row = for_update(query).first()
        else:
            row = _OWNED.first(SenderDomain, id=domain_id, user=user.id)
        if row is None:
            raise not_found()
        return row

    def _live_rows(self, user: User):
        return SenderDomain.select().where(live_domains(user))

    def today(self) -> dt.date:
        return self.clock.now().date()
    def _template(self, domain: str, options: Mapping, row: SenderDomain | None = None, key: templates.DkimKey | None = None) -> dict:
        return templates.build_records(
            domain,
            options,
            self.settings.platform,
            dkim_selector=row.dkim_selector if row else self.settings.platform.dkim_selector,
            dkim_public_b64=row.dkim_public_key if row else key.public_b64,
            default_subdomain=self.settings.mfrom_subdomain,
            default_prefix=self.settings.track_prefix,
        )
