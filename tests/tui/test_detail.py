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


def osc52(app) -> list[str]:
    """What the app asked the terminal to copy (OSC 52), decoded."""
    import base64

    out = []
    for data in getattr(app, "_written", []):
        if data.startswith("\x1b]52;c;"):
            out.append(base64.b64decode(data[len("\x1b]52;c;") :].rstrip("\a")).decode())
    return out


def record_writes(app) -> None:
    app._written = []
    real = app._driver.write

    def write(data: str) -> None:
        app._written.append(data)
        real(data)

    app._driver.write = write


@pytest.fixture
def no_multiplexer(monkeypatch):
    for name in ("TMUX", "STY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")


async def test_c_copies_the_value_and_shift_c_the_name(ctx, alice, domain, no_multiplexer):
    """Issue 14.13: c the value, C the name (relative to the zone, @ for its apex)."""
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        record_writes(app)
        await pilot.press("down", "down", "c")
        value = list(domain.verification_meta["DNSRecords"].values())[2][1]
        assert app.clipboard == value and osc52(app) == [value]
        await pilot.press("C")
        assert app.clipboard == "@"
        await pilot.press("up", "C")
        assert app.clipboard == "track-sl" and osc52(app)[-1] == "track-sl"
        assert any("Copied the name of the CNAME record track-sl" in n for n in notifications(app))


async def test_when_tmux_blocks_the_clipboard_the_text_is_shown_to_select(ctx, alice, domain, tmp_path, monkeypatch):
    """tmux with set-clipboard off drops OSC 52: say so and show the text selectable."""
    from textual.widgets import TextArea

    from tui.modals.copy_text import CopyTextModal

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tmux = bin_dir / "tmux"
    tmux.write_text('#!/bin/sh\n[ "$*" = "show-options -gv set-clipboard" ] && echo off\n')
    tmux.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{__import__('os').environ['PATH']}")
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, CopyTextModal)
        value = list(domain.verification_meta["DNSRecords"].values())[2][1]
        assert modal.query_one(TextArea).text == value
        assert "tmux has set-clipboard off" in str(modal.query_one("#why").render())
        assert modal.query_one(TextArea).has_focus
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, CopyTextModal)


async def test_export_asks_where_then_writes(ctx, alice, domain, tmp_path):
    from tui.modals.export_zone import ExportZoneModal

    app = host_app(ctx, alice, domain.id, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExportZoneModal)
        assert app.screen.path_input.value == "./example.com.zone"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ExportZoneModal)
        text = (tmp_path / "example.com.zone").read_text()
        assert "_dmarc" in text and "rp.senderdeck.example." in text
        assert any("Wrote 5 records to" in n and "example.com.zone" in n for n in notifications(app))


async def test_export_never_overwrites_silently(ctx, alice, domain, tmp_path):
    target = tmp_path / "example.com.zone"
    target.write_text("keep me\n")
    app = host_app(ctx, alice, domain.id, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        modal = app.screen
        assert "exists" in str(modal.query_one("#note").render()) and target.read_text() == "keep me\n"
        await pilot.press("end", "backspace", *"e")  # a change of path asks again
        await pilot.press("enter")
        await settle(pilot)
        assert target.read_text() == "keep me\n" and app.screen is modal
        await pilot.press("enter")  # the second time: replace
        await settle(pilot)
        assert "_dmarc" in target.read_text()


async def test_export_failure_stays_in_the_dialog(ctx, alice, domain, tmp_path):
    app = host_app(ctx, alice, domain.id, export_dir=tmp_path / "missing" / "dir")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Could not write" in str(app.screen.query_one("#note").render())


async def test_pause_and_resume(ctx, alice, domain):
    set_records(domain.id, [True] * 5, status=STATUS_ENABLED)
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#toggle_pause").label) == "p Pause"
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_DISABLED
        assert app.screen.view.status == STATUS_DISABLED
        assert str(app.screen.query_one("#toggle_pause").label) == "p Resume"
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
        assert any("Only an Enabled domain can be paused" in n for n in notifications(app))


async def test_resume_of_an_unverified_paused_domain_offers_to_verify_now(ctx, alice, domain, loopback_dns):
    """Issue 14.2 on the detail screen: the same rule and the same question as the list; with
    the records published, verifying turns the domain Enabled."""
    from tests.core.dnskit import publish

    set_records(domain.id, [True, False, None, None, None], status=STATUS_DISABLED)
    app = host_app(ctx, alice, domain.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert str(app.screen.query_one("#toggle_pause").label) == "p Resume"
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal) and "Verify now?" in str(app.screen.query_one("#message").render())
        publish(loopback_dns, "example.com", domain.verification_meta["DNSRecords"])
        await pilot.press("y")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain.id).status == STATUS_ENABLED
        assert app.screen.view.status == STATUS_ENABLED
        assert any("is now Enabled: every record verified" in n for n in notifications(app))
        assert not any("code 10" in n or "Cannot enable" in n for n in notifications(app))
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
        assert "Sender domain not found" == str(app.screen.query_one("#subtitle").render())
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
