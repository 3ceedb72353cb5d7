"""Bench: the domain list with 1,000 / 10,000 / 50,000 domains, and the operator's view of a
platform (every tenant's domains: 100,000 across 1,000 tenants with 365 days of stats).

    .venv/bin/python tests/bench/tui.py            # all three sizes
    .venv/bin/python tests/bench/tui.py 10000      # one size
    .venv/bin/python tests/bench/tui.py --fleet [--db FLEET.db]   # the operator's view (issue 13.4)

``--fleet`` seeds the platform with tests/bench/fleet.py (a few minutes; ``--db`` reuses one
built before, its figures refreshed for its last day as the first list of a day would) and
opens the app on every tenant's domains (no user), as ``senderdeck`` does on such a database.

Each size runs in its own process (so peak memory is that size's alone) against a temp
SQLite database seeded with that many domains and 14 days of stats each. It prints:

- first paint: from starting the app until the rows are on screen (the screen composed, the
  rows loaded in the worker and painted), and until the figures (reputation, volume, rates)
  are painted too;
- per keystroke: typing into the filter (``/`` then a query, one key at a time), each key
  timed until the filtered table has been repainted; and the filter step alone;
- cursor: page down and end, repainted;
- peak memory: the process's peak RSS, and how much of it the app added over the seeded DB.

Targets (issue 6): first paint under 0.5 s and a keystroke under 50 ms at 10,000 domains.
Issue 13.4, every tenant's 100,000 domains: rows < 0.5 s, figures < 1 s, keystroke < 50 ms median.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SIZES = (1000, 10000, 50000)
QUERY = "d01-shop"
NOW = dt.datetime(2026, 5, 23, 9, 11)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(count: int) -> dict:
    from core import users
    from core.clock import FixedClock
    from core.context import build_context
    from core.settings import Settings
    from tests.tui.seed import seed_bulk

    tmp = tempfile.mkdtemp(prefix="senderdeck-bench-")
    clock = FixedClock(NOW)
    ctx = build_context(Settings(database=f"sqlite:///{tmp}/bench.db", nameservers=["127.0.0.1:1"]), clock=clock)
    user, _ = users.create_user("bench", clock)
    started = time.perf_counter()
    seed_bulk(ctx, user, count, NOW)
    seed_seconds = time.perf_counter() - started
    rss_before = rss_mb()

    result: dict = {"domains": count, "seed_s": round(seed_seconds, 1)}
    return await measure_app(ctx, user, clock, count, result, rss_before)


async def measure_fleet(path: str | None) -> dict:
    """The operator's view (every tenant's domains) of a fleet database."""
    from core.clock import FixedClock
    from core.context import build_context
    from core.settings import Settings
    from tests.bench.fleet import NOW as FLEET_NOW, seed_fleet

    started = time.perf_counter()
    if path is None:
        tmp = Path(tempfile.mkdtemp(prefix="senderdeck-fleet-"))
        fleet = seed_fleet(tmp / "fleet.db", now=FLEET_NOW)
        settings, now = fleet.settings, FLEET_NOW
    else:
        import sqlite3

        con = sqlite3.connect(path)
        # The last day of one domain (the index on (domain_id, day)): a MAX over every row reads 30 million.
        last_day = con.execute("SELECT MAX(day) FROM domain_stat WHERE domain_id = (SELECT MIN(id) FROM sender_domain)").fetchone()[0]
        con.close()
        settings = Settings(database=f"sqlite:///{path}", nameservers=["127.0.0.1:1"])
        now = dt.datetime.combine(dt.date.fromisoformat(str(last_day)[:10]), dt.time(9, 11))
    seed_seconds = time.perf_counter() - started
    clock = FixedClock(now)
    ctx = build_context(settings, clock=clock)
    from core.models import SenderDomain, User
    from core.listing import live_domains

    count = SenderDomain.select().where(live_domains(None)).count()
    result: dict = {"domains": count, "tenants": User.select().count(), "seed_s": round(seed_seconds, 1)}
    return await measure_app(ctx, None, clock, count, result, rss_mb(), query="shop-0001")


async def measure_app(ctx, user, clock, count: int, result: dict, rss_before: float, query: str = QUERY) -> dict:
    """Open the app on ``user``'s domains (None: every tenant's) and time it."""
    from textual import events

    from tui.app import make_app
    from tui.widgets.domain_table import DomainTable

    app = make_app(ctx, user, clock=clock, theme="textual-dark", cursor_blink=False)
    # First paint: the first frame written to the terminal driver with every row loaded.
    frames: dict[str, float] = {}
    real_display = app._display

    def display(screen, renderable):
        real_display(screen, renderable)
        tables = screen.query(DomainTable)
        if not tables:
            return
        table = tables.first()
        if table.row_count:  # the first screen of rows (the list shows them before the rest are read)
            frames.setdefault("rows", time.perf_counter())
            if table.figures_loaded:
                frames.setdefault("figures", time.perf_counter())
        if table.total_count == count:
            frames.setdefault("all_rows", time.perf_counter())
            if table.figures_loaded:
                frames.setdefault("all_figures", time.perf_counter())

    app._display = display
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        while "all_figures" not in frames:
            await pilot.pause()
        app._display = real_display
        table = app.screen.query_one(DomainTable)
        result["first_paint_s"] = round(frames["rows"] - t0, 3)
        result["figures_s"] = round(frames["figures"] - t0, 3)
        result["all_rows_s"] = round(frames["all_rows"] - t0, 3)
        result["all_figures_s"] = round(frames["all_figures"] - t0, 3)

        # Per keystroke: from the key event to the next frame written to the terminal driver
        # (not pilot.press(), whose idle detection adds ~100 ms of its own).
        painted = asyncio.Event()

        def display_and_signal(screen, renderable):
            real_display(screen, renderable)
            painted.set()

        app._display = display_and_signal

        async def timed(key: str, done) -> float:
            await app.workers.wait_for_complete()  # each measure starts from a quiet app
            painted.clear()
            k0 = time.perf_counter()
            app.post_message(events.Key(key, key if len(key) == 1 else None))
            while True:
                await painted.wait()
                painted.clear()
                if done():
                    return (time.perf_counter() - k0) * 1000

        await pilot.press("slash")
        filter_input = app.screen.query_one("#filter")
        per_key = []
        for n, char in enumerate(query, 1):
            per_key.append(await timed(char, lambda n=n: table.filter_text == query[:n].casefold()))
        result["shown_after_filter"] = table.row_count
        result["keystroke_ms_median"] = round(statistics.median(per_key), 1)
        result["keystroke_ms_max"] = round(max(per_key), 1)
        filter_only = []
        for n in range(1, len(query) + 1):
            f0 = time.perf_counter()
            table.set_filter(query[:n])
            filter_only.append((time.perf_counter() - f0) * 1000)
        result["filter_step_ms_max"] = round(max(filter_only), 1)
        result["clear_ms"] = round(await timed("escape", lambda: table.row_count == count), 1)
        assert filter_input.value == ""
        result["pagedown_ms"] = round(await timed("pagedown", lambda: table.cursor_row > 0), 1)
        result["end_ms"] = round(await timed("end", lambda: table.cursor_row == count - 1), 1)
        result["sort_ms"] = round(await timed("s", lambda: table.sort_key != "domain"), 1)
        app._display = real_display
    result["peak_rss_mb"] = round(rss_mb(), 1)
    result["app_rss_mb"] = round(rss_mb() - rss_before, 1)
    ctx.close()
    return result


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(asyncio.run(measure(int(argv[1])))))
        return 0
    if argv[:1] == ["--fleet"]:
        db = argv[argv.index("--db") + 1] if "--db" in argv else None
        r = asyncio.run(measure_fleet(db))
        print(f"every tenant's domains: {r['domains']:,} live of {r['tenants']:,} tenants (seeded in {r['seed_s']} s)")
        print(f"  rows on screen      {r['first_paint_s']:>7} s   (target < 0.5 s)")
        print(f"  with figures        {r['figures_s']:>7} s   (target < 1 s)")
        print(f"  every row read      {r['all_rows_s']:>7} s   (the summary counts them; filter and sort over all)")
        print(f"  every row's figures {r['all_figures_s']:>7} s")
        print(f"  filter keystroke    {r['keystroke_ms_median']:>7} ms median, {r['keystroke_ms_max']} ms max (target < 50 ms median)")
        print(f"  filter step alone   {r['filter_step_ms_max']:>7} ms max; clear {r['clear_ms']} ms; page down {r['pagedown_ms']} ms; "
              f"end {r['end_ms']} ms; sort {r['sort_ms']} ms")
        print(f"  peak RSS {r['peak_rss_mb']} MB (the app: {r['app_rss_mb']} MB)")
        return 0
    sizes = [int(a) for a in argv] or list(SIZES)
    print(f"{'domains':>8} {'seed':>6} {'rows on screen':>15} {'with figures':>13} {'all rows':>9} {'key median':>11} {'key max':>8} "
          f"{'filter':>7} {'clear':>6} {'pgdn':>6} {'end':>6} {'sort':>7} {'peak RSS':>9} {'app RSS':>8}")
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['domains']:>8,} {r['seed_s']:>5}s {r['first_paint_s']:>14}s {r['figures_s']:>12}s {r['all_rows_s']:>8}s "
            f"{r['keystroke_ms_median']:>9}ms {r['keystroke_ms_max']:>6}ms {r['filter_step_ms_max']:>5}ms "
            f"{r['clear_ms']:>4}ms {r['pagedown_ms']:>4}ms {r['end_ms']:>4}ms {r['sort_ms']:>5}ms {r['peak_rss_mb']:>7}MB {r['app_rss_mb']:>6}MB"
        )
    print("targets at 10,000: rows on screen < 0.5 s, keystroke < 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
