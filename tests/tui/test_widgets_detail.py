"""The pure parts of the detail widgets: badges, found text, day padding, bars."""

from __future__ import annotations

import datetime as dt

from core.views import RecordState
from tui.widgets.record_table import Widths, badge_of, found_of
from tui.widgets.stats_chart import bars, pad_days


def rec(verified, check=None):
    return RecordState("sl.example.com", "CNAME", "rp.example.", verified, check)


def test_badges():
    assert badge_of(rec(None)) == "never"
    assert badge_of(rec(True, {"State": "matched"})) == "verified"
    assert badge_of(rec(False, {"State": "missing"})) == "failed"
    assert badge_of(rec(False, {"State": "mismatched"})) == "failed"
    assert badge_of(rec(False, {"State": "unknown"})) == "unknown"
    assert badge_of(rec(False)) == "failed"
    # The flag survives a probe that got no answer; the badge says the last check could not confirm it.
    assert badge_of(rec(True, {"State": "unknown"})) == "unknown_was_verified"


def test_found():
    assert found_of(rec(None)) == ""
    assert found_of(rec(False, {"State": "missing", "Found": []})) == "(nothing)"
    assert found_of(rec(False, {"State": "mismatched", "Found": ["a.", "b."]})) == "a., b."


def test_pad_days_fills_missing_days_oldest_first():
    today = dt.date(2026, 5, 23)
    days = pad_days({"2026-05-22": {"Sent": 10, "Bounced": 1}}, today, 3)
    assert [d for d, _ in days] == [dt.date(2026, 5, 21), dt.date(2026, 5, 22), today]
    assert [f["Sent"] for _, f in days] == [0, 10, 0]
    assert days[0][1] == {"Sent": 0, "Delivered": 0, "Bounced": 0, "Complaints": 0}


def test_bars_scale_to_the_peak():
    rows = bars([0, 4, 8], 1)
    assert rows == [" ▄█"]
    assert bars([0, 0], 2) == ["  ", "  "]


def test_widths_fit_the_terminal():
    for total in (80, 120, 200):
        w = Widths.for_width(total)
        assert w.host + w.type + w.expected + w.found + w.state + 12 <= total
        wide = Widths.for_width(total, state=len("? could not check (was ✓)"))
        assert wide.state == 25 and wide.host + wide.type + wide.expected + wide.found + wide.state + 12 <= total
