"""The pure parts of the list's jobs: watch mode's backoff and change report, and the
summary's counts (no app)."""

from __future__ import annotations

import datetime as dt

from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING
from core.stats import Figures
from core.views import DomainView
from tui.watch import FIRST_DELAY, MAX_DELAY, Before, WatchState, changes_between, next_delay, status_line
from tui.widgets.summary_bar import Counts, spaced

NOW = dt.datetime(2026, 5, 23, 9, 11)


def view(domain_id, status, flags=(), bucket=None):
    records = {f"h{i}.example": ["TXT", "v", flag] for i, flag in enumerate(flags)}
    return DomainView(domain_id, f"d{domain_id}.example", 1, NOW, status, NOW, {"DNSRecords": records}, [], {}, Figures(reputation_bucket=bucket))


def test_the_backoff_doubles_to_fifteen_minutes_and_a_change_resets_it():
    delays = [FIRST_DELAY]
    for _ in range(6):
        delays.append(next_delay(delays[-1], changed=False))
    assert delays == [60, 120, 240, 480, 900, 900, 900] and MAX_DELAY == 900
    assert next_delay(900, changed=True) == 60


def test_a_try_reports_status_moves_and_count_moves_of_the_rows_it_watched():
    before = {1: Before(STATUS_PENDING, 3, 5, "a.example"), 2: Before(STATUS_PENDING, 4, 5, "b.example"), 3: Before(STATUS_PENDING, 2, 5, "c.example")}
    views = [
        view(1, STATUS_PENDING, (True,) * 3 + (False,) * 2),  # unchanged
        view(2, STATUS_ENABLED, (True,) * 5),
        view(3, STATUS_PENDING, (True, False, False, False, False)),
        view(4, STATUS_ENABLED, (True,) * 5),  # not pending before: not reported
    ]
    assert changes_between(before, views) == (["b.example Approval Pending → Enabled", "c.example 2/5 → 1/5"], [2])


def test_the_status_line_counts_down_and_cuts_long_reports():
    state = WatchState(next_at=100.0, last_try=NOW, changes=[f"d{i} 1/5 → 2/5" for i in range(5)])
    line = status_line(state, now=40.5).plain
    assert line.startswith("Watch: next try in 1:00 (every 1 min) · 09:11: d0 1/5 → 2/5; d1") and line.endswith("; +2 more")
    assert status_line(WatchState(running=True), now=0).plain == "Watch: verifying pending domains…"


def test_the_summary_counts_every_status_and_bucket():
    counts = Counts.of([view(1, STATUS_ENABLED, bucket="good"), view(2, STATUS_PENDING), view(3, STATUS_DISABLED, bucket="poor")], True)
    assert counts.domains == 3 and counts.unscored == 1
    assert counts.by_status[STATUS_ENABLED] == counts.by_status[STATUS_DISABLED] == counts.by_status[STATUS_PENDING] == 1
    assert counts.by_bucket == {"excellent": 0, "good": 1, "fair": 0, "poor": 1}


def test_a_fleets_status_counts_keep_to_one_line_at_80_columns():
    parts = [("98,000 domains", "bold"), ("59,998 enabled", ""), ("24,000 pending", ""), ("10,000 disabled", ""), ("4,002 suspended", "")]
    assert spaced(parts, 120).plain == "98,000 domains  59,998 enabled  24,000 pending  10,000 disabled  4,002 suspended"
    assert spaced(parts, 78).plain == "98,000 domains 59,998 enabled 24,000 pending 10,000 disabled 4,002 suspended"
    assert spaced(parts, 40).cell_length > 40  # too long either way: two spaces, and the bar wraps
