"""Snapshots of every modal over the detail screen, at 80x24 and 120x36."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, build_app, settle
from tests.tui.detail_support import loopback_dns, relay  # noqa: F401 (fixtures)
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.modals.send_test import SendTestModal

SIZES = pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])


@pytest.fixture(autouse=True)
def _fast_dns(loopback_dns):
    return loopback_dns


@pytest.fixture
def view(ctx, alice):
    return ctx.service.create_domain(alice, {"SenderDomain": "example.com", "CustomSubdomain": "em"})


def showing(make_modal, *keys: str, fill: dict | None = None):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(make_modal())
        await settle(pilot)
        for selector, text in (fill or {}).items():
            pilot.app.screen.query_one(selector, Input).focus()
            await pilot.press(*text)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@SIZES
def test_confirm_delete(snap_compare, ctx, alice, clock, size):
    modal = lambda: ConfirmModal("Delete bücher.example?", "bücher.example stops sending as its own domain; its stats are kept.", confirm_label="Delete")  # noqa: E731
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(modal))


@SIZES
def test_create_form_empty(snap_compare, ctx, alice, clock, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(DomainFormModal))


@SIZES
def test_create_form_with_errors(snap_compare, ctx, alice, clock, size):
    fill = {"#domain": "localhost", "#CustomSubdomain": "-em", "#CustomTrackPrefix": "a_b"}
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(DomainFormModal, fill=fill))


@SIZES
def test_create_form_idn(snap_compare, ctx, alice, clock, size):
    fill = {"#domain": "bücher.example"}
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(DomainFormModal, fill=fill))


@SIZES
def test_edit_form(snap_compare, ctx, alice, clock, view, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(lambda: DomainFormModal(view)))


@SIZES
def test_send_test_empty(snap_compare, ctx, alice, clock, view, size):
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(lambda: SendTestModal(view)))


@SIZES
def test_send_test_error(snap_compare, ctx, alice, clock, view, size):
    fill = {"#to": "not-an-address"}
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(lambda: SendTestModal(view), "ctrl+s", fill=fill))



class PinnedSecrets:
    """Stands in for ``secrets`` in core.mailer: the Message-ID's 8 random digits are fixed
    (its time part comes from the frozen clock), so the shot is the same on every run."""

    @staticmethod
    def randbelow(n: int) -> int:
        return 12345678 % n


@SIZES
def test_send_test_sent(snap_compare, ctx, alice, clock, view, relay, size, monkeypatch):
    """A real send through the loopback relay: the modal shows recipient, subject and the
    Message-ID the relay received."""
    import core.mailer

    monkeypatch.setattr(core.mailer, "secrets", PinnedSecrets)
    fill = {"#to": "ops@example.net", "#subject": "Hello [/x]"}
    shown = showing(lambda: SendTestModal(view), "ctrl+s", fill=fill)

    async def run_before(pilot) -> None:
        await shown(pilot)
        (received,) = relay.messages
        outcome = str(pilot.app.screen.query_one("#outcome").render())
        message_id = received.message["Message-ID"].strip("<>").split("@")[0]
        assert received.rcpt_tos == ["ops@example.net"] and received.message["Subject"] == "Hello [/x]"
        assert message_id.endswith(".12345678")
        assert f"Message-ID: {message_id}" in outcome and "Sent to ops@example.net" in outcome

    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=run_before)


@SIZES
def test_send_test_in_demo_mode(snap_compare, ctx, alice, clock, view, size):
    """Issue 14.12: demo mode is said before anything is typed; Send is off."""
    ctx.settings.demo = True
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(lambda: SendTestModal(view)))


@SIZES
def test_create_form_without_colour(snap_compare, ctx, alice, clock, size, monkeypatch):
    """Issue 14.14: under NO_COLOR the boxes read [X] and [ ]."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(DomainFormModal))


@SIZES
def test_export_asks_before_replacing(snap_compare, ctx, alice, clock, view, size, tmp_path, monkeypatch):
    """Issue 14.13: x asks where (./<domain>.zone) and never replaces a file silently."""
    from tui.modals.export_zone import ExportZoneModal

    monkeypatch.chdir(tmp_path)
    (tmp_path / "example.com.zone").write_text("kept\n")
    modal = lambda: ExportZoneModal("example.com", "zone\n")  # noqa: E731
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(modal, "enter"))


@SIZES
def test_copy_by_hand(snap_compare, ctx, alice, clock, size):
    """Issue 14.13: when tmux drops the copy, the text is shown to select."""
    from tui.modals.copy_text import CopyTextModal

    modal = lambda: CopyTextModal(  # noqa: E731
        "Copy the TXT value of shop", "v=spf1 include:spf.senderdeck.example ~all",
        "tmux has set-clipboard off, so the copy may not reach your clipboard",
    )
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(modal))


@SIZES
def test_resume_asks_to_verify_now(snap_compare, ctx, alice, clock, view, size):
    """Issue 14.2: resuming a paused domain whose records are not all verified asks, in the
    UI's words, "Verify now?"."""
    from core.models import SenderDomain
    from tui.resume import question

    SenderDomain.update(status="Disabled").where(SenderDomain.id == view.id).execute()
    paused = ctx.service.get_domain(alice, view.id)
    assert snap_compare(build_app(ctx, alice, clock), terminal_size=size, run_before=showing(lambda: question(paused)))
