"""Issue 14.14: the theme and the list's sort are remembered across restarts, in a small file
in the XDG state directory (not the config file)."""

from __future__ import annotations

from tests.tui.conftest import SIZE_SMALL, build_app, settle
from tui.ui_state import UiState, default_path


def test_the_file_lives_in_the_xdg_state_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_path() == tmp_path / "senderdeck" / "tui.json"


def test_a_missing_or_broken_file_means_the_defaults(tmp_path):
    path = tmp_path / "tui.json"
    assert UiState.load(path) == UiState()
    for text in ("not json", "[1, 2]", '{"theme": 5, "sort_key": ["x"], "sort_reverse": "yes"}'):
        path.write_text(text)
        assert UiState.load(path) == UiState()
    assert UiState("nord", "status", True).save(tmp_path / "new" / "dir" / "tui.json")
    assert UiState.load(tmp_path / "new" / "dir" / "tui.json") == UiState("nord", "status", True)


def test_an_unwritable_place_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert UiState("nord").save(blocker / "tui.json") is False


async def test_theme_and_sort_survive_a_restart(ctx, alice, clock, sample, tmp_path):
    path = tmp_path / "state" / "tui.json"
    app = build_app(ctx, alice, clock, theme=None, state_path=path)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        app.theme = "nord"
        await pilot.press("s", "s", "S")  # status, then reputation, reversed
        await settle(pilot)
        assert (app.screen.table.sort_key, app.screen.table.sort_reverse) == ("reputation", True)
    assert UiState.load(path) == UiState("nord", "reputation", True)

    again = build_app(ctx, alice, clock, theme=None, state_path=path)
    async with again.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = again.screen.table
        assert again.theme == "nord"
        assert (table.sort_key, table.sort_reverse) == ("reputation", True)
        assert table.rows[0].name == "shop.example"  # 96, the best score first
        assert "Reputation▼" in table.render_line(0).text


async def test_a_theme_that_no_longer_exists_falls_back(ctx, alice, clock, tmp_path):
    path = tmp_path / "tui.json"
    UiState("no-such-theme", "no-such-column").save(path)
    app = build_app(ctx, alice, clock, theme=None, state_path=path)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark" and app.screen.table.sort_key == "domain"
