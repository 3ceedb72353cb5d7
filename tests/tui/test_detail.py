"""Pilot tests of the domain detail screen against a real database (no network)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import STATUS_DELETED, STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, SenderDomain
from tests.tui.detail_support import HostApp, loopback_dns, notifications, set_records, settle  # noqa: F401
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.widgets.record_table import RecordTable, badge_of


@pytest.fixture(autouse=True)
def _fast_dns(loopback_dns):
    return loopback_dns


@pytest.fixture
def domain(ctx, alice):
    return ctx.service.create_domain(alice, {"SenderDomain": "example.com"})


def host_app(ctx, user, domain_id, **kwargs):
    return HostApp(ctx, user, lambda: DomainDetailScreen(domain_id, **kwargs))


def badges(app) -> list[str]:
    return [badge_of(r) for r in app.screen.query_one(RecordTable).records]


def detail_text(app) -> str:
    return str(app.screen.query_one("#record-detail").render())


async def test_new_domain_shows_every_record_never_checked(ctx, alice, domain):
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DomainDetailScreen)
        table = screen.query_one(RecordTable)
        assert table.row_count == 5
        assert [r.host for r in table.records] == list(domain.verification_meta["DNSRecords"])
        assert badges(app) == ["never"] * 5
        assert "Approval Pending" in str(screen.query_one("#title").render())
        assert "Checked never" in str(screen.query_one("#subtitle").render())


async def test_badges_reason_and_fix_for_each_state(ctx, alice, domain):
    hosts = list(domain.verification_meta["DNSRecords"])
    checks = {
        hosts[0]: {"State": "matched", "Found": ["rp.senderdeck.example."]},
        hosts[1]: {"State": "missing", "Found": [], "Reason": "No CNAME at track-sl.example.com", "Fix": "Add the CNAME", "NegativeTTL": 300},
        hosts[2]: {"State": "mismatched", "Found": ["v=spf1 -all"], "Reason": "SPF does not include the platform", "Fix": "Add include:"},
        hosts[3]: {"State": "unknown", "Found": [], "Reason": "The resolver timed out", "Fix": "Try again later"},
    }
    set_records(domain.id, [True, False, False, False, None], checks, last_verified=ctx.clock.now() - dt.timedelta(minutes=3))
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert badges(app) == ["verified", "failed", "failed", "unknown", "never"]
        assert "Checked 3m ago" in str(app.screen.query_one("#subtitle").render())
        assert "DNS 1/5" in str(app.screen.query_one("#title").render())
        await pilot.press("down")
        text = detail_text(app)
        assert "No CNAME at track-sl.example.com" in text and "Add the CNAME" in text
        assert "300 s" in text
        await pilot.press("down")
        assert "v=spf1 -all" in detail_text(app)
        await pilot.press("down")
        assert "could not check" in detail_text(app) and "timed out" in detail_text(app)


async def test_hostile_values_are_shown_literally(ctx, alice, domain):
    hosts = list(domain.verification_meta["DNSRecords"])
    hostile = "[/x] [bold]not bold[/bold] \x1b[31mred\x07 \u202eevil"
    checks = {hosts[2]: {"State": "mismatched", "Found": [hostile], "Reason": "[/x] reason", "Fix": "[red]fix"}}
    set_records(domain.id, [None, None, False, None, None], checks)
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down")
        text = detail_text(app)
        assert "[/x] [bold]not bold[/bold] [31mred evil" in text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "[/x] reason" in text and "[red]fix" in text
        table = app.screen.query_one(RecordTable)
        found_cell = table.get_row_at(2)[3]
        assert str(found_cell).startswith("[/x] [bold]")


async def test_copy_puts_the_record_value_on_the_clipboard(ctx, alice, domain):
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        assert app.clipboard == list(domain.verification_meta["DNSRecords"].values())[2][1]


async def test_export_writes_a_bind_snippet(ctx, alice, domain, tmp_path):
    app = host_app(ctx, alice, domain.id, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        text = (tmp_path / "example.com.zone").read_text()
        assert "sl.example.com.\t3600\tIN\tCNAME\trp.senderdeck.example." in text.replace("  ", "\t") or "sl.example.com." in text
        assert text.count("\n") == 5 and "_dmarc.example.com." in text
        assert any("Wrote the records" in n for n in notifications(app))


async def test_export_failure_is_a_notification(ctx, alice, domain, tmp_path):
    app = host_app(ctx, alice, domain.id, export_dir=tmp_path / "missing" / "dir")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert any(n.startswith("Export failed") for n in notifications(app))


async def test_pause_and_resume(ctx, alice, domain):
    set_records(domain.id, [True] * 5, status=STATUS_ENABLED)
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#toggle_pause").label) == "Pause"
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_DISABLED
        assert app.screen.view.status == STATUS_DISABLED
        assert str(app.screen.query_one("#toggle_pause").label) == "Resume"
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_ENABLED
        assert any("Resumed example.com" in n for n in notifications(app))


async def test_pause_is_not_offered_for_a_pending_domain(ctx, alice, domain):
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#toggle_pause").disabled
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_PENDING


async def test_resume_of_an_unverified_paused_domain_shows_code_10(ctx, alice, domain):
    set_records(domain.id, [True, False, None, None, None], status=STATUS_DISABLED)
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_DISABLED
        assert any("Cannot enable an unverified domain" in n and "code 10" in n for n in notifications(app))
        assert not app.screen.busy


async def test_delete_asks_then_deletes_and_leaves(ctx, alice, domain):
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_PENDING
        await pilot.press("d")
        await pilot.press("y")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_DELETED
        assert not isinstance(app.screen, DomainDetailScreen)
        assert any("Deleted example.com" in n for n in notifications(app))


async def test_someone_elses_domain_is_not_found(ctx, alice, bob, domain):
    app = host_app(ctx, bob, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.view is None
        assert "Sender domain not found (code 2)" in str(app.screen.query_one("#subtitle").render())
        assert app.screen.query_one("#verify").disabled
        await pilot.press("v", "e", "d", "x")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen)


async def test_edit_subdomain_regenerates_records_and_resets_badges(ctx, alice, domain):
    set_records(domain.id, [True] * 5, status=STATUS_ENABLED)
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert badges(app) == ["verified"] * 5
        await pilot.press("e")
        assert isinstance(app.screen, DomainFormModal)
        await pilot.press(*"em")
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DomainDetailScreen)
        assert badges(app) == ["never"] * 5
        assert [r.host for r in screen.query_one(RecordTable).records][:2] == ["em.example.com", "track-em.example.com"]
        assert screen.view.status == STATUS_PENDING
        assert any(n.startswith("DNS records regenerated") for n in notifications(app))
