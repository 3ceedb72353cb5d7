"""Issue 13.1 and 13.2 in the TUI: the operator's view over every tenant's domains (Owner
column, the header's "all tenants", summary across tenants, user: filter), actions as the
domain's owner recorded in its history, marking rows and one action on the marked ones,
suspension with its reason and the History tab. Real SQLite file, real engine."""

from __future__ import annotations

import argparse

import pytest

from core import history
from core.models import STATUS_DISABLED, STATUS_ENABLED, STATUS_PENDING, STATUS_SUSPENDED, SenderDomain
from core.operator import OperatorActions
from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, build_app, settle
from tests.tui.seed import seed_sample
from tui.cli.common import resolve_viewer
from tui.modals.confirm import ConfirmModal
from tui.modals.domain_form import DomainFormModal
from tui.modals.reason import ReasonModal
from tui.screens.domain_detail import DomainDetailScreen
from tui.screens.domain_list import DomainListScreen

ACTOR = "ops-anna"


@pytest.fixture
def tenants(ctx, alice, bob, clock):
    """alice's sample domains, and three of bob's (one of them a name alice has too)."""
    ids = {f"alice/{name}": domain_id for name, domain_id in seed_sample(ctx, alice, clock.now()).items()}
    for name in ("shop.example", "bob-mail.example", "zeta.example"):
        ids[f"bob/{name}"] = ctx.service.create_domain(bob, {"SenderDomain": name}).id
    return ids


@pytest.fixture
def operator_app(ctx, clock, tenants):
    return build_app(ctx, None, clock, actor=ACTOR)


def rows(app) -> list[tuple[str, str]]:
    return [(row.name, row.owner) for row in app.screen.table.rows]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def events(domain_id: int) -> list[tuple[str, str, str | None]]:
    return [(e.action, e.actor, e.reason) for e in history.history(domain_id)]


def test_a_database_with_several_users_opens_every_tenants_domains(ctx, alice, bob, monkeypatch):
    monkeypatch.delenv("SENDERDECK_USER", raising=False)
    monkeypatch.delenv("SENDERDECK_API_KEY", raising=False)
    args = argparse.Namespace(api_key=None, user=None)
    assert resolve_viewer(ctx, args) is None  # every tenant's
    assert resolve_viewer(ctx, argparse.Namespace(api_key=None, user="bob")).id == bob.id  # --user narrows
    assert resolve_viewer(ctx, argparse.Namespace(api_key=alice.api_key, user=None)).id == alice.id


def test_a_database_with_one_user_opens_that_users_domains(ctx, alice, monkeypatch):
    monkeypatch.delenv("SENDERDECK_USER", raising=False)
    monkeypatch.delenv("SENDERDECK_API_KEY", raising=False)
    assert resolve_viewer(ctx, argparse.Namespace(api_key=None, user=None)).id == alice.id


async def test_every_tenants_rows_with_their_owner_and_the_summary_across_tenants(operator_app, tenants):
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        app = operator_app
        shown = rows(app)
        assert len(shown) == len(tenants) == 12
        assert ("shop.example", "alice") in shown and ("shop.example", "bob") in shown
        assert "all tenants" in text_of(app, "#context")
        header = str(app.screen.table.render_line(0).text)
        assert "Owner" in header
        line = next(str(app.screen.table.render_line(y).text) for y in range(1, 14) if "bob-mail.example" in str(app.screen.table.render_line(y).text))
        assert "bob" in line
        summary = text_of(app, "#summary")
        assert "12 domains" in summary and "6 pending" in summary  # alice's 3 and bob's 3
        await pilot.press("slash", *"user:bob", "enter")
        await settle(pilot)
        assert sorted(rows(app)) == [("bob-mail.example", "bob"), ("shop.example", "bob"), ("zeta.example", "bob")]
        await pilot.press("escape", "slash", *"status:pend user:ali", "enter")
        await settle(pilot)
        assert {owner for _, owner in rows(app)} == {"alice"} and len(rows(app)) == 3


async def test_an_action_acts_as_the_owner_and_is_recorded_with_the_operator(operator_app, tenants):
    shop = tenants["alice/shop.example"]
    async with operator_app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = operator_app.screen
        screen.table.move_to(shop)
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(shop).status == STATUS_DISABLED
        assert SenderDomain.get_by_id(tenants["bob/shop.example"]).status == STATUS_PENDING  # the same name, bob's: untouched
        assert events(shop) == [("pause", ACTOR, None)]


async def test_marked_rows_take_one_action_after_one_question(operator_app, tenants):
    ids = [tenants["alice/shop.example"], tenants["alice/news.example.org"], tenants["bob/zeta.example"]]
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        screen = operator_app.screen
        for domain_id in ids:
            screen.table.move_to(domain_id)
            await pilot.press("space")
        assert screen.table.marked == set(ids)
        assert "3 marked" in text_of(operator_app, "#view-info")
        await pilot.press("p")
        await settle(pilot)
        question = operator_app.screen
        assert isinstance(question, ConfirmModal)
        assert "Pause 2 marked domains?" in question._title and "zeta.example" in question._message  # pending: left out
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(operator_app.screen, DomainListScreen)
        assert [SenderDomain.get_by_id(i).status for i in ids] == [STATUS_DISABLED, STATUS_DISABLED, STATUS_PENDING]
        assert events(ids[0]) == events(ids[1]) == [("pause", ACTOR, None)] and events(ids[2]) == []
        assert screen.table.marked == set()  # done: the marks go
        assert {screen.table.get_row(i).view.status for i in ids[:2]} == {STATUS_DISABLED}


async def test_marked_rows_suspended_with_one_reason_and_escape_clears_the_marks(operator_app, tenants):
    ids = [tenants["alice/alerts.example.io"], tenants["bob/bob-mail.example"]]
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        screen = operator_app.screen
        screen.table.move_to(tenants["bob/zeta.example"])
        await pilot.press("space", "escape")
        assert screen.table.marked == set()
        for domain_id in ids:
            screen.table.move_to(domain_id)
            await pilot.press("space")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(operator_app.screen, ReasonModal)
        await pilot.press("enter")  # no reason: refused, nothing changes
        await settle(pilot)
        assert isinstance(operator_app.screen, ReasonModal)
        assert "reason is required" in text_of(operator_app, "#reason-msg")
        await pilot.press(*"spam run", "enter")
        await settle(pilot)
        assert [SenderDomain.get_by_id(i).status for i in ids] == [STATUS_SUSPENDED, STATUS_SUSPENDED]
        assert events(ids[1]) == [("suspend", ACTOR, "spam run")]


async def test_suspend_from_the_detail_screen_shows_the_reason_and_the_history(operator_app, tenants):
    domain_id = tenants["bob/shop.example"]
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        await operator_app.screen.open_domain(domain_id)
        await settle(pilot)
        detail = operator_app.screen
        assert isinstance(detail, DomainDetailScreen)
        assert "owner bob" in text_of(operator_app, "#title")
        await pilot.press("u")
        await pilot.press(*"phishing [red]x[/red] ticket 4411", "enter")
        await settle(pilot)
        assert SenderDomain.get_by_id(domain_id).status == STATUS_SUSPENDED
        notice = text_of(operator_app, "#notice")
        assert "phishing [red]x[/red] ticket 4411" in notice  # the reason, as typed: never markup
        await pilot.press("h")
        await settle(pilot)
        table = detail.history_table
        assert table.row_count == 1
        who, action, why = (str(c) for c in table.get_row_at(0)[1:])
        assert (who, action) == (ACTOR, "suspend") and "phishing [red]x[/red] ticket 4411" in why
        await pilot.press("u", "enter")  # lift it (the reason is optional)
        await settle(pilot)
        assert SenderDomain.get_by_id(domain_id).status == STATUS_PENDING
        assert [a for a, _, _ in events(domain_id)] == ["unsuspend", "suspend"]
        assert detail.history_table.row_count == 2


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
async def test_a_long_reason_in_the_history_wraps_within_the_screen(ctx, operator_app, tenants, size):
    domain_id = tenants["bob/shop.example"]
    reason = "complaint rate above two percent for three days running; tenant notified by ticket 4411, awaiting their list cleanup END"
    OperatorActions(ctx.service, ACTOR).suspend(domain_id, reason)
    async with operator_app.run_test(size=size) as pilot:
        await settle(pilot)
        await operator_app.screen.open_domain(domain_id)
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        table = operator_app.screen.history_table
        assert table.virtual_size.width <= table.scrollable_content_region.width  # nothing off to the right
        row = table.rows[next(iter(table.rows))]
        assert row.height > 1  # wrapped, not cut
        assert "END" in str(table.get_row_at(0)[3])


async def test_a_new_domain_in_every_tenants_view_names_its_owner(operator_app, tenants, bob):
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        form = operator_app.screen
        assert isinstance(form, DomainFormModal)
        await pilot.press(*"fresh.example", "tab", *"nobody", "ctrl+s")
        await settle(pilot)
        assert isinstance(operator_app.screen, DomainFormModal) and "No user named 'nobody'" in text_of(operator_app, "#form-error")
        assert not SenderDomain.select().where(SenderDomain.domain == "fresh.example").exists()
        form.query_one("#owner").value = "bob"
        await pilot.press("ctrl+s")
        await settle(pilot)
        row = SenderDomain.get(SenderDomain.domain == "fresh.example")
        assert row.user_id == bob.id


async def test_verify_all_in_every_tenants_view_checks_each_tenants_pending_domains(operator_app, tenants, ctx):
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        await pilot.press("V")
        await settle(pilot)
        checked = {i for i in (tenants["bob/zeta.example"], tenants["alice/alerts.example.io"]) if history.history(i)}
        assert checked == {tenants["bob/zeta.example"], tenants["alice/alerts.example.io"]}
        assert all(e.actor == ACTOR for e in history.history(tenants["bob/zeta.example"]))
        # a suspended domain is never among them
        assert history.history(tenants["alice/legacy.example.co.uk"]) == []


def test_the_operator_api_the_tui_uses_is_the_one_the_cli_uses(ctx, alice):
    """The TUI's changes go through core.operator (one rule set, one history)."""
    from tui.acting import Acting

    acting = Acting(ctx.service, None, ACTOR)
    assert isinstance(acting.operator, OperatorActions) and acting.operator.tenant is None and acting.actor == ACTOR
    assert Acting(ctx.service, alice, ACTOR).operator.tenant is alice


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_operator_view_snapshot(snap_compare, ctx, clock, tenants, size):
    app = build_app(ctx, None, clock, actor=ACTOR)

    async def run_before(pilot):
        await settle(pilot)
        screen = pilot.app.screen
        screen.table.move_to(tenants["alice/news.example.org"])
        await pilot.press("space")
        screen.table.move_to(tenants["bob/shop.example"])
        await pilot.press("space")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE_LARGE], ids=["80x24", "120x36"])
def test_suspended_detail_snapshot(snap_compare, ctx, clock, tenants, size):
    domain_id = tenants["alice/legacy.example.co.uk"]
    OperatorActions(ctx.service, ACTOR).edit(domain_id, {"LinkTracking": False}, "tenant asked")
    ctx.service.clock = clock
    ops = OperatorActions(ctx.service, ACTOR)
    ops.unsuspend(domain_id)
    ops.suspend(domain_id, "phishing kit on the landing page, ticket 4411")
    app = build_app(ctx, None, clock, actor=ACTOR)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.app.screen.open_domain(domain_id)
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [SIZE_SMALL], ids=["80x24"])
def test_suspend_question_snapshot(snap_compare, ctx, clock, tenants, size):
    app = build_app(ctx, None, clock, actor=ACTOR)

    async def run_before(pilot):
        await settle(pilot)
        pilot.app.screen.table.move_to(tenants["bob/zeta.example"])
        await pilot.press("u", *"spam")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_first_screen_of_rows_shows_before_the_rest_are_read(ctx, alice, clock, monkeypatch):
    """Issue 13.4: at 100,000 domains reading every row takes seconds; the first screen of
    rows (with their figures) is shown first, the counts say the rest are being read."""
    import threading

    from tests.tui.seed import seed_bulk
    from tui.screens.domain_list import FIRST_SCREEN

    seed_bulk(ctx, alice, FIRST_SCREEN + 30, clock.now())
    app = build_app(ctx, None, clock, actor=ACTOR)
    gate = threading.Event()
    real = app.acting.domain_rows

    def held(ids=None, first=None):
        if ids is None and first is None:
            gate.wait(30)  # the full read waits until the test has looked
        return real(ids, first)

    monkeypatch.setattr(app.acting, "domain_rows", held)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        for _ in range(100):
            await pilot.pause()
            if app.screen.table.row_count:
                break
        table = app.screen.table
        assert table.total_count == FIRST_SCREEN and app.screen.partial and not app.screen.rows_loaded
        assert table.figures_loaded and any(row.view.figures.volume_7d for row in table.rows)
        assert "reading the rest" in text_of(app, "#view-info")
        assert app.screen.check_action("verify_all", ()) is None  # nothing acts on a partial list
        first_names = [row.name for row in table.rows[:10]]
        gate.set()
        await settle(pilot)
        assert table.total_count == FIRST_SCREEN + 30 and not app.screen.partial
        assert [row.name for row in table.rows[:10]] == first_names  # the same order: no jump
        assert f"{FIRST_SCREEN + 30:,} of {FIRST_SCREEN + 30:,}" in text_of(app, "#view-info")


async def test_a_new_domain_that_its_owner_already_has_is_refused_and_left_as_it_is(operator_app, tenants, bob):
    """The API's create resets a live domain to Approval Pending; the TUI never does that by surprise."""
    shop = tenants["alice/shop.example"]
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"shop.example", "tab", *"alice", "ctrl+s")
        await settle(pilot)
        assert isinstance(operator_app.screen, DomainFormModal)
        assert "alice already has shop.example (Enabled)" in text_of(operator_app, "#form-error")
        assert SenderDomain.get_by_id(shop).status == STATUS_ENABLED


async def test_escape_pressed_while_saving_still_brings_the_new_domain_to_the_list(operator_app, tenants, monkeypatch):
    import threading

    gate = threading.Event()
    real = operator_app.acting.create

    def held(params, owner=None):
        gate.wait(30)
        return real(params, owner)

    monkeypatch.setattr(operator_app.acting, "create", held)
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"b3.example", "tab", *"bob", "enter")
        await pilot.press("escape")  # a burst: escape while the save is out
        gate.set()
        await settle(pilot)
        row = SenderDomain.get(SenderDomain.domain == "b3.example")
        assert operator_app.screen_stack[1].table.get_row(row.id) is not None  # the list has it


async def test_suspending_marked_domains_names_those_already_suspended(operator_app, tenants):
    async with operator_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        screen = operator_app.screen
        for key in ("alice/legacy.example.co.uk", "bob/zeta.example"):  # suspended, pending
            screen.table.move_to(tenants[key])
            await pilot.press("space")
        await pilot.press("u")
        await settle(pilot)
        question = operator_app.screen
        assert isinstance(question, ReasonModal)
        assert "Left as they are (already Suspended): legacy.example.co.uk" in question._message


async def test_a_two_state_button_is_laid_out_again_for_its_longer_label(operator_app, tenants):
    """Pause -> Resume, Suspend -> Unsuspend: Textual's Button does not re-measure itself
    when its label changes; a label longer than the width it had was cut to its key."""
    from textual.widgets import Button

    async with operator_app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await operator_app.screen.open_domain(tenants["alice/shop.example"])
        await settle(pilot)
        await pilot.press("p")  # Enabled -> Disabled: the button now reads "p Resume"
        await settle(pilot)
        button = operator_app.screen.query_one("#toggle_pause", Button)
        assert button.label.plain == "p Resume"
        assert button.content_size.width >= len("p Resume") + 2  # the label and Button's line-pad
