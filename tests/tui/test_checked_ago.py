""""Checked X ago" keeps up with ``app.clock`` while a screen stays open, from a timer,
without reading the database again. The timers run at test speed (their interval is
patched); each test waits for the timer to fire, never for a fixed time."""

from __future__ import annotations

import asyncio

from tests.tui.conftest import SIZE_SMALL, settle
from tui.screens import domain_detail
from tui.screens.domain_detail import DomainDetailScreen
from tui.screens.domain_list import DomainListScreen


def fired(monkeypatch, cls, name: str) -> asyncio.Event:
    """An event set each time ``cls.name`` (a timer callback) has run."""
    event = asyncio.Event()
    original = getattr(cls, name)

    def wrapper(self, *args):
        result = original(self, *args)
        event.set()
        return result

    monkeypatch.setattr(cls, name, wrapper)
    return event


def reads(monkeypatch, ctx) -> list[int]:
    calls: list[int] = []
    original = ctx.service.get_domain

    def counting(user, domain_id):
        calls.append(domain_id)
        return original(user, domain_id)

    monkeypatch.setattr(ctx.service, "get_domain", counting)
    return calls


def screen_text(app) -> str:
    return app.export_screenshot().replace("&#160;", " ")


async def test_detail_checked_ago_moves_on_while_open(app, ctx, clock, sample, monkeypatch):
    monkeypatch.setattr(domain_detail, "AGO_REFRESH_SECONDS", 0.05)
    tick = fired(monkeypatch, DomainDetailScreen, "_refresh_ago")
    calls = reads(monkeypatch, ctx)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.push_screen(DomainDetailScreen(sample["shop.example"]))
        await settle(pilot)
        subtitle = app.screen.query_one("#subtitle")
        assert "Checked 3m ago" in str(subtitle.render())
        loads = len(calls)
        clock.advance(2 * 3600)
        tick.clear()
        await asyncio.wait_for(tick.wait(), timeout=10)
        await pilot.pause()
        assert "Checked 2h ago" in str(subtitle.render())
        assert "Checked 2h ago" in screen_text(app)
        assert len(calls) == loads  # redrawn, not reloaded


async def test_list_checked_ago_moves_on_while_open(app, ctx, clock, monkeypatch):
    tick = fired(monkeypatch, DomainListScreen, "_tick")
    calls = reads(monkeypatch, ctx)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert "3m ago" in screen_text(app)
        loads = len(calls)
        clock.advance(2 * 3600)
        tick.clear()
        await asyncio.wait_for(tick.wait(), timeout=10)
        await pilot.pause()
        text = screen_text(app)
        assert "2h ago" in text and "3m ago" not in text
        assert len(calls) == loads
