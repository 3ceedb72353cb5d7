"""Benchmark: verify N domains against a loopback DNS server that holds every answer 50 ms.

Not collected by pytest. Run: ``.venv/bin/python tests/bench/verify.py [N ...]``.

The server (core.localdns, ``delay=0.05``) runs in its own process so it does not share the
client's interpreter lock. For each N it prints the wall time divided by the 50 ms round
trip, and that against the ideal: queries / max_in_flight round trips (every record of every
domain in flight at once, bounded by the semaphore). Targets: under 3 round trips for 25
domains; the ratio stays near 1 as N grows (growing no faster than N / concurrency).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import verify  # noqa: E402
from core.dnsrecord import records_from_stored  # noqa: E402
from core.localdns import LocalDNS, records_zone  # noqa: E402
from core.probe import Prober  # noqa: E402
from core.records import build_records, generate_dkim_key  # noqa: E402
from core.settings import DnsSettings, PlatformSettings  # noqa: E402

RTT = 0.05
CONCURRENCY = DnsSettings().max_in_flight
SIZES = (25, 250, 2500)


def domains(n: int, key: str) -> list[tuple[str, dict]]:
    platform = PlatformSettings()
    out = []
    for i in range(n):
        name = f"d{i:05d}.bench.example"
        out.append((name, build_records(name, {}, platform, dkim_selector="sd1", dkim_public_b64=key)))
    return out


def serve(n: int, key: str, ports, stop) -> None:
    server = LocalDNS(delay=RTT)
    for name, records in domains(n, key):
        server.set_zone(name, records_zone(name, records))
    with server:
        ports.put(server.port)
        stop.wait()


async def run(n: int, key: str, port: int) -> tuple[float, int, int]:
    prober = Prober([f"127.0.0.1:{port}"], timeout=5.0, deadline=600.0, retries=0, max_in_flight=CONCURRENCY)
    targets = [
        verify.Target(name, records_from_stored(records), PlatformSettings().spf_include) for name, records in domains(n, key)
    ]
    started = time.perf_counter()
    results = await verify.check_domains(prober, targets)
    wall = time.perf_counter() - started
    matched = sum(1 for checks in results if all(c.state == verify.MATCHED for c in checks.values()))
    return wall, prober.sent, matched


async def run_service(key, port: int) -> tuple[float, int]:
    """The whole path a user triggers: service.verify_pending for one batch of 25 pending
    domains, with the probe cache lookups, the status rules and the database writes."""
    import tempfile

    from core import users
    from core.context import build_context
    from core.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database=f"sqlite:///{tmp}/bench.db", nameservers=[f"127.0.0.1:{port}"])
        settings.dns.timeout, settings.dns.deadline, settings.dns.retries = 5.0, 600.0, 0
        ctx = build_context(settings, keygen=lambda: key)
        try:
            user, _ = users.create_user("bench", ctx.clock)
            for name, _records in domains(25, key.public_b64):
                ctx.service.create_domain(user, {"SenderDomain": name})
            started = time.perf_counter()
            outcome = await ctx.service.verify_pending(user)
            wall = time.perf_counter() - started
        finally:
            ctx.close()
    return wall, sum(1 for d in outcome.domains if d.is_verified)


def main(sizes: tuple[int, ...]) -> None:
    dkim = generate_dkim_key()
    key = dkim.public_b64
    print(f"{'N':>6} {'queries':>8} {'wall s':>8} {'wall/50ms':>10} {'ideal':>6} {'ratio':>6}  matched")
    for n in sizes:
        ports, stop = multiprocessing.Queue(), multiprocessing.Event()
        child = multiprocessing.Process(target=serve, args=(n, key, ports, stop), daemon=True)
        child.start()
        try:
            port = ports.get(timeout=120)
            wall, queries, matched = asyncio.run(run(n, key, port))
        finally:
            stop.set()
            child.join(timeout=30)
        rounds = wall / RTT
        ideal = math.ceil(queries / CONCURRENCY)
        print(f"{n:>6} {queries:>8} {wall:>8.2f} {rounds:>10.1f} {ideal:>6} {rounds / ideal:>6.2f}  {matched}/{n}")

    ports, stop = multiprocessing.Queue(), multiprocessing.Event()
    child = multiprocessing.Process(target=serve, args=(25, key, ports, stop), daemon=True)
    child.start()
    try:
        wall, verified = asyncio.run(run_service(dkim, ports.get(timeout=120)))
    finally:
        stop.set()
        child.join(timeout=30)
    print(f"service.verify_pending, 25 pending domains with database writes: {wall:.2f} s = {wall / RTT:.1f} round trips, {verified}/25 verified")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
