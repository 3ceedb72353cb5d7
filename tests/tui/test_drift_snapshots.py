"""Snapshots of a drifted domain (issue 15.2): the list with its Drifted badge and the
summary's count, and its detail screen's drift section. The drift is made by the real sweep
on loopback DNS (tests/tui/drift_support.py); fixed clock and theme as in conftest.py."""

from __future__ import annotations

from tests.tui.conftest import SIZE_SMALL, settle
from tests.tui.drift_support import DRIFTED, drift_app, drifted  # noqa: F401 (fixtures)
from tui.screens.domain_detail import DomainDetailScreen


def test_list_with_a_drifted_domain(snap_compare, drift_app):
    assert snap_compare(drift_app, terminal_size=SIZE_SMALL, run_before=settle)


def test_detail_of_a_drifted_domain(snap_compare, drift_app, drifted):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(DomainDetailScreen(drifted[DRIFTED]))
        await settle(pilot)
        # The cursor stays on the missing return-path record: the DKIM record's pane would show
        # this run's random key in full.
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(drift_app, terminal_size=SIZE_SMALL, run_before=run_before)
