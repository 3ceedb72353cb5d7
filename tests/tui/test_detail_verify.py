"""Create -> records unverified -> Verify -> badges change, against a loopback DNS server."""

from __future__ import annotations

import dns.name
import pytest

from core.models import STATUS_ENABLED, STATUS_PENDING, SenderDomain
from tests.core.dnskit import publish
from tests.tui.detail_support import HostApp, loopback_dns, notifications, settle  # noqa: F401
from tui.modals.domain_form import DomainFormModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.widgets.record_table import RecordTable, badge_of

@pytest.fixture
def dns_server(loopback_dns):
    return loopback_dns


CLOUDFLARE = {"@": [("NS", "ns1.cloudflare.com."), ("NS", "ns2.cloudflare.com.")]}


def badges(app) -> list[str]:
    return [badge_of(r) for r in app.screen.query_one(RecordTable).records]


def subtitle(app) -> str:
    return str(app.screen.query_one("#subtitle").render())


def wrong_spf(records: dict) -> dict:
    out = dict(records)
    apex = next(h for h, r in records.items() if r[1].startswith("v=spf1"))
    out[apex] = ["TXT", "v=spf1 -all"]
    return out


async def test_create_then_verify_changes_the_badges(ctx, alice, dns_server):
    app = HostApp(ctx, alice)
    async with app.run_test(size=(80, 24)) as pilot:
        created = []
        app.push_screen(DomainFormModal(), created.append)
        await pilot.pause()
        await pilot.press(*"example.com", "ctrl+s")
        await settle(pilot)
        (view,) = created
        records = view.verification_meta["DNSRecords"]
        publish(dns_server, "example.com", wrong_spf(records), CLOUDFLARE)

        app.push_screen(DomainDetailScreen(view.id))
        await settle(pilot)
        screen = app.screen
        assert badges(app) == ["never"] * 5
        assert "DNS via Cloudflare" in subtitle(app)

        dns_server.delay = 0.2  # keep the probe in flight long enough to look at the screen
        await pilot.press("v")
        assert screen.verifying
        assert screen.query_one("#verify").disabled
        assert "Checking DNS" in subtitle(app)
        await pilot.press("v")  # ignored while running
        await settle(pilot)
        dns_server.delay = 0.0
        assert not screen.verifying and not screen.query_one("#verify").disabled
        assert badges(app) == ["verified", "verified", "failed", "verified", "verified"]
        assert screen.view.status == STATUS_PENDING
        assert "Checked just now" in subtitle(app)
        await pilot.press("down", "down")
        detail = str(screen.query_one("#record-detail").render())
        assert "v=spf1 -all" in detail
        assert any(n.startswith("Not verified yet |") and "4 of 5 records verified, 1 wrong or missing" in n for n in notifications(app))

        publish(dns_server, "example.com", records, CLOUDFLARE)
        ctx.clock.advance(61)  # past the 60 s probe cache
        await pilot.press("v")
        await settle(pilot)
        assert badges(app) == ["verified"] * 5
        assert screen.view.status == STATUS_ENABLED
        assert SenderDomain.get_by_id(view.id).status == STATUS_ENABLED
        assert any(n.startswith("Verified |") for n in notifications(app))


async def test_unanswered_record_is_could_not_check_and_hints_follow_the_host(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    records = view.verification_meta["DNSRecords"]
    publish(dns_server, "example.com", {h: r for h, r in records.items() if not h.startswith("sl.")}, CLOUDFLARE)
    dns_server.servfail.add(dns.name.from_text("_dmarc.example.com"))
    app = HostApp(ctx, alice, lambda: DomainDetailScreen(view.id))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert badges(app) == ["failed", "verified", "verified", "verified", "unknown"]
        detail = str(app.screen.query_one("#record-detail").render())
        assert "At Cloudflare: name sl" in detail
        assert "DNS only" in detail
        await pilot.press("down", "down", "down", "down")
        assert "could not check" in str(app.screen.query_one("#record-detail").render())


async def test_a_verified_record_that_could_not_be_checked_says_so(ctx, alice, dns_server):
    """The engine keeps a verified flag when the next probe gets no answer; the badge must
    not go on saying ✓ as if that probe had confirmed it."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    publish(dns_server, "example.com", view.verification_meta["DNSRecords"], CLOUDFLARE)
    app = HostApp(ctx, alice, lambda: DomainDetailScreen(view.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert badges(app) == ["verified"] * 5

        dns_server.servfail.add(dns.name.from_text("_dmarc.example.com"))
        ctx.clock.advance(61)  # past the 60 s probe cache
        await pilot.press("v")
        await settle(pilot)
        table = app.screen.query_one(RecordTable)
        assert table.records[4].verified is True  # the stored flag is kept ...
        assert badges(app) == ["verified"] * 4 + ["unknown_was_verified"]  # ... but not shown as ✓
        cell = table.get_row_at(4)[4]
        assert str(cell) == "? could not check (was ✓)"
        assert table.columns["state"].width >= len(str(cell))  # the whole badge fits at 80x24
        await pilot.press("down", "down", "down", "down")
        detail = str(app.screen.query_one("#record-detail").render())
        assert "? could not check (was ✓)" in detail and "not confirmed now" in detail
        assert "✓ verified" not in detail


async def test_dns_host_unknown_lists_nameservers(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    publish(dns_server, "example.com", {}, {"@": [("NS", "ns1.boutique-host.example.")]})
    app = HostApp(ctx, alice, lambda: DomainDetailScreen(view.id))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert "DNS via unknown host (ns1.boutique-host.example)" in subtitle(app)


async def test_hostile_txt_answer_from_dns_is_shown_literally(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    records = dict(view.verification_meta["DNSRecords"])
    hostile = "v=spf1 [/x] [bold]x\x1b[2J\x07 ~all"
    records["example.com"] = ["TXT", hostile]
    publish(dns_server, "example.com", records)
    app = HostApp(ctx, alice, lambda: DomainDetailScreen(view.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert badges(app)[2] == "failed"
        await pilot.press("down", "down")
        detail = str(app.screen.query_one("#record-detail").render())
        # The engine escapes control bytes as visible text (\x1b); the screen shows that literally.
        assert "Found:    v=spf1 [/x] [bold]x" in detail
        assert "\x1b" not in detail and "\x07" not in detail
        cell = str(app.screen.query_one(RecordTable).get_row_at(2)[3])
        assert cell.startswith("v=spf1 [/x]")


@pytest.fixture
def unreachable_resolver(ctx):
    """The resolver is a loopback port where nothing listens: every lookup goes unanswered."""
    from core.localdns import free_port

    ctx.settings.nameservers = [f"127.0.0.1:{free_port()}"]
    ctx.settings.dns.timeout, ctx.settings.dns.deadline, ctx.settings.dns.retries = 0.2, 1.0, 0


async def test_verify_with_no_answer_says_it_could_not_check(ctx, alice, unreachable_resolver):
    """Issue 14.7: not "0/5 records verified" and "Checked just now"."""
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = HostApp(ctx, alice, lambda: DomainDetailScreen(view.id))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        said = notifications(app)[-1]
        assert "could not check 5 of 5 records (no answer from DNS)" in said and "0/5" not in said and "0 of 5" not in said
        assert said.startswith("Could not check |")
        assert "Last try just now: no answer from DNS" in subtitle(app) and "Checked" not in subtitle(app)
        assert SenderDomain.get_by_id(view.id).status == STATUS_PENDING
        assert badges(app) == ["unknown"] * 5


async def test_the_list_says_the_same(ctx, alice, clock, unreachable_resolver):
    from tests.tui.conftest import build_app

    ctx.service.create_domain(alice, {"SenderDomain": "example.com"})
    app = build_app(ctx, alice, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        said = notifications(app)[-1]
        assert said == ("Could not check | example.com: could not check 5 of 5 records (no answer from DNS); "
                        "status unchanged (Approval Pending). Try again in a minute.")


def test_a_partial_answer_is_told_apart():
    from core.verify import VerifyOutcome
    from tui.verify_report import verify_message

    checks = {"a": {"State": "matched"}, "b": {"State": "missing"}, "c": {"State": "unknown", "Reason": "could not check c: the nameserver answered SERVFAIL"}}
    from core.dnsrecord import DnsRecord

    outcome = VerifyOutcome(1, False, STATUS_PENDING, [DnsRecord(h, "TXT", "x") for h in checks], checks)
    title, text, severity = verify_message("x.example", STATUS_PENDING, outcome)
    assert (title, severity) == ("Not verified yet", "warning")
    assert text == "x.example: 1 of 3 records verified, 1 wrong or missing, could not check 1 (the nameserver answered SERVFAIL); still Approval Pending"


async def test_a_domain_below_its_zone_is_shown_relative_to_that_zone(ctx, alice, dns_server, tmp_path, monkeypatch):
    """Issue 14.1 on the detail screen: shop.fabrikam.example in the zone fabrikam.example at
    Cloudflare (a loopback server) — names sl.shop and shop, the hint says so, the export's
    $ORIGIN is the zone, and C copies the name as the zone wants it."""
    from textual.widgets import Input

    from tests.core.test_zone_apex import parent_zone
    from tui.modals.export_zone import ExportZoneModal

    for name in ("TMUX", "STY"):
        monkeypatch.delenv(name, raising=False)
    view = ctx.service.create_domain(alice, {"SenderDomain": "shop.fabrikam.example"})
    dns_server.set_zone("fabrikam.example", parent_zone())
    app = HostApp(ctx, alice, lambda: DomainDetailScreen(view.id, export_dir=tmp_path))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RecordTable)
        names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert names == ["sl.shop", "track-sl.shop", "shop", "sd1._domainkey.shop", "_dmarc.shop"]
        assert "in the zone fabrikam.example" in str(app.screen.query_one("#title").render()) and "DNS via Cloudflare" in subtitle(app)
        await pilot.press("down", "down")  # the SPF record
        detail = str(app.screen.query_one("#record-detail").render())
        assert "At Cloudflare: name shop" in detail and "name @" not in detail
        await pilot.press("v")
        await settle(pilot)
        detail = str(app.screen.query_one("#record-detail").render())
        assert "Add a TXT record at `shop`" in detail
        await pilot.press("C")
        assert app.clipboard == "shop"
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExportZoneModal) and app.screen.query_one("#path", Input).value == "./shop.fabrikam.example.zone"
        await pilot.press("ctrl+s")
        await settle(pilot)
    text = (tmp_path / "shop.fabrikam.example.zone").read_text()
    assert text.startswith("$ORIGIN fabrikam.example.\nsl.shop\t") and "\nshop\t3600\tIN\tTXT\t" in text
