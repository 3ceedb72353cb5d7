"""Issue 14.4: keys typed during a screen change are neither lost nor land in the wrong screen.

``burst`` hands every key to the app at once, as a terminal does with a paste or a burst of
input over SSH; ``pilot.press`` waits for the app to go idle after each key. Both must give
the same result.
"""

from __future__ import annotations

import pytest

from core.models import SenderDomain
from tests.tui.conftest import SIZE_SMALL, burst, settle
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.screens.domain_list import DomainListScreen
from tui.screens.help import HelpScreen


async def send(pilot, how: str, *keys: str) -> None:
    if how == "burst":
        burst(pilot, *keys)
    else:
        await pilot.press(*keys)
    await settle(pilot)


HOW = pytest.mark.parametrize("how", ["burst", "press"])


@HOW
async def test_letters_typed_right_after_n_go_into_the_domain_field(app, how):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await send(pilot, how, "n", *"acme.com")
        assert isinstance(app.screen, DomainFormModal)
        assert app.screen.domain_input.value == "acme.com"


@HOW
async def test_enter_escape_enter_escape_ends_on_the_list(app, how):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await send(pilot, how, "enter", "escape", "enter", "escape")
        assert isinstance(app.screen, DomainListScreen)
        assert len(app.screen_stack) == 2  # the default screen and the list: no detail left behind


@HOW
async def test_enter_then_keys_for_the_detail_screen(app, sample, how):
    """Enter opens the domain, s switches that screen's tab at once."""
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await send(pilot, how, "enter", "s")
        screen = app.screen
        assert isinstance(screen, DomainDetailScreen)
        assert screen.query_one("#tabs").active == "stats-tab"


@HOW
async def test_filter_enter_then_delete_acts_on_the_match(app, sample, how):
    """/ then a name, enter, d, y in one go: the typed text filters, enter leaves the filter,
    d asks about the match and y deletes it; nothing is typed into the filter after enter."""
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await send(pilot, how, "slash", *"promo", "enter", "d", "y")
        screen = app.screen
        assert isinstance(screen, DomainListScreen)
        assert screen.filter_input.value == "promo"
        assert SenderDomain.get_by_id(sample["promo.example.com"]).status == "Deleted"
        assert SenderDomain.get_by_id(sample["shop.example"]).status == "Enabled"


@HOW
async def test_help_then_escape_then_new(app, how):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await send(pilot, how, "question_mark", "escape", "n", *"x.example", "escape")
        assert isinstance(app.screen, DomainListScreen)
        assert not any(isinstance(s, (HelpScreen, DomainFormModal)) for s in app.screen_stack)


@HOW
async def test_delete_question_answered_at_once_leaves_the_next_key_to_the_list(app, sample, how):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(sample["shop.example"])
        await send(pilot, how, "d", "n", "slash", *"bü")
        screen = app.screen
        assert isinstance(screen, DomainListScreen) and not isinstance(screen, ConfirmModal)
        assert SenderDomain.get_by_id(sample["shop.example"]).status == "Enabled"
        assert screen.filter_input.value == "bü"


@HOW
async def test_an_escape_joined_to_the_next_key_acts_as_both(app, sample, how):
    """tmux (escape-time) and SSH bursts deliver "escape n" as one Alt key, alt+n: the escape
    still closes what is open (help, the form) and the n still opens the new-domain form."""
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await send(pilot, how, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await send(pilot, how, "alt+n")  # what the terminal made of escape, n
        assert isinstance(app.screen, DomainFormModal)
        await send(pilot, how, *"acme.com", "alt+n")  # escape leaves the form; n opens it again
        assert isinstance(app.screen, DomainFormModal) and app.screen.domain_input.value == ""
        assert not any(isinstance(s, HelpScreen) for s in app.screen_stack)
