"""Several workers and several hosts share one budget and one probe cache, through PostgreSQL
and Redis (or PostgreSQL alone): the limit of 100 requests per 60 s holds however the
requests are spread, and a probe made by one worker answers the others."""

from __future__ import annotations

import os
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from core import users
from core.clock import SystemClock
from core.localdns import records_zone
from core.models import SenderDomain
from tests.backends import selected_backends
from tests.http.conftest import bind, error_code, open_engine

LIST = "/api/v1/user.senderdomains"
ACCESS_LINE = re.compile(r"\[(\d+)\] [\d.:]+ - \"(\w+) (\S+) HTTP/1.1\" (\d{3})")


def needs(backend: str):
    return pytest.mark.skipif(backend not in selected_backends(), reason=f"SDTEST_BACKENDS leaves out {backend}")


@pytest.fixture
def pg_schema(pg_server):
    schema = pg_server.new_schema()
    yield pg_server.url(schema)
    pg_server.drop_schema(schema)


def fan_out(urls: list[str], key: str, clients: int = 16) -> list[httpx.Response]:
    """Each request from its own client on its own connection, ``clients`` at a time."""

    def one(url: str) -> httpx.Response:
        with httpx.Client(trust_env=False, timeout=60) as client:
            return client.get(url, headers={"Authorization": f"Bearer {key}"})

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, urls))


def served_by(server, path_prefix: str) -> Counter:
    """Access-log lines per worker process ID for requests to ``path_prefix``."""
    return Counter(m.group(1) for m in ACCESS_LINE.finditer(server.stdout()) if m.group(3).startswith(path_prefix))


@needs("postgresql+redis")
def test_two_workers_on_postgresql_and_redis_allow_exactly_100(start_server, pg_schema, redis_server):
    redis_server.flush()
    server = start_server(pg_schema, cache_url=redis_server.url, workers=2)
    engine = bind(open_engine(server))
    try:
        _, key = users.create_user("burst", SystemClock())
        responses = fan_out([server.url(LIST)] * 105, key)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 100, 429: 5}
        for response in responses:
            if response.status_code == 429:
                assert error_code(response) == 14 and int(response.headers["retry-after"]) > 0
        # Both workers answered part of the burst: the limit held across processes.
        assert len(served_by(server, LIST)) == 2, server.stdout()[-2000:]
    finally:
        engine.close()
        server.stop()


@needs("postgresql+redis")
def test_a_probe_made_by_one_worker_answers_the_others(start_server, pg_schema, redis_server, dns_server):
    redis_server.flush()
    server = start_server(pg_schema, cache_url=redis_server.url, workers=2)
    engine = bind(open_engine(server))
    try:
        user, key = users.create_user("prober", SystemClock())
        view = engine.service.create_domain(user, {"SenderDomain": "shared-probe.example"})
        dns_server.set_zone("shared-probe.example", records_zone("shared-probe.example", view.verification_meta["DNSRecords"]))
        first = httpx.post(server.url("/api/v1/user.senderdomain.verify"), json={"APIKey": key, "DomainID": view.id}, trust_env=False)
        assert first.json()["IsVerified"] is True
        dns_server.remove_zone("shared-probe.example")  # DNS now says nothing: only the cache can answer
        queries = len(dns_server.queries)

        def verify(_):
            with httpx.Client(trust_env=False, timeout=60) as client:
                return client.post(server.url("/api/v1/user.senderdomain.verify"), json={"APIKey": key, "DomainID": view.id})

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(verify, range(24)))
        assert all(a.json()["IsVerified"] is True for a in answers)
        assert len(dns_server.queries) == queries  # nobody asked DNS again
        assert len(served_by(server, "/api/v1/user.senderdomain.verify")) == 2
    finally:
        engine.close()
        server.stop()


@needs("postgresql")
def test_two_hosts_on_one_postgresql_share_the_limit(start_server, pg_schema):
    """No Redis: the sliding window lives in the database, and two servers count together."""
    first = start_server(pg_schema)
    second = start_server(pg_schema)
    engine = bind(open_engine(first))
    try:
        _, key = users.create_user("twohosts", SystemClock())
        urls = [first.url(LIST), second.url(LIST)] * 52 + [first.url(LIST)]
        statuses = Counter(r.status_code for r in fan_out(urls, key))
        assert statuses == {200: 100, 429: 5}
        assert SenderDomain.select().count() == 0
    finally:
        engine.close()
        first.stop()
        second.stop()


def allowed_cpus(pid: int) -> str:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError("no Cpus_allowed_list")


def worker_pids(server) -> set[int]:
    for _ in range(20):  # one request per worker is not guaranteed: ask until each has answered
        fan_out([server.url("/healthz")] * 8, "unused", clients=4)
    return {int(pid) for pid in served_by(server, "/healthz")}


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing to pin to")
def test_each_worker_keeps_to_one_cpu_unless_told_not_to(start_server):
    """pin_cpu (default true): each worker process, and the threads it starts for database
    work, run on one of the CPUs the server may use; false leaves them all."""
    everything = allowed_cpus(os.getpid())
    server = start_server(workers=2)
    pids = worker_pids(server)
    assert pids and all(allowed_cpus(pid) != everything and "," not in allowed_cpus(pid) for pid in pids)
    unpinned = start_server(workers=2, env={"SENDERDECK_SERVER_PIN_CPU": "false"})
    pids = worker_pids(unpinned)
    assert pids and all(allowed_cpus(pid) == everything for pid in pids)
