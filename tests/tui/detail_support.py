"""Helpers for the detail-screen and modal tests: a small host app until tui/app.py's make_app lands."""

from __future__ import annotations

import pytest
from textual.app import App


class HostApp(App):
    """An app that carries the injected service, user and clock and shows one screen."""

    def __init__(self, ctx, user, screen_factory=None) -> None:
        super().__init__()
        self.service = ctx.service
        self.user = user
        self.clock = ctx.clock
        self.ctx = ctx
        self._factory = screen_factory

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self._factory is not None:
            self.push_screen(self._factory())


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
