"""Verification from the list against a loopback DNS server: verify one (greyed out while it
runs), verify all pending across truncated batches with progress, and watch mode's backoff,
countdown, change report and "now Enabled" notification."""

from __future__ import annotations


import asyncio

import pytest

from core.localdns import LocalDNS, records_zone
from core.models import STATUS_ENABLED, STATUS_PENDING, SenderDomain
from tests.core.dnskit import FAST, publish
from tests.tui.conftest import SIZE_SMALL, settle, settle_except_watch


@pytest.fixture
def dns_server(ctx):
    """A loopback authoritative server; the service's resolver points at it."""
    with LocalDNS() as server:
        ctx.settings.nameservers = [server.address]
        ctx.settings.dns.timeout = FAST["timeout"]
        ctx.settings.dns.deadline = FAST["deadline"]
        ctx.settings.dns.retries = FAST["retries"]
        yield server


def publish_domain(server, domain_id: int) -> None:
    row = SenderDomain.get_by_id(domain_id)
    publish(server, row.domain, row.verification_meta["DNSRecords"])


def notes(app) -> list[str]:
    return [f"{n.title} | {n.message}" for n in app._notifications]


def activity(app) -> str:
    return str(app.screen.query_one("#activity-text").render())


async def test_verify_selected_turns_it_enabled(app, ctx, sample, dns_server):
    alerts = sample["alerts.example.io"]
    publish_domain(dns_server, alerts)
    dns_server.delay = 0.2  # long enough to look at the screen while the probe runs
    ctx.settings.dns.timeout = 2.0
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.table.move_to(alerts)
        await pilot.press("v")
        assert screen.check_action("verify", ()) is None  # greyed out while it runs
        assert "checking" in screen.table.render_line(1).text
        await settle(pilot)
        dns_server.delay = 0
        assert SenderDomain.get_by_id(alerts).status == STATUS_ENABLED
        row = screen.table.get_row(alerts)
        assert row.view.status == STATUS_ENABLED and (row.verified, row.total) == (5, 5)
        assert screen.check_action("verify", ()) is True
        assert any("alerts.example.io is now Enabled" in n for n in notes(app))


async def test_verify_selected_that_fails_says_how_far_it_got(app, sample, dns_server):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(sample["new-brand.example"])
        await pilot.press("v")
        await settle(pilot)
        assert SenderDomain.get_by_id(sample["new-brand.example"]).status == STATUS_PENDING
        # The loopback server serves no zone for it and refuses: nothing was checked, and the
        # message says so rather than "0/5 records verified" (issue 14.7).
        assert any("new-brand.example: could not check 5 of 5 records (the nameserver refused to answer); "
                   "status unchanged (Approval Pending)" in n for n in notes(app))
        row = app.screen.table.get_row(sample["new-brand.example"])
        assert row.view.last_verified_at is not None  # the last try, shown as such on its detail screen


async def test_verify_all_continues_truncated_batches(app, ctx, alice, sample, dns_server, monkeypatch):
    extra = [ctx.service.create_domain(alice, {"SenderDomain": f"bulk{i:02d}.example"}).id for i in range(30)]
    for domain_id in extra[:10]:
        publish_domain(dns_server, domain_id)
    calls = []
    during = []
    real = ctx.service.verify_pending

    async def counting(user, batch=25):
        screen = app.screen  # what the screen shows while a batch runs
        during.append((screen.bulk_running, screen.check_action("verify_all", ()), screen.check_action("verify", ()),
                       screen.query_one("#activity").display, activity(app), set(screen.table.busy_ids)))
        result = await real(user, batch)
        calls.append((len(result.domains), result.truncated))
        return result

    monkeypatch.setattr(ctx.service, "verify_pending", counting)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.check_action("verify_all", ()) is True
        await pilot.press("V")
        await settle(pilot)
        # 33 pending: a first batch of 25 (Truncated), then again until not truncated.
        assert len(calls) >= 2 and calls[0] == (25, True) and calls[-1][1] is False
        assert during[0][:4] == (True, None, None, True)  # greyed out, progress shown
        assert "Verifying 33 pending domains" in during[0][4]
        assert set(extra) <= during[0][5]  # pending rows show "checking" until their batch answers
        assert not screen.table.busy_ids
        assert "Verifying pending domains: 25/33 · 10 verified" in during[1][4]
        assert not screen.bulk_running and not screen.query_one("#activity").display
        enabled = {r.id for r in screen.table.all_rows if r.view.status == STATUS_ENABLED}
        assert set(extra[:10]) <= enabled and not set(extra[10:]) & enabled
        assert any("33 domains checked · 10 verified · 23 still pending" in n for n in notes(app))
        assert any("is now Enabled" in n for n in notes(app))
        assert "14 enabled" in str(screen.query_one("#summary").render())


async def test_watch_mode_backs_off_reports_changes_and_notifies(app, sample, dns_server, clock):
    # bücher.example had three records verified; its zone now answers without them.
    dns_server.set_zone("xn--bcher-kva.example", records_zone("xn--bcher-kva.example", {}))
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("w")
        await settle_except_watch(pilot)
        assert screen.watching and screen.query_one("#activity").display
        assert "next try in 1:00" in activity(app)
        clock.advance(30)
        screen.update_activity()
        assert "next try in 0:30" in activity(app)

        # First try (at the deadline): bücher.example's three verified records are gone.
        clock.advance(30)
        screen.watcher.tried.clear()
        screen.watcher.try_now()
        await asyncio.wait_for(screen.watcher.tried.wait(), 30)
        await settle_except_watch(pilot)
        assert screen.watcher.state.tries == 1
        assert screen.watcher.state.changes == ["bücher.example 3/5 → 0/5"]
        assert screen.watcher.state.delay == 60  # something changed: keep trying every minute
        assert "09:12: bücher.example 3/5 → 0/5" in activity(app)

        # Second try: nothing changes, so the next one waits twice as long.
        clock.advance(61)  # past the 60 s probe cache
        screen.watcher.tried.clear()
        screen.watcher.try_now()
        await asyncio.wait_for(screen.watcher.tried.wait(), 30)
        await settle_except_watch(pilot)
        assert screen.watcher.state.changes == [] and screen.watcher.state.delay == 120
        assert "next try in 2:00 (every 2 min)" in activity(app) and "no change" in activity(app)

        # DNS propagates for alerts.example.io: the next try turns it Enabled and says so.
        publish_domain(dns_server, sample["alerts.example.io"])
        clock.advance(120)
        screen.watcher.tried.clear()
        screen.watcher.try_now()
        await asyncio.wait_for(screen.watcher.tried.wait(), 30)
        await settle_except_watch(pilot)
        assert screen.watcher.state.changes == ["alerts.example.io Approval Pending → Enabled"]
        assert screen.watcher.state.delay == 60
        assert any("alerts.example.io is now Enabled" in n for n in notes(app))
        assert screen.table.get_row(sample["alerts.example.io"]).view.status == STATUS_ENABLED

        await pilot.press("w")
        await settle(pilot)
        assert not screen.watching and not screen.query_one("#activity").display


async def test_watch_backoff_caps_at_fifteen_minutes(app, sample, dns_server, clock):
    dns_server.set_zone("xn--bcher-kva.example", records_zone("xn--bcher-kva.example", {}))
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("w")
        delays = []
        for _ in range(6):
            clock.advance(screen.watcher.state.delay + 1)
            screen.watcher.tried.clear()
            screen.watcher.try_now()
            await asyncio.wait_for(screen.watcher.tried.wait(), 30)
            delays.append(screen.watcher.state.delay)
        # The first try reports bücher.example's drop (stays at 1 min), then 2, 4, 8, 15, 15.
        assert delays == [60, 120, 240, 480, 900, 900]
        await pilot.press("w")
        await settle(pilot)


async def test_watch_off_and_on_starts_over_at_one_minute(app, sample, dns_server, clock):
    """The backoff belongs to one watch session: turned off and on, it is back to 1 minute
    and the last session's report is gone."""
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("w")
        await settle_except_watch(pilot)
        clock.advance(61)
        screen.watcher.tried.clear()
        screen.watcher.try_now()
        await asyncio.wait_for(screen.watcher.tried.wait(), 30)
        await settle_except_watch(pilot)
        assert "next try in 2:00 (every 2 min)" in activity(app) and "no change" in activity(app)

        await pilot.press("w", "w")
        await settle_except_watch(pilot)
        assert screen.watching
        assert "next try in 1:00 (every 1 min)" in activity(app) and "no change" not in activity(app)
        await pilot.press("w")
        await settle(pilot)
