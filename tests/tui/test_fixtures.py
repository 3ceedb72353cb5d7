"""The shared TUI fixtures themselves: DNS answered in process, never a timeout."""

from __future__ import annotations

from tests.tui.conftest import SIZE_SMALL, settle
from tui.screens.domain_detail import DomainDetailScreen


async def test_lookups_are_answered_by_the_loopback_server_at_once(app, ctx, sample, tui_dns):
    assert ctx.settings.nameservers == [tui_dns.address]
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.push_screen(DomainDetailScreen(sample["shop.example"]))
        await settle(pilot)
        # "DNS via" asked the loopback server, which refused (how fast: tests/bench/lookups.py).
        assert ("shop.example.", "NS", "udp") in tui_dns.queries
        assert "DNS host unknown" in str(app.screen.query_one("#subtitle").render())
