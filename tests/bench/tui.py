"""Bench: the domain list with 1,000 / 10,000 / 50,000 domains.

    .venv/bin/python tests/bench/tui.py            # all three sizes
    .venv/bin/python tests/bench/tui.py 10000      # one size

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
    from textual import events

    from tui.app import make_app
    from tui.widgets.domain_table import DomainTable

    tmp = tempfile.mkdtemp(prefix="senderdeck-bench-")
    clock = FixedClock(NOW)
    ctx = build_context(Settings(database=f"sqlite:///{tmp}/bench.db", nameservers=["127.0.0.1:1"]), clock=clock)
    user, _ = users.create_user("bench", clock)
    started = time.perf_counter()
    seed_bulk(ctx, user, count, NOW)
    seed_seconds = time.perf_counter() - started
    rss_before = rss_mb()

    app = make_app(ctx, user, clock=clock, theme="textual-dark", cursor_blink=False)
    result: dict = {"domains": count, "seed_s": round(seed_seconds, 1)}
    # First paint: the first frame written to the terminal driver with every row loaded.
    frames: dict[str, float] = {}
    real_display = app._display

    def display(screen, renderable):
        real_display(screen, renderable)
        tables = screen.query(DomainTable)
        if tables and tables.first().total_count == count:
            frames.setdefault("rows", time.perf_counter())
            if tables.first().figures_loaded:
                frames.setdefault("figures", time.perf_counter())

    app._display = display
    t0 = time.perf_counter()
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        while "figures" not in frames:
            await pilot.pause()
        app._display = real_display
        table = app.screen.query_one(DomainTable)
        result["first_paint_s"] = round(frames["rows"] - t0, 3)
        result["figures_s"] = round(frames["figures"] - t0, 3)

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
        for n, char in enumerate(QUERY, 1):
            per_key.append(await timed(char, lambda n=n: table.filter_text == QUERY[:n].casefold()))
        result["shown_after_filter"] = table.row_count
        result["keystroke_ms_median"] = round(statistics.median(per_key), 1)
        result["keystroke_ms_max"] = round(max(per_key), 1)
        filter_only = []
        for n in range(1, len(QUERY) + 1):
            f0 = time.perf_counter()
            table.set_filter(QUERY[:n])
            filter_only.append((time.perf_counter() - f0) * 1000)
        result["filter_step_ms_max"] = round(max(filter_only), 1)
        result["clear_ms"] = round(await timed("escape", lambda: table.row_count == count), 1)
        assert filter_input.value == ""
        result["pagedown_ms"] = round(await timed("pagedown", lambda: table.cursor_row > 0), 1)
        result["end_ms"] = round(await timed("end", lambda: table.cursor_row == count - 1), 1)
        result["sort_ms"] = round(await timed("s", lambda: table.sort_key == "status"), 1)
        app._display = real_display
    result["peak_rss_mb"] = round(rss_mb(), 1)
    result["app_rss_mb"] = round(rss_mb() - rss_before, 1)
    ctx.close()
    return result


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        print(json.dumps(asyncio.run(measure(int(argv[1])))))
        return 0
    sizes = [int(a) for a in argv] or list(SIZES)
    print(f"{'domains':>8} {'seed':>6} {'rows on screen':>15} {'with figures':>13} {'key median':>11} {'key max':>8} "
          f"{'filter':>7} {'clear':>6} {'pgdn':>6} {'end':>6} {'sort':>7} {'peak RSS':>9} {'app RSS':>8}")
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(size)], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['domains']:>8,} {r['seed_s']:>5}s {r['first_paint_s']:>14}s {r['figures_s']:>12}s "
            f"{r['keystroke_ms_median']:>9}ms {r['keystroke_ms_max']:>6}ms {r['filter_step_ms_max']:>5}ms "
            f"{r['clear_ms']:>4}ms {r['pagedown_ms']:>4}ms {r['end_ms']:>4}ms {r['sort_ms']:>5}ms {r['peak_rss_mb']:>7}MB {r['app_rss_mb']:>6}MB"
        )
    print("targets at 10,000: rows on screen < 0.5 s, keystroke < 50 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
