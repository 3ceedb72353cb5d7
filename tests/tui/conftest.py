"""TUI fixtures: a seeded temp SQLite database, a frozen clock, a fixed theme and size, and
the app built by ``make_app`` exactly as the CLI builds it.

``app`` has the sample domains (tests/tui/seed.py); ``empty_app`` has none. Both use the
root conftest's ``ctx`` (temp SQLite file, FixedClock at 2026-05-23 09:11) and ``alice``,
with the resolver pointed at ``tui_dns``: an in-process loopback DNS server, empty unless a
test publishes zones on it, so every lookup is answered at once (REFUSED for names it does
not serve) and nothing reaches the public network or waits for a timeout.

Snapshot tests: ``snap_compare(app, terminal_size=SIZE_SMALL, run_before=settle)``.
"""

from __future__ import annotations

import pytest

from core.localdns import LocalDNS
from tests.core.dnskit import FAST
from tests.tui.seed import seed_sample

THEME = "textual-dark"
SIZE_SMALL = (80, 24)
SIZE_LARGE = (120, 36)
# The header shows this for the temp databases (their paths change from run to run).
DATABASE_LABEL = "~/.local/share/senderdeck/senderdeck.db"


async def settle(pilot) -> None:
    """Wait until every worker is done and the screen has repainted (no sleeps)."""
    from textual.worker import WorkerFailed

    app = pilot.app
    for _ in range(10):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # a failed worker is reported by the app; tests check the notification
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.wait_for_scheduled_animations()


async def settle_except_watch(pilot) -> None:
    """``settle`` for an app in watch mode, whose watch worker never finishes by design."""
    from textual.worker import WorkerFailed

    app = pilot.app
    for _ in range(20):
        others = [w for w in app.workers if w.group != "list-watch" and w.is_running]
        if not others:
            break
        try:
            await app.workers.wait_for_complete(others)
        except WorkerFailed:
            pass
        await pilot.pause()
    await pilot.pause()


def burst(pilot, *keys: str) -> None:
    """Send ``keys`` the way a terminal delivers a paste or a burst over SSH: every key event
    handed to the app at once, with no pause for the app to catch up in between (unlike
    ``pilot.press``, which waits for the app to go idle after each key)."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    specials = {"enter": "\r", "escape": "\x1b", "tab": "\t", "space": " ", "backspace": "\x7f"}
    for key in keys:
        char = specials.get(key, key if len(key) == 1 else None)
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


def build_app(ctx, user, clock, **kwargs):
    from tui.app import make_app

    kwargs.setdefault("theme", THEME)
    kwargs.setdefault("cursor_blink", False)
    kwargs.setdefault("database_label", DATABASE_LABEL)
    return make_app(ctx, user, clock=clock, **kwargs)


@pytest.fixture
def tui_dns():
    """A loopback DNS server for this test (under a millisecond to start); empty: it answers
    REFUSED until a test publishes zones on it (``tests.core.dnskit.publish``)."""
    with LocalDNS() as server:
        yield server


@pytest.fixture
def settings(settings, backend, tui_dns):  # naming `backend` keeps the per-backend parametrisation
    """The root ``settings`` with the resolver on ``tui_dns`` (the root points at 127.0.0.1:1,
    where a lookup waits for its timeout)."""
    settings.nameservers = [tui_dns.address]
    settings.dns.timeout = FAST["timeout"]
    settings.dns.deadline = FAST["deadline"]
    settings.dns.retries = FAST["retries"]
    return settings


@pytest.fixture
def sample(ctx, alice, clock) -> dict[str, int]:
    """The sample domains for alice: {ascii domain: id}."""
    return seed_sample(ctx, alice, clock.now())


@pytest.fixture
def app(ctx, alice, clock, sample):
    return build_app(ctx, alice, clock)


@pytest.fixture
def empty_app(ctx, alice, clock):
    return build_app(ctx, alice, clock)
