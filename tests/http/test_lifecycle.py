"""The server as a process: it keeps answering while one request waits on DNS or on a locked
database, finishes in-flight requests on SIGTERM, and says through /healthz whether its
database and Redis answer."""

from __future__ import annotations

import signal
import socket
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core import users
from core.clock import SystemClock
from core.localdns import LocalDNS
from tests.backends import PostgresServer, postgres_bindir, selected_backends
from tests.core.smtp_server import free_port_refusing
from tests.http.conftest import bind, error_code, open_engine

HELD = {"SENDERDECK_DNS_TIMEOUT": "4", "SENDERDECK_DNS_DEADLINE": "4", "SENDERDECK_DNS_RETRIES": "0"}


@pytest.fixture
def held_dns():
    """A resolver that holds every answer back far longer than a verify waits."""
    with LocalDNS(delay=60) as server:
        yield server


def wait_until(predicate, attempts: int = 600) -> None:
    """Poll for an event (a query reaching the DNS server) rather than sleeping a guess."""
    event = threading.Event()
    for _ in range(attempts):
        if predicate():
            return
        event.wait(0.05)
    raise AssertionError("the awaited event did not happen")


def start_verify(pool: ThreadPoolExecutor, server, key: str, domain_id: int):
    return pool.submit(
        httpx.post, server.url("/api/v1/user.senderdomain.verify"), json={"APIKey": key, "DomainID": domain_id},
        timeout=60, trust_env=False,
    )


def test_a_verify_waiting_on_dns_does_not_delay_a_get(start_server, held_dns):
    server = start_server(nameservers=(held_dns.address,), env=HELD)
    engine = bind(open_engine(server))
    try:
        user, key = users.create_user("waiter", SystemClock())
        domain_id = engine.service.create_domain(user, {"SenderDomain": "slow.example"}).id
        with ThreadPoolExecutor(1) as pool:
            verify = start_verify(pool, server, key, domain_id)
            wait_until(lambda: held_dns.in_flight > 0)  # the verify now waits on DNS
            got = httpx.get(server.url("/api/v1/user.senderdomain"), params={"APIKey": key, "DomainID": domain_id}, trust_env=False)
            assert got.status_code == 200 and got.json()["SenderDomain"]["SenderDomain"] == "slow.example"
            assert not verify.done()  # the get came back while the verify was still waiting
            assert verify.result().json()["IsVerified"] is False  # no answer within its deadline
    finally:
        engine.close()
        server.stop()


def test_a_request_waiting_on_a_locked_database_does_not_stall_the_server(start_server):
    server = start_server()
    engine = bind(open_engine(server))
    path = server.database[len("sqlite:///"):]
    try:
        user, key = users.create_user("locked", SystemClock())
        domain_id = engine.service.create_domain(user, {"SenderDomain": "locked.example"}).id
        holder = sqlite3.connect(path, timeout=0, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with ThreadPoolExecutor(1) as pool:
            update = pool.submit(
                httpx.patch, server.url("/api/v1/user.senderdomain"),
                json={"APIKey": key, "DomainID": domain_id, "OpenTracking": False}, timeout=120, trust_env=False,
            )
            try:
                for _ in range(20):  # the server keeps answering while the update waits for the lock
                    assert httpx.get(server.url("/healthz"), timeout=5, trust_env=False).status_code == 200
                assert not update.done()
            finally:
                holder.execute("ROLLBACK")
                holder.close()
            assert update.result().status_code == 200
    finally:
        engine.close()
        server.stop()


def test_sigterm_lets_in_flight_requests_finish(start_server, held_dns):
    server = start_server(nameservers=(held_dns.address,), env=HELD)
    engine = bind(open_engine(server))
    try:
        user, key = users.create_user("stopper", SystemClock())
        domain_id = engine.service.create_domain(user, {"SenderDomain": "stopping.example"}).id
        with ThreadPoolExecutor(1) as pool:
            verify = start_verify(pool, server, key, domain_id)
            wait_until(lambda: held_dns.in_flight > 0)
            server.proc.send_signal(signal.SIGTERM)
            wait_until(lambda: refuses_connections(server.port))  # no new requests once stopping
            response = verify.result()
        assert response.status_code == 200 and response.json()["DomainID"] == domain_id
        # uvicorn exits by re-raising the SIGTERM it handled: a clean stop to systemd.
        assert server.proc.wait(timeout=60) in (0, -signal.SIGTERM)
        assert "Finished server process" in server.stderr() and "Traceback" not in server.stderr()
    finally:
        engine.close()
        server.stop()


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


# ---- /healthz ------------------------------------------------------------------------------


def test_healthz_ok(server):
    response = httpx.get(server.url("/healthz"), trust_env=False)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_and_api_answer_503_when_redis_does_not(start_server, make_user):
    server = start_server(cache_url=f"redis://127.0.0.1:{free_port_refusing()}/0")
    engine = bind(open_engine(server))
    try:
        response = httpx.get(server.url("/healthz"), trust_env=False)
        assert response.status_code == 503 and response.json()["status"] == "unavailable" and response.json()["Errors"][0]["Code"] == 17
        caller = make_user(on=server)
        response = caller.call("list")
        assert (response.status_code, error_code(response)) == (503, 17)
    finally:
        engine.close()
        server.stop()


@pytest.mark.skipif("postgresql" not in selected_backends() or postgres_bindir() is None, reason="PostgreSQL is not selected or not installed")
def test_healthz_follows_the_database_down_and_back(start_server):
    pg = PostgresServer(postgres_bindir()).start()
    server = None
    try:
        server = start_server(pg.url())
        assert httpx.get(server.url("/healthz"), trust_env=False).status_code == 200
        pg._run("pg_ctl", "-D", str(pg.data), "-m", "fast", "-w", "stop")
        down = httpx.get(server.url("/healthz"), timeout=30, trust_env=False)
        assert down.status_code == 503 and down.json()["Errors"][0]["Code"] == 17
        pg._run(
            "pg_ctl", "-D", str(pg.data), "-l", str(pg.log), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -k {pg.root} -p {pg.port} -c fsync=off", "start",
        )
        assert httpx.get(server.url("/healthz"), timeout=30, trust_env=False).status_code == 200
    finally:
        if server is not None:
            server.stop()
        pg.stop()
