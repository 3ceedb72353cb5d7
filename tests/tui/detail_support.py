"""Helpers for the detail-screen and modal tests: the app as ``make_app`` builds it, opened on
one screen instead of the list."""

from __future__ import annotations

from pathlib import Path

import pytest

import tui.app
from tests.tui.conftest import DATABASE_LABEL
from tui.app import SenderdeckApp


class HostApp(SenderdeckApp):
    """The real app (injected service, user and clock), showing the screen ``screen_factory``
    builds instead of the domain list (none: an empty screen to push onto)."""

    CSS_PATH = str(Path(tui.app.__file__).with_name("app.tcss"))  # relative paths follow the subclass

    def __init__(self, ctx, user, screen_factory=None) -> None:
        super().__init__(ctx, user, clock=ctx.clock, theme="textual-dark", cursor_blink=False, database_label=DATABASE_LABEL)
        self._factory = screen_factory

    def first_screen(self):
        return self._factory() if self._factory is not None else None


async def settle(pilot, rounds: int = 20) -> None:
    """Wait until no worker is running and the messages they posted are handled."""
    app = pilot.app
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            await pilot.pause()
            return
    raise AssertionError("workers did not settle")


def notifications(app) -> list[str]:
    return [f"{n.title} | {n.message}" for n in app._notifications]


def set_records(domain_id: int, flags, checks: dict | None = None, status: str | None = None, last_verified=None) -> None:
    """Write verified flags / Checks as verification would (flags: list of True/False/None)."""
    from core.models import SenderDomain

    row = SenderDomain.get_by_id(domain_id)
    meta = dict(row.verification_meta or {})
    records = {}
    for (host, record), flag in zip(meta["DNSRecords"].items(), flags):
        records[host] = list(record[:2]) if flag is None else [record[0], record[1], flag]
    meta["DNSRecords"] = records
    if checks is not None:
        meta["Checks"] = checks
    fields = {"verification_meta": meta}
    if status:
        fields["status"] = status
    if last_verified is not None:
        fields["last_verified_at"] = last_verified
    SenderDomain.update(**fields).where(SenderDomain.id == domain_id).execute()


@pytest.fixture
def loopback_dns(tui_dns):
    """The service's resolver's loopback DNS server (tests/tui/conftest.py's ``tui_dns``):
    empty, so every lookup is answered at once (REFUSED) and "DNS via" and verify never wait
    for timeouts. Yields the server."""
    return tui_dns


@pytest.fixture
def relay(ctx):
    """aiosmtpd on loopback; the service sends through it. It refuses nobody@example.net,
    for the refused-recipient flow."""
    from tests.core.smtp_server import LoopbackController, RecordingHandler

    handler = RecordingHandler(refuse={"nobody@example.net"})
    controller = LoopbackController(handler)
    controller.start()
    ctx.settings.smtp.host = "127.0.0.1"
    ctx.settings.smtp.port = controller.port
    ctx.settings.smtp.security = "none"
    ctx.settings.smtp.timeout = 5.0
    yield handler
    controller.stop()
