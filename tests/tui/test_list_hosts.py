"""The list's DNS host column: detected for the rows on screen in the background (at most
``HOST_LOOKUPS_AT_ONCE`` at a time, against the loopback DNS server of tests/tui/conftest.py),
cached for an hour by the engine, and re-read when coming back from a domain's detail."""

from __future__ import annotations

import asyncio

from core import dnshost
from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, settle
from tests.tui.seed import seed_bulk
from tui.screens.domain_detail import DomainDetailScreen
from tui.screens.domain_list import DomainListScreen
from tui.widgets.domain_columns import NOT_LOOKED_UP
from tui.widgets.domain_hosts import HOST_LOOKUPS_AT_ONCE, HostsLoaded
from tui.widgets.domain_table import DomainTable

GODADDY = {"@": [("NS", "ns01.domaincontrol.com."), ("NS", "ns02.domaincontrol.com.")]}
CLOUDFLARE = {"@": [("NS", "ada.ns.cloudflare.com."), ("NS", "bob.ns.cloudflare.com.")]}


def line_of(app, name: str) -> str:
    table = app.screen.query_one(DomainTable)
    lines = (table.render_line(y).text for y in range(table.size.height))
    return next(line for line in lines if line.startswith(name))


def ns_queries(server) -> set[str]:
    return {name.rstrip(".") for name, rtype, _proto in server.queries if rtype == "NS"}


async def test_hosts_are_detected_without_opening_any_domain(app, ctx, sample, tui_dns):
    tui_dns.set_zone("shop.example", GODADDY)
    tui_dns.set_zone("example.org", CLOUDFLARE)  # news.example.org: found at its apex
    tui_dns.set_zone("billing.example.net", {"@": [("NS", "ns1.in-house-dns.example.")]})
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DomainListScreen)
        assert line_of(app, "shop.example").rstrip().endswith("GoDaddy")
        assert line_of(app, "news.example.org").rstrip().endswith("Cloudflare")
        # Nameservers of no known provider: the engine's "unknown", as in the detail screen.
        assert line_of(app, "billing.example.net").rstrip().endswith("unknown")
        # No nameservers found (the server refused): no answer, a muted dash, no error.
        assert line_of(app, "alerts.example.io").rstrip().endswith("—")
        assert not app._notifications
        # The engine cached the answers for an hour, under its own key.
        assert dnshost.HostInfo.from_json(ctx.cache.get(dnshost.cache_key("shop.example"))).dns_host == "GoDaddy"
        # And the filter finds domains by their host.
        await pilot.press("slash", *"godaddy")
        assert [row.name for row in app.screen.table.rows] == ["shop.example"]


async def test_back_from_detail_the_row_shows_the_host_found_there(app, sample, tui_dns):
    shop = sample["shop.example"]
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        assert line_of(app, "shop.example").rstrip().endswith("—")  # no answer yet (not cached)
        tui_dns.set_zone("shop.example", GODADDY)  # published meanwhile
        app.screen.table.move_to(shop)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen)
        assert "DNS via GoDaddy" in str(app.screen.query_one("#subtitle").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DomainListScreen)
        assert line_of(app, "shop.example").rstrip().endswith("GoDaddy")


async def test_lookups_are_bounded_and_only_for_rows_on_screen(empty_app, ctx, alice, clock, tui_dns):
    seed_bulk(ctx, alice, 60, clock.now(), stats_days=0)
    names = [row.domain for row in ctx.service.list_domains(alice)]
    for name in names:
        tui_dns.set_zone(name, GODADDY)
    tui_dns.delay = 0.05  # answers overlap, so the cap is what limits them
    app = empty_app
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = app.screen.table
        on_screen = table.visible_ids()
        assert 10 < len(on_screen) < 30
        shown = {row.view.domain for row in table.rows if row.id in on_screen}
        assert ns_queries(tui_dns) == shown
        assert 1 < tui_dns.peak_in_flight <= HOST_LOOKUPS_AT_ONCE
        assert all(table.get_row(i).dns_host == "GoDaddy" for i in on_screen)
        assert all(row.dns_host is NOT_LOOKED_UP for row in table.rows if row.id not in on_screen)
        await pilot.press("end")
        await settle(pilot)
        assert table.rows[-1].dns_host == "GoDaddy"
        assert table.rows[len(on_screen) + 2].dns_host is NOT_LOOKED_UP  # never painted, never asked
        assert tui_dns.peak_in_flight <= HOST_LOOKUPS_AT_ONCE


async def test_lookups_never_block_the_ui_and_stale_or_failed_answers_are_dropped(app, ctx, sample, monkeypatch):
    gate = asyncio.Event()
    capped = asyncio.Event()  # as many lookups out as the cap allows
    calls: list[int] = []
    real = ctx.service.detect_dns_host

    async def held(user, domain_id):
        calls.append(domain_id)
        if len(calls) == HOST_LOOKUPS_AT_ONCE:
            capped.set()
        await gate.wait()
        if domain_id == sample["news.example.org"]:
            raise RuntimeError("resolver exploded")
        found = await real(user, domain_id)
        found.dns_host, found.nameservers = "Hetzner", ["hydrogen.ns.hetzner.com"]
        return found

    monkeypatch.setattr(ctx.service, "detect_dns_host", held)
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await asyncio.wait_for(capped.wait(), timeout=10)
        await pilot.pause()
        screen = app.screen
        table = screen.table
        assert len(calls) == HOST_LOOKUPS_AT_ONCE  # the cap, while the rest wait their turn
        assert line_of(app, "shop.example").rstrip().endswith("…")
        # The lookups are out; the list still answers keys.
        await pilot.press("down", "down")
        assert table.cursor_row == 2
        # An answer from before a refresh is dropped.
        old = table.host_generation
        await pilot.press("r")
        table.post_message(HostsLoaded(old, {sample["shop.example"]: "Stale"}))
        await pilot.pause()
        assert table.get_row(sample["shop.example"]).dns_host is NOT_LOOKED_UP
        gate.set()
        await settle(pilot)
        assert line_of(app, "shop.example").rstrip().endswith("Hetzner")
        assert line_of(app, "news.example.org").rstrip().endswith("—")  # failed: unknown, quietly
        assert not app._notifications
        assert len(set(calls)) == len(sample)
