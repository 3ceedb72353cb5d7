"""The domain list: rows, summary, empty state, filter, status filter, sort, keys, pause and
resume, delete, untrusted text, help and palette. Verification flows are in test_list_verify.py."""

from __future__ import annotations


from core.models import STATUS_DELETED, STATUS_DISABLED, STATUS_ENABLED, STATUS_SUSPENDED, SenderDomain
from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, settle
from textual.widgets import Button

from tui.modals.confirm import ConfirmModal
from tui.screens.domain_list import DomainListScreen
from tui.screens.help import HelpScreen
from tui.widgets.domain_columns import COLUMN_KEYS
from tui.widgets.domain_table import DomainTable


def names(app) -> list[str]:
    return [row.name for row in app.screen.query_one(DomainTable).rows]


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def table_text(app) -> str:
    table = app.screen.query_one(DomainTable)
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


def notes(app) -> list[str]:
    return [f"{n.title} | {n.message}" for n in app._notifications]


async def test_rows_summary_and_columns(app, sample):
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DomainListScreen)
        assert names(app)[:3] == ["alerts.example.io", "billing.example.net", "bücher.example"]
        assert len(names(app)) == len(sample)
        summary = text_of(app, "#summary")
        assert "9 domains" in summary and "4 enabled" in summary and "3 pending" in summary
        assert "1 disabled" in summary and "1 suspended" in summary
        assert "2 excellent" in summary and "2 poor" in summary and "3 unscored" in summary
        text = table_text(app)
        header = text.splitlines()[0]
        for label in ("Domain", "Status", "Reputation", "Sent 7d", "Change", "Delivery", "Bounce", "DNS", "Checked", "DNS host"):
            assert label in header
        line = next(l for l in text.splitlines() if l.startswith("shop.example"))
        assert "Enabled" in line and "96 exc" in line and "5/5" in line and "3m ago" in line
        line = next(l for l in text.splitlines() if l.startswith("bücher.example"))  # Unicode form
        assert "Pending" in line and "3/5" in line and "2m ago" in line
        line = next(l for l in text.splitlines() if l.startswith("new-brand.example"))
        assert "0/5" in line and "never" in line
        line = next(l for l in text.splitlines() if l.startswith("例え.example"))
        assert "new" in line  # no prior-week volume


async def test_checked_ago_follows_the_injected_clock(app, clock):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert "3m ago" in next(l for l in table_text(app).splitlines() if l.startswith("shop.example"))
        clock.advance(2 * 3600)
        assert "2h ago" in next(l for l in table_text(app).splitlines() if l.startswith("shop.example"))


async def test_empty_database_says_how_to_start(empty_app):
    app = empty_app
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        empty = app.screen.query_one("#empty")
        assert empty.display and not app.screen.query_one(DomainTable).display
        text = text_of(app, "#empty")
        assert "No sender domains yet" in text and " n " in text and "senderdeck demo" in text
        # Row actions are greyed out; New is not.
        screen = app.screen
        assert screen.check_action("verify", ()) is None and screen.check_action("delete", ()) is None
        assert screen.check_action("new", ()) is True


async def test_incremental_filter_and_escape(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused is app.screen.query_one("#filter")
        await pilot.press(*"sho")
        assert names(app) == ["shop.example"]
        assert "1 of 9" in text_of(app, "#view-info")
        await pilot.press("backspace", "backspace", "backspace", *"bü")
        assert names(app) == ["bücher.example"]
        await pilot.press("backspace", "backspace", *"xn--")  # the ASCII form matches too
        assert set(names(app)) == {"bücher.example", "例え.example"}
        await pilot.press("escape")
        assert len(names(app)) == 9
        assert isinstance(app.focused, DomainTable)


async def test_filter_matches_status_and_markup_is_literal(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"pending")
        assert len(names(app)) == 3
        app.screen.query_one("#filter").value = "[/x][b]"
        await pilot.pause()
        assert names(app) == []
        assert "No domains match “[/x][b]”" in table_text(app)


async def test_status_filter_cycles(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("f")
        assert len(names(app)) == 4 and "Enabled" in text_of(app, "#view-info")
        await pilot.press("f")
        assert set(names(app)) == {"alerts.example.io", "bücher.example", "new-brand.example"}
        await pilot.press("f", "f")
        assert names(app) == ["legacy.example.co.uk"]
        await pilot.press("f")
        assert len(names(app)) == 9


async def test_sort_by_every_column_and_reverse(app):
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DomainTable)
        for key in COLUMN_KEYS[1:] + COLUMN_KEYS[:1]:  # the list starts sorted by domain
            app.screen.action_sort_by(key)
            assert table.sort_key == key and table.sort_reverse is False
            assert len(table.rows) == 9
        app.screen.action_sort_by("reputation")
        app.screen.action_sort_by("reputation")
        assert table.sort_reverse is True  # the same column again reverses
        assert names(app)[:2] == ["shop.example", "例え.example"]
        assert names(app)[-3:] == sorted(names(app)[-3:])  # no score: last, by name
        await pilot.press("S")
        assert names(app)[0] == "legacy.example.co.uk"  # 0 poor
        await pilot.press("s")  # next column
        assert table.sort_key == "volume"
        assert "▲" in table_text(app).splitlines()[0]


async def test_cursor_keys_keep_the_cursor_visible(app):
    async with app.run_test(size=(80, 8)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DomainTable)
        await pilot.press("end")
        assert table.highlighted.name == "例え.example"
        assert "例え.example" in table_text(app)
        await pilot.press("home", "down", "j")
        assert table.cursor_row == 2
        await pilot.press("pagedown")
        assert table.cursor_row > 2 and table.highlighted.name in table_text(app)


async def test_sort_keeps_the_cursor_on_the_same_domain(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = app.screen.query_one(DomainTable)
        table.move_to(next(r.id for r in table.rows if r.name == "shop.example"))
        app.screen.action_sort_by("volume")
        assert table.highlighted.name == "shop.example"


async def test_pause_and_resume(app, sample):
    shop = sample["shop.example"]
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.table.move_to(shop)
        assert screen.check_action("pause", ()) is True and screen.check_action("resume", ()) is False
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(shop).status == STATUS_DISABLED
        assert screen.table.highlighted.view.status == STATUS_DISABLED
        assert screen.check_action("resume", ()) is True and screen.check_action("pause", ()) is False
        assert any("paused" in n for n in notes(app))
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(shop).status == STATUS_ENABLED


async def test_a_pending_domain_is_not_paused(app, sample):
    """Issue 14.2: p on a never-verified pending domain does nothing (core/status.py: pause is
    for a domain that sends as itself), so it can never be stranded Disabled."""
    new_brand = sample["new-brand.example"]
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(new_brand)
        assert app.screen.check_action("pause", ()) is None and app.screen.check_action("resume", ()) is False
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(new_brand).status == "Approval Pending"
        # Not silence: p says why it did nothing.
        assert any("Only an Enabled domain can be paused" in n and "Approval Pending" in n for n in notes(app))


async def test_resume_of_an_unverified_domain_offers_to_verify_now(app, sample):
    """Issue 14.2: the way back, in the UI's words: "Verify now?" — not the API's message."""
    alerts = sample["alerts.example.io"]
    SenderDomain.update(status=STATUS_DISABLED).where(SenderDomain.id == alerts).execute()
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(alerts)
        await pilot.press("p")
        await pilot.pause()
        question = app.screen
        assert isinstance(question, ConfirmModal)
        text = str(question.query_one("#message").render())
        assert "Verify now?" in text and "0 of 5" in text and "user.senderdomain" not in text
        assert str(question.query_one("#yes", Button).label) == "Verify now"
        await pilot.press("n")  # not now: nothing changes
        await settle(pilot)
        assert SenderDomain.get_by_id(alerts).status == STATUS_DISABLED
        await pilot.press("p", "y")
        await settle(pilot)
        # Back to Approval Pending (the test's DNS serves nothing: still not verified), so
        # Verify all and watch mode pick it up again; never the API's "run … verify first".
        assert SenderDomain.get_by_id(alerts).status == "Approval Pending"
        assert app.screen.table.get_row(alerts).view.status == "Approval Pending"
        assert not any("Cannot enable" in n or "user.senderdomain" in n for n in notes(app))
        assert any("Approval Pending again; checking its DNS records now" in n for n in notes(app))
        assert app.screen.check_action("verify_all", ()) is True


async def test_suspended_cannot_be_paused(app, sample):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(sample["legacy.example.co.uk"])
        assert app.screen.check_action("pause", ()) is None
        await pilot.press("p")
        await settle(pilot)
        assert SenderDomain.get_by_id(sample["legacy.example.co.uk"]).status == STATUS_SUSPENDED
        assert any("A Suspended domain cannot be paused" in n for n in notes(app))


async def test_delete_asks_first(app, sample):
    promo = sample["promo.example.com"]
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(promo)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert SenderDomain.get_by_id(promo).status == STATUS_DISABLED
        assert "promo.example.com" in names(app)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert SenderDomain.get_by_id(promo).status == STATUS_DELETED
        assert "promo.example.com" not in names(app)
        assert "9 domains" not in text_of(app, "#summary") and "8 domains" in text_of(app, "#summary")


async def test_a_read_answering_after_the_delete_does_not_bring_the_row_back(app, ctx, alice, sample):
    # Back from the confirm modal the list re-reads the highlighted domain while the delete
    # runs in another thread worker; the read can answer last.
    promo = sample["promo.example.com"]
    before = ctx.service.get_domain(alice, promo)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        SenderDomain.update(status=STATUS_DELETED).where(SenderDomain.id == promo).execute()
        screen.post_message(DomainListScreen.DomainRefreshed(None, promo))
        screen.post_message(DomainListScreen.DomainRefreshed(before, promo))
        await pilot.pause()
        assert "promo.example.com" not in names(app)
        # Added again (it keeps its id): back in the list, and later reads of it apply.
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"promo.example.com", "ctrl+s")
        await settle(pilot)
        row = screen.table.get_row(promo)
        assert row is not None and row.view.status == "Approval Pending"
        assert screen.table.highlighted_id == promo


async def test_refresh_picks_up_changes_from_elsewhere(app, sample):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        SenderDomain.update(status=STATUS_DELETED).where(SenderDomain.id == sample["shop.example"]).execute()
        await pilot.press("r")
        await settle(pilot)
        assert "shop.example" not in names(app) and len(names(app)) == 8


async def test_stale_load_results_are_dropped(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.post_message(DomainListScreen.RowsLoaded(screen._generation - 1, []))
        await pilot.pause()
        assert len(names(app)) == 9


async def test_help_lists_every_key(app):
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-keys").render())
        for binding in DomainListScreen.BINDINGS + DomainTable.BINDINGS + type(app).BINDINGS:
            assert (binding.tooltip or binding.description) in text, binding
            for key in binding.key.split(","):
                assert app.get_key_display(type(binding)(key, binding.action)) in text, key
        assert "ctrl+p" in text
        await pilot.press("escape")
        assert isinstance(app.screen, DomainListScreen)


async def test_palette_offers_the_main_actions(app):
    from tui.palette import SenderdeckCommands

    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        provider = SenderdeckCommands(app.screen)
        labels = [str(hit.display) async for hit in provider.discover()]
        for wanted in ("New sender domain", "Verify all pending domains", "Delete selected domain", "Toggle watch mode",
                       "Sort by Reputation", "Refresh the list", "Help: every key"):
            assert wanted in labels
        hits = [hit async for hit in provider.search("sort reputation")]
        best = max(hits, key=lambda h: h.score)
        await best.command()
        assert app.screen.table.sort_key == "reputation"
        hits = [hit async for hit in provider.search("bücher")]
        opener = next(h for h in hits if "Open bücher.example" in str(h.prompt))
        from tui.screens.domain_detail import DomainDetailScreen

        await opener.command()
        await pilot.pause()
        assert isinstance(app.screen, DomainDetailScreen)


async def test_the_palette_offers_the_domains_commands_on_its_detail_screen(app, sample):
    """Issue 14.10: not only Textual's built-ins on the detail screen."""
    from tui.palette import SenderdeckCommands
    from tui.screens.domain_detail import DomainDetailScreen

    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(sample["shop.example"])
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        provider = SenderdeckCommands(detail)
        labels = [str(hit.display) async for hit in provider.discover()]
        for wanted in ("Verify this domain", "Send a test message", "Pause this domain", "Copy the record's value",
                       "Copy the record's name", "Export the records as a zone file", "Back to the list", "Help: every key"):
            assert wanted in labels, wanted
        assert "Resume this domain" not in labels  # shop.example is Enabled
        best = max([hit async for hit in provider.search("export zone")], key=lambda h: h.score)
        await best.command()
        await settle(pilot)
        from tui.modals.export_zone import ExportZoneModal

        assert isinstance(app.screen, ExportZoneModal)
        await pilot.press("escape")
        await settle(pilot)
        # Open another domain by name from the detail screen: back to the list, then that one.
        opener = next(h for h in [hit async for hit in provider.search("news")] if "Open news.example.org" in str(h.prompt))
        await opener.command()
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen) and app.screen.domain_id == sample["news.example.org"]
        assert len(app.screen_stack) == 3  # the default screen, the list, this domain


async def test_enter_opens_the_detail_screen_and_escape_comes_back(app, sample):
    from tui.screens.domain_detail import DomainDetailScreen

    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(sample["shop.example"])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen) and app.screen.domain_id == sample["shop.example"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DomainListScreen)


async def test_new_domain_shows_its_records_then_is_highlighted(app):
    """Issue 14.11: after n the records to publish are on screen; back on the list the new
    row is highlighted and visible, even when a filter would have hidden it."""
    from tui.modals.domain_form import DomainFormModal
    from tui.screens.domain_detail import DomainDetailScreen
    from tui.widgets.record_detail import RecordDetail

    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"promo", "enter", "f")  # a text filter and a status filter
        assert names(app) == ["promo.example.com"] or names(app) == []
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, DomainFormModal)
        await pilot.press(*"fresh.example", "ctrl+s")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DomainDetailScreen) and detail.view.domain == "fresh.example"
        assert all(r.verified is None for r in detail.view.records())
        assert "Not checked yet: publish the record" in str(detail.query_one(RecordDetail).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DomainListScreen)
        table = app.screen.table
        assert table.highlighted.name == "fresh.example" and table.cursor_on_screen
        assert table.highlighted.view.status == "Approval Pending"
        assert app.screen.filter_input.value == "" and table.status_filter is None
        assert "10 domains" in text_of(app, "#summary")
        assert any("Filters cleared to show fresh.example" in n for n in notes(app))


async def test_back_from_detail_reflects_what_happened_there(app, sample):
    from tui.screens.domain_detail import DomainDetailScreen

    promo = sample["promo.example.com"]
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(promo)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DomainDetailScreen)
        # Changed elsewhere while the detail screen was open: the list shows it on return.
        SenderDomain.update(status=STATUS_ENABLED).where(SenderDomain.id == promo).execute()
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.table.get_row(promo).view.status == STATUS_ENABLED
        # Deleted from the detail screen: gone from the list.
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DomainListScreen)
        assert "promo.example.com" not in names(app)


async def test_verify_of_a_domain_deleted_elsewhere_says_so(app, sample):
    shop = sample["shop.example"]
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        app.screen.table.move_to(shop)
        SenderDomain.update(status=STATUS_DELETED).where(SenderDomain.id == shop).execute()
        await pilot.press("v")
        await settle(pilot)
        assert any("Sender domain not found" in n for n in notes(app))
        assert app.screen.check_action("verify", ()) is True  # not stuck greyed out


async def test_unexpected_failures_become_notifications(app, ctx, monkeypatch):
    async def boom(user, domain_id):
        raise RuntimeError("resolver exploded")

    monkeypatch.setattr(ctx.service, "verify_domain", boom)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert any("RuntimeError: resolver exploded" in n for n in notes(app))
        assert app.is_running and isinstance(app.screen, DomainListScreen)
        assert not app.screen.verifying and not app.screen.table.busy_ids


async def test_a_failed_load_says_how_to_retry(app, ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ctx.service, "domain_rows", broken)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert any("RuntimeError: disk on fire" in n for n in notes(app))
        assert "press r to try again" in table_text(app)
        monkeypatch.undo()
        await pilot.press("r")
        await settle(pilot)
        assert len(names(app)) == 9


async def test_footer_follows_the_row_under_the_cursor(app, sample):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.table.move_to(sample["shop.example"])
        await pilot.pause()
        footer_keys = lambda: {k.description for k in screen.query("FooterKey")}  # noqa: E731
        assert "Pause" in footer_keys() and "Resume" not in footer_keys()
        screen.table.move_to(sample["promo.example.com"])  # Disabled
        await pilot.pause()
        assert "Resume" in footer_keys() and "Pause" not in footer_keys()
        screen.verifying.add(sample["promo.example.com"])
        screen.refresh_bindings()
        await pilot.pause()
        assert screen.check_action("verify", ()) is None
        screen.table.move_to(sample["news.example.org"])  # same pause state, verify possible again
        await pilot.pause()
        verify_key = next(k for k in screen.query("FooterKey") if k.description == "Verify")
        assert not verify_key.disabled
