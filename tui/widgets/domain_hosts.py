"""The DNS host column's lookups, for the rows on screen only, when they are painted.

``HostLookups`` belongs to a ``DomainTable``: a row painted before its host is known is asked
for once; the engine's one-hour DNS-host cache is read first (a thread worker), then the
rows the cache does not know are detected in one async worker, at most
``HOST_LOOKUPS_AT_ONCE`` at a time, each answer filling its cell as it arrives. A row that
scrolls away before its turn is skipped (and asked for again when painted); answers asked for
before ``forget`` (a refresh) are dropped. Any failure is shown as no answer: the column is
a nice-to-have.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from tui.widgets.domain_table import DomainTable

HOST_LOOKUPS_AT_ONCE = 8


@dataclass(frozen=True)
class HostSource:
    """Where the answers come from: ``cached`` (blocking, run in a thread) reads the cache
    for domain ids and never looks anything up (None: not cached); ``detect`` looks one
    domain's host up (None: no answer)."""

    cached: Callable[[list[int]], dict[int, str | None]]
    detect: Callable[[int], Awaitable[str | None]]

    @classmethod
    def of_app(cls, app: Any) -> "HostSource":
        """The app's service, acting as the app's user."""

        def cached(domain_ids: list[int]) -> dict[int, str | None]:
            with app.ctx.database.connection_context():
                return app.acting.cached_dns_hosts(domain_ids)

        async def detect(domain_id: int) -> str | None:
            found = await app.acting.detect_dns_host(domain_id)
            # No nameservers found: no answer ("—"). Nameservers of no known provider keep
            # the engine's "unknown" label, as the detail screen shows them.
            return found.dns_host if found.nameservers else None

        return cls(cached, detect)


@dataclass
class HostsLoaded(Message, bubble=False):
    """DNS hosts asked for in ``generation`` (an older generation's are dropped)."""

    generation: int
    hosts: dict[int, str | None]  # None: looked up, no answer
    missing: list[int] = field(default_factory=list)  # not in the cache: detect them


class HostLookups:
    def __init__(self, table: DomainTable, source: HostSource) -> None:
        self.table = table
        self.source = source
        self.generation = 0  # bumped by forget: answers asked for before are stale
        self._requested: set[int] = set()  # asked for, not forgotten since
        self._wanted: set[int] = set()  # to ask for at the next request
        self._request_pending = False
        self._queue: dict[int, int] = {}  # domain id -> generation, oldest first: to detect
        self._detecting = False  # a detect worker is running (it clears this itself)
        self._run = 0  # which detect worker is the current one

    def painted(self, domain_id: int) -> None:
        """A row was painted without a host: ask for it (once, batched with its neighbours)."""
        if domain_id in self._requested:
            return
        self._requested.add(domain_id)
        self._wanted.add(domain_id)
        if not self._request_pending:
            self._request_pending = True
            self.table.call_later(self._request)

    def keep_only(self, domain_ids: set[int]) -> None:
        """The rows were replaced: forget requests for domains no longer listed."""
        self._requested &= domain_ids

    def again(self, domain_id: int) -> None:
        """Ask for this row again the next time it is painted."""
        self._requested.discard(domain_id)

    def forget(self) -> None:
        """Drop every request and every answer still out; rows are asked for again when painted."""
        self.table.workers.cancel_group(self.table, "list-dnshost")
        self.generation += 1
        self._requested.clear()
        self._queue.clear()
        self._run += 1
        self._detecting = False

    def _request(self) -> None:
        self._request_pending = False
        wanted = sorted(domain_id for domain_id in self._wanted if self.table.get_row(domain_id) is not None)
        self._wanted = set()
        if wanted:
            self.table.run_worker(
                partial(self._read_cache, wanted, self.generation), thread=True, group="list-hosts", exit_on_error=False
            )

    def _read_cache(self, domain_ids: list[int], generation: int) -> None:
        try:
            cached = self.source.cached(domain_ids)
        except Exception:  # the cache or the database hiccupped: look them up instead
            cached = {}
        hosts = {domain_id: host for domain_id, host in cached.items() if host is not None}
        missing = [domain_id for domain_id in domain_ids if domain_id not in hosts]
        self.table.post_message(HostsLoaded(generation, hosts, missing))

    def loaded(self, message: HostsLoaded) -> None:
        """Answers (from the cache or a lookup): fill the cells, queue the ones to detect."""
        if message.generation != self.generation:
            return  # asked for before a refresh
        if message.hosts:
            self.table.set_hosts(message.hosts)
        for domain_id in message.missing:
            self._queue[domain_id] = message.generation
        if self._queue and not self._detecting:
            self._detecting = True
            self._run += 1
            self.table.run_worker(self._detect_queued(self._run), group="list-dnshost", exclusive=True, exit_on_error=False)

    async def _detect_queued(self, run: int) -> None:
        """Detect the queued rows' hosts, ``HOST_LOOKUPS_AT_ONCE`` at a time, until the queue
        is empty (``loaded`` adds to it meanwhile)."""
        table = self.table
        running: set[asyncio.Task] = set()
        try:
            while True:
                if self._queue and len(running) < HOST_LOOKUPS_AT_ONCE:
                    visible = table.visible_ids()
                    while self._queue and len(running) < HOST_LOOKUPS_AT_ONCE:
                        domain_id = next(iter(self._queue))
                        generation = self._queue.pop(domain_id)
                        if generation != self.generation:
                            continue
                        if domain_id not in visible:
                            self.again(domain_id)  # scrolled away: asked for when painted again
                            continue
                        running.add(asyncio.create_task(self._detect(domain_id, generation)))
                if not running:
                    break  # nothing in flight and nothing queued (no await since the check)
                _done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if run == self._run:  # not replaced by a newer one (after a refresh)
                self._detecting = False
            for task in running:
                task.cancel()

    async def _detect(self, domain_id: int, generation: int) -> None:
        try:
            host = await self.source.detect(domain_id)
        except Exception:  # a nice-to-have column: any failure is shown as no answer
            host = None
        self.table.post_message(HostsLoaded(generation, {domain_id: host}))
