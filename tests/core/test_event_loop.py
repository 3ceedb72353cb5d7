"""The event loop never waits on the database or the cache.

The API (and soon the HTTP server) serves many calls on one event loop, and the TUI awaits
the service's async methods on its own: every database statement, connection and Redis
command of an async path must run on a worker thread, so a slow query or a held lock stalls
only the call that needs it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading

import pytest

from core.db import is_sqlite
from tests.core.dnskit import dns_server, publish, settings  # noqa: F401  (fixtures)
from tests.core.smtp_server import LoopbackController, RecordingHandler

SAFETY_RELEASE = 20.0  # s: only when the loop is blocked (the bug) does the timer release the lock


def on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def loop_calls(ctx, monkeypatch):
    """Every database statement, connection and Redis command made on an event loop's thread."""
    seen: list[str] = []
    db = ctx.database

    def spy(name, real):
        def call(*args, **kwargs):
            if on_event_loop():
                seen.append(f"{name}: {str(args[0])[:80] if args else ''}")
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(db, "execute_sql", spy("sql", db.execute_sql))
    monkeypatch.setattr(db, "_connect", spy("connect", db._connect))
    client = getattr(ctx.cache, "redis", None)
    if client is not None:
        monkeypatch.setattr(client, "execute_command", spy("redis", client.execute_command))
    return seen


async def call(ctx, user, **params):
    status, body = await ctx.api.dispatch_async({"APIKey": user.api_key, **params})
    json.dumps(body)
    return status, body


async def test_no_database_or_cache_work_runs_on_the_event_loop(ctx, alice, dns_server, loop_calls):
    relay = LoopbackController(RecordingHandler())
    relay.start()
    try:
        ctx.settings.smtp.host, ctx.settings.smtp.port, ctx.settings.smtp.security = "127.0.0.1", relay.port, "none"
        _, created = await call(ctx, alice, Command="user.senderdomain.create", SenderDomain="example.com")
        domain_id = created["DomainID"]
        publish(dns_server, "example.com", created["SenderDomain"]["VerificationMeta"]["DNSRecords"],
                {"@": [("NS", "ns1.cloudflare.com.")]})
        _, other = await call(ctx, alice, Command="user.senderdomain.create", SenderDomain="pending.example")
        answers = [
            await call(ctx, alice, Command="user.senderdomain.list"),
            await call(ctx, alice, Command="user.senderdomain.get", DomainID=domain_id, days=7),
            await call(ctx, alice, Command="user.senderdomain.update", DomainID=domain_id, LinkTracking=0),
            await call(ctx, alice, Command="user.senderdomain.dns", DomainID=domain_id),
            await call(ctx, alice, Command="user.senderdomain.verify", DomainID=domain_id),
            await call(ctx, alice, Command="user.senderdomain.verify", verifyall=True),
            await call(ctx, alice, Command="user.senderdomain.dnshost", DomainID=domain_id),
            await call(ctx, alice, Command="user.senderdomain.sendtest", DomainID=domain_id, to="ops@example.net"),
            await call(ctx, alice, Command="user.senderdomain.delete", DomainID=other["DomainID"]),
        ]
        assert [status for status, _ in answers] == [200] * len(answers), answers
        # The TUI awaits the service directly, without the API around it.
        assert (await ctx.service.verify_domain(alice, domain_id)).is_verified
        await ctx.service.verify_pending(alice)
        assert [bulk async for bulk in ctx.service.verify_all_pending(alice)]
        assert (await ctx.service.detect_dns_host(alice, domain_id)).dns_host == "Cloudflare"
        await ctx.service.send_test(alice, domain_id, "ops@example.net")
    finally:
        relay.stop()
    assert len(relay.handler.messages) == 2
    assert loop_calls == []


class DatabaseLock:
    """The database's write lock (SQLite) or its tables (PostgreSQL), held by another
    connection, as another process would; released by ``release()`` or, if nothing on the
    loop gets to do that, by a safety timer."""

    def __init__(self, ctx) -> None:
        self._mutex = threading.Lock()
        self.released_by: str | None = None
        if is_sqlite(ctx.database):
            self.conn = sqlite3.connect(ctx.database.database, isolation_level=None, check_same_thread=False)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg2

            self.conn = psycopg2.connect(dbname=ctx.database.database, **ctx.database.connect_params)
            with self.conn.cursor() as cur:  # a transaction: the locks last until commit
                cur.execute('LOCK TABLE "user", sender_domain, rate_event, cache_entry IN ACCESS EXCLUSIVE MODE')
        self._timer = threading.Timer(SAFETY_RELEASE, self.release, args=("timer",))
        self._timer.start()

    def release(self, by: str = "loop") -> None:
        with self._mutex:
            if self.released_by is None:
                self.released_by = by
                self.conn.rollback()
                self.conn.close()
        self._timer.cancel()


async def test_a_call_waiting_for_a_database_lock_leaves_the_loop_free(ctx, alice):
    domain_id = ctx.service.create_domain(alice, {"SenderDomain": "example.com"}).id
    lock = DatabaseLock(ctx)
    try:
        waiting = asyncio.create_task(call(ctx, alice, Command="user.senderdomain.get", DomainID=domain_id))
        await asyncio.sleep(0)  # the call starts and reaches the database, which is locked
        assert not waiting.done()
        lock.release()  # this coroutine ran while the call waited: the loop was free
    finally:
        lock.release("test end")
    status, body = await waiting
    assert status == 200 and body["SenderDomain"]["SenderDomain"] == "example.com"
    assert lock.released_by == "loop"


async def test_a_get_answers_while_a_verify_waits_for_dns(ctx, alice, dns_server):
    domain_id = ctx.service.create_domain(alice, {"SenderDomain": "example.com"}).id
    records = ctx.service.dns_records(alice, domain_id).verification_meta["DNSRecords"]
    publish(dns_server, "example.com", records)
    dns_server.hold()
    try:
        verifying = asyncio.create_task(call(ctx, alice, Command="user.senderdomain.verify", DomainID=domain_id))
        assert await asyncio.to_thread(dns_server.wait_for_queries, 1)  # the verify is waiting for DNS
        status, body = await call(ctx, alice, Command="user.senderdomain.get", DomainID=domain_id)
        assert status == 200 and body["SenderDomain"]["Status"] == "Approval Pending"
        assert not verifying.done()
    finally:
        dns_server.release()
    status, body = await verifying
    assert status == 200 and body["IsVerified"] is True and body["Status"] == "Enabled"


@pytest.mark.backends("postgresql")
async def test_off_loop_threads_keep_their_connections_and_drop_a_broken_one(settings, clock, pg_server):
    """Off-loop calls reuse their thread's connection (one per executor thread, not one per
    call); a connection the server dropped fails one call at most (code 17), then its thread
    connects afresh."""
    from core.context import build_context
    from core.db import off_loop
    from tests.conftest import shared_dkim_key
    from core import users

    ctx = build_context(settings, clock=clock, keygen=shared_dkim_key)
    try:
        alice, key = users.create_user("alice", clock)
        domain_id = ctx.service.create_domain(alice, {"SenderDomain": "example.com"}).id

        def backend_pid() -> int:
            return ctx.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]

        pids = {await off_loop(backend_pid) for _ in range(40)}
        assert 1 <= len(pids) <= 8  # the executor's few threads, each with its own connection

        with pg_server.admin.cursor() as cur:
            for pid in pids:
                cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
        get = {"APIKey": key, "Command": "user.senderdomain.get", "DomainID": domain_id}
        statuses = [(await ctx.api.dispatch_async(get))[0] for _ in range(30)]
        assert set(statuses) <= {200, 503}
        assert statuses.count(503) <= len(pids)  # each dropped connection fails one call at most
        assert statuses.count(200) >= len(statuses) - len(pids)
        assert not pids & {await off_loop(backend_pid) for _ in range(20)}  # new connections
    finally:
        ctx.close()
