"""Benchmark: the sweep's DNS throughput against a raw dnspython burst of the same queries.

Not collected by pytest. Run: ``.venv/bin/python tests/bench/sweep.py [N ...]`` (default
2,500 and 10,000 domains).

For each N, one zone (``bench.example``) holds N correct sender domains (their records as
``core.records`` builds them). It is served by a real authoritative server on loopback in
its own process: knotd (as tests/e2e runs it) for answers at once, and ``core.localdns``
holding every answer 50 ms for the slow case (knotd cannot delay). Side by side against the
same server:

- **raw**: dnspython's asyncio resolver, configured as the prober configures it (EDNS0 1232,
  no cache), asking the same (name, type) queries the sweep sends, ``max_in_flight`` at
  once through one semaphore — the fastest a Python client with that bound can go;
- **sweep**: ``core.sweep.Sweep`` over a SQLite database of the N domains (Enabled, last
  checked long ago), ``--older-than 0``, without the platform checks: claims, plans,
  verifier, writes, everything ``senderdeck sweep`` does.

Each runs ``ROUNDS`` times, alternating (raw, sweep, raw, sweep, …; the sweep's database is
put back between rounds), and the best round of each is printed — on a machine shared with
other work the best round is the one least disturbed. Printed: queries, wall seconds and
queries per second of each; the last column is sweep / raw (target: at least 0.8).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import dns.asyncresolver  # noqa: E402
import dns.name  # noqa: E402

from core.clock import SystemClock  # noqa: E402
from core.context import build_context  # noqa: E402
from core.localdns import LocalDNS  # noqa: E402
from core.models import STATUS_ENABLED, SenderDomain, User  # noqa: E402
from core.probe import build_resolver  # noqa: E402
from core.records import build_records, generate_dkim_key, zone_snippet  # noqa: E402
from core.settings import PlatformSettings, Settings  # noqa: E402
from core.sweep import Sweep  # noqa: E402

ZONE = "bench.example"
SIZES = (2500, 10000)
ROUNDS = 3
DELAYS = (0.0, 0.05)
KNOTD = shutil.which("knotd") or ("/usr/sbin/knotd" if os.path.exists("/usr/sbin/knotd") else None)


def domain_records(n: int, key: str) -> list[tuple[str, dict]]:
    platform = PlatformSettings()
    names = [f"d{i:05d}.{ZONE}" for i in range(n)]
    return [(name, build_records(name, {}, platform, dkim_selector="sd1", dkim_public_b64=key)) for name in names]


def zone_text(domains: list[tuple[str, dict]]) -> str:
    head = (
        f"$ORIGIN {ZONE}.\n$TTL 600\n@ IN SOA ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 300\n"
        f"@ IN NS ns1.{ZONE}.\nns1 IN A 127.0.0.1\n"
    )
    return head + "".join(zone_snippet(records, ttl=600) for _name, records in domains)


def serve_localdns(text: str, delay: float, ports, stop) -> None:
    server = LocalDNS({ZONE: text}, delay=delay)
    with server:
        ports.put(server.port)
        stop.wait()


class Server:
    """knotd (no delay) or LocalDNS in a child process (delay), on a free loopback port."""

    def __init__(self, text: str, delay: float, root: Path) -> None:
        self.knot = self.child = None
        if not delay and KNOTD:
            from tests.e2e.test_knot import Knot

            self.knot = Knot(root / "knot", {ZONE: text})
            self.knot.wait_ready(ZONE, within=60)
            self.port, self.kind = self.knot.port, "knotd"
        else:
            ports, self.stop_event = multiprocessing.Queue(), multiprocessing.Event()
            self.child = multiprocessing.Process(target=serve_localdns, args=(text, delay, ports, self.stop_event), daemon=True)
            self.child.start()
            self.port = ports.get(timeout=300)
            self.kind = f"localdns +{delay * 1000:.0f} ms"

    def stop(self) -> None:
        if self.knot is not None:
            self.knot.stop()
        if self.child is not None:
            self.stop_event.set()
            self.child.join(timeout=30)


def build_database(url: str, domains: list[tuple[str, dict]], key) -> None:
    settings = Settings(database=url)
    ctx = build_context(settings)
    try:
        user = User.create(name="bench", api_key_hash="0" * 64, created_at=dt.datetime(2026, 1, 1))
        long_ago = dt.datetime(2026, 1, 1)
        rows = [
            dict(
                user=user.id,
                domain=name,
                status=STATUS_ENABLED,
                verification_meta={"DNSRecords": {h: [*r, True] for h, r in records.items()}},
                policy_meta=[],
                options={},
                created_at=long_ago,
                last_verified_at=long_ago,
                dkim_selector="sd1",
                dkim_public_key=key.public_b64,
                dkim_private_key=key.private_pem,
            )
            for name, records in domains
        ]
        with ctx.database.atomic():
            for start in range(0, len(rows), 500):
                SenderDomain.insert_many(rows[start : start + 500]).execute()
    finally:
        ctx.close()


async def raw_burst(port: int, queries: list[tuple[str, str]], concurrency: int, timeout: float) -> tuple[float, int]:
    resolver: dns.asyncresolver.Resolver = build_resolver([f"127.0.0.1:{port}"], timeout)
    semaphore = asyncio.Semaphore(concurrency)
    answered = 0

    async def ask(name: str, rdtype: str) -> None:
        nonlocal answered
        async with semaphore:
            answer = await resolver.resolve(dns.name.from_text(name), rdtype, raise_on_no_answer=False, search=False)
            answered += answer.rrset is not None

    started = time.perf_counter()
    await asyncio.gather(*(ask(n, t) for n, t in queries))
    return time.perf_counter() - started, answered


def sweep_queries(domains: list[tuple[str, dict]]) -> list[tuple[str, str]]:
    """What the sweep asks for a correct domain: each record's host and type, once."""
    return [(host, record[0]) for _name, records in domains for host, record in records.items()]


def run_sweep(url: str, port: int) -> tuple[float, int, dict]:
    settings = Settings(database=url, nameservers=[f"127.0.0.1:{port}"])
    ctx = build_context(settings, clock=SystemClock())
    try:
        sweep = Sweep(ctx, older_than=dt.timedelta(0), platform=False)
        report = sweep.run_sync()
    finally:
        ctx.close()
    return report.wall, report.queries, report.counts


def main(sizes: tuple[int, ...]) -> None:
    key = generate_dkim_key()
    concurrency = Settings().dns.max_in_flight
    timeout = Settings().dns.timeout
    print(f"max_in_flight {concurrency}; sweep over SQLite; {os.cpu_count()} cores")
    print(f"{'server':<18} {'N':>6} {'raw q':>7} {'raw s':>7} {'raw q/s':>8} {'sweep q':>8} {'sweep s':>8} {'sweep q/s':>9} {'ratio':>6}  outcomes")
    for delay in DELAYS:
        for n in sizes:
            domains = domain_records(n, key.public_b64)
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{tmp}/bench.db"
                build_database(url, domains, key)
                server = Server(zone_text(domains), delay, Path(tmp))
                try:
                    queries = sweep_queries(domains)
                    raw_wall = sweep_wall = float("inf")
                    pristine = Path(tmp) / "pristine.db"
                    shutil.copyfile(url.removeprefix("sqlite:///"), pristine)
                    for _ in range(ROUNDS):
                        wall, answered = asyncio.run(raw_burst(server.port, queries, concurrency, timeout))
                        raw_wall = min(raw_wall, wall)
                        for leftover in ("-wal", "-shm"):
                            Path(url.removeprefix("sqlite:///") + leftover).unlink(missing_ok=True)
                        shutil.copyfile(pristine, url.removeprefix("sqlite:///"))
                        wall, sent, counts = run_sweep(url, server.port)
                        sweep_wall = min(sweep_wall, wall)
                finally:
                    server.stop()
            raw_rate, sweep_rate = len(queries) / raw_wall, sent / sweep_wall
            print(
                f"{server.kind:<18} {n:>6} {len(queries):>7} {raw_wall:>7.2f} {raw_rate:>8.0f} {sent:>8} {sweep_wall:>8.2f} "
                f"{sweep_rate:>9.0f} {sweep_rate / raw_rate:>6.2f}  {dict(sorted(counts.items()))} (raw answered {answered})"
            )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
