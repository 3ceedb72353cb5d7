"""The ``senderdeck`` command's TUI path: flags reach the app built by ``make_app``
(``App.run`` is replaced, so nothing takes over the terminal)."""

from __future__ import annotations

import os

import pytest

from tests.tui.conftest import SIZE_SMALL


@pytest.fixture
def opened(tmp_path, monkeypatch):
    """Run ``main(argv)`` and return the app it would have run."""
    from tui.app import SenderdeckApp

    for key in [k for k in os.environ if k.startswith("SENDERDECK_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    apps: list[SenderdeckApp] = []
    monkeypatch.setattr(SenderdeckApp, "run", lambda self, *a, **k: apps.append(self))

    def run(*argv: str) -> SenderdeckApp:
        from tui.__main__ import main

        assert main(["--database", f"sqlite:///{tmp_path / 'cli.db'}", "--nameserver", "127.0.0.1:1", *argv]) == 0
        assert len(apps) == 1
        return apps.pop()

    return run


async def test_watch_flag_opens_the_list_with_watch_mode_on(opened):
    from tui.screens.domain_list import DomainListScreen

    assert opened().start_watching is False
    app = opened("--watch")
    assert app.start_watching is True
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DomainListScreen) and screen.watching
        assert "Watch" in str(screen.query_one("#activity-text").render())


def test_watch_flag_is_for_the_tui_only(capsys):
    from tui.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["--watch", "api", "list"])
    assert exit_.value.code == 2
    assert "--watch applies to the terminal UI" in capsys.readouterr().err


def test_demo_takes_the_watch_flag_too(opened, tmp_path):
    app = opened("--watch", "demo", "--no-dns")
    assert app.start_watching is True and app.ctx.settings.demo is True


def test_run_app_as_the_demo_command_calls_it(ctx, alice, monkeypatch):
    """``senderdeck demo`` calls ``run_app(ctx, user)`` with no options (tests/core/test_demo.py
    replaces run_app, so this is where that call form runs): the app is built from that
    context and user, watch mode off, and its return code comes back."""
    from tui.app import SenderdeckApp, run_app

    apps: list[SenderdeckApp] = []

    def run(self, *args, **kwargs):
        apps.append(self)
        self._return_code = 3  # what App.exit(return_code=3) would leave behind

    monkeypatch.setattr(SenderdeckApp, "run", run)
    assert run_app(ctx, alice) == 3
    (app,) = apps
    assert app.ctx is ctx and app.service is ctx.service and app.user is alice
    assert app.start_watching is False
