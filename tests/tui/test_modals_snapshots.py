"""Snapshots of every modal over the detail screen, at 80x24 and 120x36."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, build_app, settle
from tests.tui.detail_support import loopback_dns  # noqa: F401 (fixture)
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
