"""Snapshots of the domain list at 80×24 and 120×36: fixed clock (2026-05-23 09:11), fixed
theme, seeded temp database, no cursor blink, workers awaited before the shot."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import ProgressBar

from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, settle, settle_except_watch


def test_list_small(snap_compare, app):
    assert snap_compare(app, terminal_size=SIZE_SMALL, run_before=settle)


def test_list_large(snap_compare, app, ctx):
    ctx.cache.set("dnshost:shop.example", {"Apex": "shop.example", "DnsHost": "Cloudflare", "Nameservers": ["a.ns.cloudflare.com"]}, 3600)
    ctx.cache.set("dnshost:news.example.org", {"Apex": "example.org", "DnsHost": "[/x] Route 53", "Nameservers": ["ns-1.awsdns-1.org"]}, 3600)

    async def run_before(pilot):
        await settle(pilot)
        await settle(pilot)  # DNS hosts are read for the rows once they are painted

    assert snap_compare(app, terminal_size=SIZE_LARGE, run_before=run_before)


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_list_empty_state(snap_compare, empty_app, size):
    assert snap_compare(empty_app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_list_while_verify_all_runs(snap_compare, app, ctx, monkeypatch, size):
    """Verify all pending pressed, its first batch held at a gate (as screenshots/make.py
    does): the progress bar at 0, the pending rows "checking", the key greyed out. The app
    exits with the batch still out."""
    entered = asyncio.Event()

    async def held(user, batch=25):
        entered.set()
        await asyncio.Event().wait()  # never answers: the shot is taken mid-batch

    monkeypatch.setattr(ctx.service, "verify_pending", held)

    async def run_before(pilot) -> None:
        await settle(pilot)
        await settle(pilot)  # DNS hosts of the rows on screen (120x36 shows the column)
        await pilot.press("V")
        await asyncio.wait_for(entered.wait(), timeout=10)
        await pilot.pause()
        screen = pilot.app.screen
        pending = {r.id for r in screen.table.all_rows if r.view.status == "Approval Pending"}
        assert pending and screen.table.busy_ids == pending
        assert screen.bulk_running and screen.check_action("verify_all", ()) is None
        bar = screen.query_one("#activity-progress", ProgressBar)
        assert bar.display and bar.total == len(pending) and bar.progress == 0
        assert f"Verifying {len(pending)} pending domains…" in str(screen.query_one("#activity-text").render())
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_list_filtered_pending_sorted_by_dns(snap_compare, app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f", "f")  # status filter: Approval Pending
        pilot.app.screen.action_sort_by("dns")
        await pilot.press("slash", *"e")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE_SMALL, run_before=run_before)


def test_list_no_match_shows_markup_literally(snap_compare, app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash", *"[/x]")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE_SMALL, run_before=run_before)


def test_list_watch_mode(snap_compare, app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("w")
        await settle_except_watch(pilot)

    assert snap_compare(app, terminal_size=SIZE_SMALL, run_before=run_before)


def test_help_small(snap_compare, app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE_SMALL, run_before=run_before)


def test_help_large(snap_compare, app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE_LARGE, run_before=run_before)


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_list_filter_tokens(snap_compare, app, size):
    """Issue 14.14 and 13.1: a bare word without its accent, and field tokens."""

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("slash", *"bucket:poor status:dis", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_list_header_all_tenants_in_demo_mode(snap_compare, ctx, alice, clock, sample, size):
    """Issue 14.8 and 13.1: the header of the operator's view (every tenant's domains, an Owner column)."""
    from tests.tui.conftest import build_app

    ctx.settings.demo = True
    app = build_app(ctx, None, clock, database_label="postgresql://ops:***@db.internal:5432/senderdeck")
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_list_while_reloading(snap_compare, app, ctx, size, monkeypatch):
    """Issue 14.9: r keeps the table and says so on the activity line."""
    import threading

    gate = threading.Event()
    real = ctx.service.domain_rows

    def held(*args, **kwargs):
        gate.wait(30)
        return real(*args, **kwargs)

    async def run_before(pilot):
        await settle(pilot)
        monkeypatch.setattr(ctx.service, "domain_rows", held)
        await pilot.press("r")
        await pilot.pause()
        assert pilot.app.screen.reloading

    try:
        assert snap_compare(app, terminal_size=size, run_before=run_before)
    finally:
        gate.set()
