"""Bench: how long ``senderdeck demo`` takes to build its database.

    .venv/bin/python tests/bench/demo.py          # 3 builds
    .venv/bin/python tests/bench/demo.py 5        # 5 builds

Each build is a fresh temp SQLite database at a frozen clock: the rows and 90 days of stats in
one transaction, then the verifier run against the zones as they were at each domain's last
check (a loopback DNS server in the process). It prints each build's time, split into the
rows and the verification, and how many DNS queries the verification asked.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

NOW = dt.datetime(2026, 5, 23, 9, 11)


def build_once() -> tuple[float, float, int]:
    from core import demo
    from core.clock import FixedClock
    from core.context import build_context
    from core.localdns import LocalDNS
    from core.settings import Settings

    queries = []
    real_stop = LocalDNS.stop

    def stop(server):  # count the verification's queries as its server stops
        queries.append(len(server.queries))
        real_stop(server)

    real_verify = demo._verify_as_last_checked
    spent = []

    def timed_verify(ctx, result):
        started = time.perf_counter()
        real_verify(ctx, result)
        spent.append(time.perf_counter() - started)

    tmp = tempfile.mkdtemp(prefix="senderdeck-bench-demo-")
    ctx = build_context(Settings(database=f"sqlite:///{tmp}/demo.db", demo=True), clock=FixedClock(NOW))
    LocalDNS.stop, demo._verify_as_last_checked = stop, timed_verify
    try:
        started = time.perf_counter()
        demo.build_demo(ctx)
        total = time.perf_counter() - started
    finally:
        LocalDNS.stop, demo._verify_as_last_checked = real_stop, real_verify
        ctx.close()
    return total, spent[0], queries[0]


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 3
    totals = []
    print(f"{'build':>6} {'total':>8} {'rows+stats':>11} {'verify':>8} {'DNS queries':>12}")
    for n in range(1, runs + 1):
        total, verify, queries = build_once()
        totals.append(total)
        print(f"{n:>6} {total:>7.2f}s {total - verify:>10.2f}s {verify:>7.2f}s {queries:>12,}")
    print(f"median {statistics.median(totals):.2f} s per build")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
