"""Helpers for the detail-screen and modal tests: a small host app until tui/app.py's make_app lands."""

from __future__ import annotations

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
