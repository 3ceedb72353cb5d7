"""Snapshots of the detail screen: every badge state, the stats tab, at 80x24 and 120x36.

Fixed clock and theme (tests/tui/conftest.py), no cursor blink, the resolver on an empty
loopback DNS server, every worker done before the shot, no toasts.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import STATUS_ENABLED, STATUS_PENDING
from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, build_app, settle
from tests.tui.detail_support import loopback_dns, set_records  # noqa: F401 (fixture)
from tui.screens.domain_detail import DomainDetailScreen

SIZES = pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])


@pytest.fixture(autouse=True)
def _fast_dns(loopback_dns):
    return loopback_dns


@pytest.fixture
def mixed(ctx, alice, clock) -> int:
    """One domain showing every badge: verified, failed (missing, mismatched), could not check, never."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "badges.example"})
    hosts = list(view.verification_meta["DNSRecords"])
    checks = {
        hosts[0]: {"State": "matched", "Found": ["rp.senderdeck.example."], "Reason": "", "Fix": ""},
        hosts[1]: {
            "State": "missing",
            "Found": [],
            "Reason": f"no record at {hosts[1]}",
            "Fix": "Add a CNAME record pointing to track.senderdeck.example.",
            "NegativeTTL": 300,
        },
        hosts[2]: {
            "State": "mismatched",
            "Found": ["v=spf1 -all [/x]"],
            "Reason": "the SPF record does not include spf.senderdeck.example",
            "Fix": "Add include:spf.senderdeck.example before the all mechanism",
        },
        hosts[4]: {"State": "unknown", "Found": [], "Reason": "the resolver did not answer in time", "Fix": "Try again in a minute"},
    }
    # The DKIM record (hosts[3]) stays never checked: its value holds this run's random key,
    # so the shots never show it in full.
    set_records(view.id, [True, False, False, None, False], checks, status=STATUS_PENDING, last_verified=clock.now() - dt.timedelta(minutes=7))
    return view.id


@pytest.fixture
def was_verified(ctx, alice, clock) -> int:
    """Every record verified earlier; the last probe got no answer for DMARC (flag kept)."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "lapsed.example"})
    hosts = list(view.verification_meta["DNSRecords"])
    checks = {host: {"State": "matched", "Found": [], "Reason": "", "Fix": ""} for host in hosts}
    checks[hosts[4]] = {"State": "unknown", "Found": [], "Reason": f"could not check {hosts[4]}: SERVFAIL", "Fix": "Try again in a minute"}
    set_records(view.id, [True] * 5, checks, status=STATUS_ENABLED, last_verified=clock.now() - dt.timedelta(minutes=2))
    return view.id


def opener(domain_id: int, *keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(DomainDetailScreen(domain_id))
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@SIZES
def test_detail_every_badge_state(snap_compare, ctx, alice, clock, mixed, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(mixed, "down"))


@SIZES
def test_detail_could_not_check_row(snap_compare, ctx, alice, clock, mixed, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(mixed, "down", "down", "down", "down"))


@SIZES
def test_detail_could_not_check_a_verified_record(snap_compare, ctx, alice, clock, was_verified, size):
    """"? could not check (was ✓)" in the table and the pane, not a bare ✓."""
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(was_verified, "down", "down", "down", "down"))


@SIZES
def test_detail_never_checked(snap_compare, ctx, alice, clock, size):
    view = ctx.service.create_domain(alice, {"SenderDomain": "new.example"})
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(view.id))


@SIZES
def test_detail_all_verified_with_reputation(snap_compare, ctx, alice, clock, sample, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(sample["shop.example"]))


@SIZES
def test_detail_stats_tab(snap_compare, ctx, alice, clock, sample, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(sample["news.example.org"], "s"))


@SIZES
def test_detail_while_verify_runs(snap_compare, ctx, alice, clock, mixed, size, monkeypatch):
    """Verify pressed and the probe held at a gate: the button greyed out, "Checking DNS…",
    the badges as they were until the answer comes (the app exits with the probe still out)."""
    import asyncio

    entered = asyncio.Event()

    async def held(user, domain_id):
        entered.set()
        await asyncio.Event().wait()  # never answers: the shot is taken mid-probe

    monkeypatch.setattr(ctx.service, "verify_domain", held)

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(DomainDetailScreen(mixed))
        await settle(pilot)
        await pilot.press("v")
        await asyncio.wait_for(entered.wait(), timeout=10)
        await pilot.pause()
        screen = pilot.app.screen
        assert screen.verifying and screen.query_one("#verify").disabled
        assert screen.check_action("verify", ()) is None
        assert "Checking DNS…" in str(screen.query_one("#subtitle").render())
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=run_before)


@SIZES
def test_detail_when_dns_did_not_answer(snap_compare, ctx, alice, clock, size):
    """Issue 14.7: the last try got no answer: "Last try …: no answer from DNS", badges "?"."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "quiet.example"})
    hosts = list(view.verification_meta["DNSRecords"])
    checks = {h: {"State": "unknown", "Found": [], "Reason": f"could not check {h}: no answer before the deadline", "Fix": "Try again in a minute"} for h in hosts}
    set_records(view.id, [None] * 5, checks, status=STATUS_PENDING, last_verified=clock.now() - dt.timedelta(minutes=1))
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(view.id))


@SIZES
def test_detail_help(snap_compare, ctx, alice, clock, sample, size):
    """Issue 14.14: the help over the detail screen is titled in words."""
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(sample["shop.example"], "f1"))


@SIZES
def test_detail_below_its_zone(snap_compare, ctx, alice, clock, loopback_dns, size):
    """Issue 14.1: shop.fabrikam.example in the zone fabrikam.example at Cloudflare (served on
    loopback): names sl.shop and shop, the SPF hint at shop, the zone named in the head."""
    from tests.core.test_zone_apex import parent_zone

    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    loopback_dns.set_zone("fabrikam.example", parent_zone())
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=opener(view.id, "down", "down"))
