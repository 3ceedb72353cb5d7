"""The detail screen's drift section (issue 15.2): since when and on how many sweeps, each
drifted record with what DNS answered instead (untrusted text shown literally); nothing for a
domain that is not drifted. The drift is made by the real sweep on loopback DNS
(tests/tui/drift_support.py)."""

from __future__ import annotations

import pytest

from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, settle
from tests.tui.drift_support import DAY, BROKEN_DKIM, DRIFTED, STEADY, drift_app, drifted, sweep  # noqa: F401 (fixtures)
from tui.screens.domain_detail import DomainDetailScreen
from tui.widgets.drift_note import DriftNote


async def test_the_detail_screen_says_since_when_and_what_was_found(drift_app, drifted):
    async with drift_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        drift_app.push_screen(DomainDetailScreen(drifted[DRIFTED]))
        await settle(pilot)
        note = drift_app.screen.query_one(DriftNote)
        assert note.display
        lines = str(note.render()).splitlines()
        assert lines[0] == "Drifted since 2026-05-21 09:11 UTC (2d ago), on 2 sweeps ≥ 24 h apart:"
        assert lines[1].startswith("  CNAME sl.harbour.example  missing: ")
        dkim = lines[2]
        assert dkim.startswith("  TXT ") and "._domainkey.harbour.example  mismatched: found " in dkim
        assert f'"{BROKEN_DKIM}"' in dkim  # "[/x]" shown literally, not read as markup
        assert len(lines) == 3


async def test_the_detail_screen_of_a_steady_domain_has_no_drift_section(drift_app, drifted):
    async with drift_app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        drift_app.push_screen(DomainDetailScreen(drifted[STEADY]))
        await settle(pilot)
        assert not drift_app.screen.query_one(DriftNote).display


@pytest.fixture
def all_gone(ctx, alice, clock, tui_dns, drifted) -> int:
    """harbour.example's zone emptied and swept a day later: all five records drifted."""
    tui_dns.set_zone(DRIFTED, {})
    clock.advance(DAY)
    sweep(ctx, alice)
    return drifted[DRIFTED]


async def test_a_long_drift_is_summed_up_after_three_records(drift_app, all_gone):
    async with drift_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        drift_app.push_screen(DomainDetailScreen(all_gone))
        await settle(pilot)
        lines = str(drift_app.screen.query_one(DriftNote).render()).splitlines()
        assert lines[0].startswith("Drifted since 2026-05-21 09:11 UTC (3d ago), on 3 sweeps")
        assert [line.split("  ")[2].split(":")[0] for line in lines[1:4]] == ["missing"] * 3
        assert lines[4] == "  … and 2 more (the records below)"
