"""Bench: how long DNS lookups take when the answer is quick, missing, late or never comes.

    .venv/bin/python tests/bench/lookups.py

Everything runs against ``core.localdns.LocalDNS`` on loopback. Each line prints the time
taken and, where there is one, the time it should be bounded by, as a ratio (about 1.0 or
below is right; far above means the timeout, deadline or concurrency does not hold):

- a lookup the server refuses (a name it does not serve): milliseconds, never a timeout;
- a silent server, 0.2 s timeout and one retry: two timeouts, 0.4 s;
- the call's deadline (0.3 s) against a 5 s per-query timeout: the deadline wins;
- 40 lookups at once against a server that holds each answer 0.1 s: one round trip, not 40;
- ``service.verify_domain`` with every record silent, 0.5 s deadline, 5 s timeout: the deadline;
- the TUI's detail screen opened with the loopback server refusing "DNS via": no timeout.

These figures were wall-clock assertions in unit tests (tests/core/test_probe.py,
test_verify_service.py, tests/tui/test_fixtures.py); the tests keep what they observe
(statuses, query counts, the deadline's reason) and this prints the times.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 5, 23, 9, 11)


def line(what: str, seconds: float, bound: float | None = None) -> None:
    ratio = f"{seconds / bound:>6.2f} x {bound:g} s" if bound else ""
    print(f"{what:<58} {seconds * 1000:>9.1f} ms  {ratio}")


async def timed(coro) -> tuple[float, object]:
    started = time.perf_counter()
    result = await coro
    return time.perf_counter() - started, result


async def probes() -> None:
    from core.localdns import LocalDNS
    from core.probe import Prober

    zone = {"@": [("TXT", "v=spf1 -all")], **{f"n{i}": [("TXT", str(i))] for i in range(40)}}
    with LocalDNS({"bench.example": zone}, silent=["quiet.bench.example"]) as server:
        prober = Prober([server.address], timeout=2, deadline=10, retries=0)
        await prober.lookup("bench.example", "TXT")  # warm up
        seconds, result = await timed(Prober([server.address], timeout=2, deadline=10, retries=0).lookup("elsewhere.example", "TXT"))
        line(f"refused lookup ({result.detail})", seconds)
        seconds, _ = await timed(Prober([server.address], timeout=0.2, deadline=10, retries=1).lookup("quiet.bench.example", "TXT"))
        line("silent server, 0.2 s timeout, 1 retry", seconds, 0.4)
        seconds, _ = await timed(Prober([server.address], timeout=5, deadline=0.3, retries=2).lookup("quiet.bench.example", "TXT"))
        line("silent server, 5 s timeout, 0.3 s deadline", seconds, 0.3)
        server.delay = 0.1
        many = Prober([server.address], timeout=2, deadline=10, retries=0, max_in_flight=64)
        seconds, _ = await timed(asyncio.gather(*(many.lookup(f"n{i}.bench.example", "TXT") for i in range(40))))
        line(f"40 lookups at once, 0.1 s each (peak {server.peak_in_flight} in flight)", seconds, 0.1)


async def verify_silent() -> None:
    import dns.name

    from core.clock import FixedClock
    from core.context import build_context
    from core.localdns import LocalDNS, records_zone
    from core.records import generate_dkim_key
    from core.settings import Settings
    from core import users

    tmp = tempfile.mkdtemp(prefix="senderdeck-bench-dns-")
    key = generate_dkim_key()
    with LocalDNS() as server:
        settings = Settings(database=f"sqlite:///{tmp}/dns.db", nameservers=[server.address])
        settings.dns.timeout, settings.dns.deadline = 5.0, 0.5
        ctx = build_context(settings, clock=FixedClock(NOW), keygen=lambda: key)
        try:
            user, _ = users.create_user("bench", ctx.clock)
            view = ctx.service.create_domain(user, {"SenderDomain": "example.com"})
            records = view.verification_meta["DNSRecords"]
            server.set_zone("example.com", records_zone("example.com", records))
            server.silent.update(dns.name.from_text(h) for h in records)
            seconds, _ = await timed(ctx.service.verify_domain(user, view.id))
            line("verify_domain, every record silent, 0.5 s deadline", seconds, 0.5)
        finally:
            ctx.close()


async def detail_screen() -> None:
    from core.clock import FixedClock
    from core.context import build_context
    from core.localdns import LocalDNS
    from core.records import generate_dkim_key
    from core.settings import Settings
    from core import users
    from tests.tui.conftest import THEME, settle
    from tests.tui.seed import seed_sample
    from tui.app import make_app
    from tui.screens.domain_detail import DomainDetailScreen

    tmp = tempfile.mkdtemp(prefix="senderdeck-bench-dns-")
    key = generate_dkim_key()
    with LocalDNS() as server:
        settings = Settings(database=f"sqlite:///{tmp}/tui.db", nameservers=[server.address])
        settings.dns.timeout = 1.5  # the TUI tests' settings: a timeout would show
        clock = FixedClock(NOW)
        ctx = build_context(settings, clock=clock, keygen=lambda: key)
        try:
            user, _ = users.create_user("bench", clock)
            sample = seed_sample(ctx, user, NOW)
            app = make_app(ctx, user, clock=clock, theme=THEME, cursor_blink=False)
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(pilot)
                started = time.perf_counter()
                app.push_screen(DomainDetailScreen(sample["shop.example"]))
                await settle(pilot)
                line("detail screen opened, 'DNS via' refused (TUI, 1.5 s timeout)", time.perf_counter() - started, 1.5)
        finally:
            ctx.close()


def main() -> int:
    print(f"{'':<58} {'time':>12}  {'vs its bound'}")
    asyncio.run(probes())
    asyncio.run(verify_silent())
    asyncio.run(detail_screen())
    return 0


if __name__ == "__main__":
    sys.exit(main())
