"""Issue 14.12 to 14.14's smaller points: help titles in words, footers that fit, toasts clear
of buttons, checkboxes readable without colour, counts in the singular, key hints in every
modal."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Footer

from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, build_app, settle
from tests.tui.detail_support import HostApp
from tui.modals.confirm import ConfirmModal
from tui.modals.copy_text import CopyTextModal
from tui.modals.domain_form import DomainFormModal
from tui.modals.export_zone import ExportZoneModal
from tui.modals.send_test import SendTestModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.screens.help import HelpScreen, words_of

SIZES = pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])


def modals(view):
    return [
        DomainFormModal(),
        DomainFormModal(view),
        SendTestModal(view),
        ConfirmModal("Delete x?", "Sure?"),
        ExportZoneModal(view.domain, "zone text\n"),
        CopyTextModal("Copy the value", "v=spf1 -all", "tmux has set-clipboard off, so the copy may not reach your clipboard"),
    ]


def test_class_names_become_words():
    assert words_of("DomainDetailScreen") == "Domain detail" and words_of("SendTestModal") == "Send test"


async def test_the_help_title_is_in_words_on_every_screen(app, ctx, alice, sample):
    view = ctx.service.get_domain(alice, sample["shop.example"])
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        screens = [DomainDetailScreen(view.id), *modals(view)]
        for screen in screens:
            await app.push_screen(screen)
            await settle(pilot)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen), screen
            text = str(app.screen.query_one("#help-keys").render())
            first = text.splitlines()[0]
            assert first == screen.HELP_TITLE and "Screen" not in text and "Modal" not in text
            await pilot.press("escape")
            await settle(pilot)
            await app.pop_screen()
            await settle(pilot)


def footer_fits(app, width: int) -> None:
    keys = list(app.screen.query_one(Footer).query("FooterKey"))
    assert keys
    for key in keys:
        assert key.region.right <= width, (key.key_display, key.description, key.region)


@SIZES
async def test_the_footers_fit(app, sample, size):
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer_fits(app, size[0])
        app.screen.table.move_to(sample["promo.example.com"])  # Disabled: "Resume"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen)
        footer_fits(app, size[0])


def on_screen(app, widget):
    """The part of ``widget`` that is drawn (a toast scrolled out of its rack is not)."""
    geometry = app.screen.find_widget(widget)
    return geometry.region.intersection(geometry.clip)


def overlaps(a, b) -> bool:
    return a.x < b.right and b.x < a.right and a.y < b.bottom and b.y < a.bottom


async def test_toasts_do_not_cover_buttons_at_80x24(app, ctx, alice, sample):
    view = ctx.service.get_domain(alice, sample["shop.example"])
    async with app.run_test(size=SIZE_SMALL, notifications=True) as pilot:
        await settle(pilot)
        for screen in [DomainDetailScreen(view.id), *modals(view)]:
            await app.push_screen(screen)
            await settle(pilot)
            app.clear_notifications()
            for n in range(3):
                app.notify(f"A notification long enough to wrap onto a second line of its toast ({n})", title="Note")
            await pilot.pause()
            await pilot.pause()
            toasts = [on_screen(app, toast) for toast in app.screen.query("Toast")]
            toasts = [region for region in toasts if region.area]
            buttons = [b for b in app.screen.query(Button) if b.display]
            assert toasts and (buttons or isinstance(screen, CopyTextModal))
            for toast in toasts:
                for button in buttons:
                    assert not overlaps(toast, button.region), (screen, button.id, toast, button.region)
            await app.pop_screen()
            await settle(pilot)


async def test_checkboxes_read_without_colour(ctx, alice, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    view = ctx.service.create_domain(alice, {"SenderDomain": "example.com", "UnsubscribeLink": False})
    app = HostApp(ctx, alice, lambda: DomainFormModal(view))
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert app.no_color
        ticked = str(app.screen.query_one("#LinkTracking").render())
        unticked = str(app.screen.query_one("#UnsubscribeLink").render())
        assert "[X]" in ticked and "[ ]" in unticked
        app.screen.query_one("#UnsubscribeLink").toggle()
        await pilot.pause()
        assert "[X]" in str(app.screen.query_one("#UnsubscribeLink").render())


async def test_one_domain_is_singular(ctx, alice, clock):
    ctx.service.create_domain(alice, {"SenderDomain": "only.example"})
    app = build_app(ctx, alice, clock)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        summary = str(app.screen.query_one("#summary").render())
        assert "1 domain " in summary + " " and "1 domains" not in summary


async def test_every_modal_shows_its_keys(app, ctx, alice, sample):
    view = ctx.service.get_domain(alice, sample["shop.example"])
    wanted = {
        DomainFormModal: ("^s save", "esc cancel"),
        SendTestModal: ("^s send", "esc close", "enter send"),
        ConfirmModal: ("y yes", "n/esc no"),  # its buttons' words: "Yes" and "No" here
        ExportZoneModal: ("^s write", "esc cancel"),
        CopyTextModal: ("esc close",),
    }
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        for screen in modals(view):
            await app.push_screen(screen)
            await settle(pilot)
            hints = str(screen.query_one("#keys").render())
            for part in wanted[type(screen)]:
                assert part in hints, (type(screen).__name__, hints)
            await app.pop_screen()
