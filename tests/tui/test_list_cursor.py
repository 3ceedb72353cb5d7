"""Issue 14.3, 14.9 and 14.14 (sort): after a filter or a sort the highlighted row is one the
user can see and meant — the first row of a new filter, or the same domain scrolled into
view — and reloading keeps the table on screen."""

from __future__ import annotations

import threading

from textual.widgets import LoadingIndicator

from core.models import SenderDomain
from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, settle
from tui.widgets.domain_table import DomainTable


def names(app) -> list[str]:
    return [row.name for row in app.screen.query_one(DomainTable).rows]


async def test_a_filter_puts_the_cursor_on_its_first_row_not_on_the_one_highlighted_before(app, sample):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = app.screen.table
        table.move_to(sample["shop.example"])
        await pilot.press("slash", *"example", "enter")  # every domain matches, shop.example too
        assert table.highlighted.name == names(app)[0] == "alerts.example.io"
        await pilot.press("slash", "ctrl+u", *"news", "enter")
        assert table.highlighted.name == "news.example.org"
        await pilot.press("escape")  # cleared: the highlighted domain stays, in view
        assert len(names(app)) == 9 and table.highlighted.name == "news.example.org" and table.cursor_on_screen


async def test_the_status_filter_starts_at_its_first_row(app, sample):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = app.screen.table
        table.move_to(sample["new-brand.example"])  # pending, not the first pending row
        await pilot.press("f", "f")
        assert table.status_filter == "Approval Pending"
        assert table.highlighted.name == "alerts.example.io"


async def test_a_sort_keeps_the_domain_and_scrolls_it_into_view(app, sample):
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        table = app.screen.table
        await pilot.press("end")
        assert table.highlighted.name == "例え.example"
        await pilot.press("S")  # by domain, the other way: that domain is first now
        assert table.highlighted.name == "例え.example" and table.cursor_row == 0 and table.cursor_on_screen
        assert round(table.scroll_y) == 0


async def test_scrolling_away_brings_the_cursor_along_so_keys_act_on_a_visible_row(app, sample):
    async with app.run_test(size=(80, 12)) as pilot:
        await settle(pilot)
        table = app.screen.table
        assert table.highlighted.name == "alerts.example.io"
        table.scroll_to(y=table.max_scroll_y, animate=False, immediate=True)  # the mouse wheel
        await pilot.pause()
        assert table.cursor_on_screen and table.highlighted.name != "alerts.example.io"
        target = table.highlighted
        await pilot.press("d", "y")
        await settle(pilot)
        assert SenderDomain.get_by_id(target.id).status == "Deleted"
        assert SenderDomain.get_by_id(sample["alerts.example.io"]).status != "Deleted"


async def test_s_cycles_only_through_the_columns_on_screen(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = app.screen.table
        seen = []
        for _ in range(12):
            await pilot.press("s")
            seen.append(table.sort_key)
        assert not {"host", "delta", "delivery"} & set(seen)  # not on screen at 80 columns
        assert seen[:7] == ["status", "reputation", "volume", "bounce", "dns", "checked", "domain"]


async def test_s_reaches_every_column_at_120(app):
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        table = app.screen.table
        seen = set()
        for _ in range(10):
            await pilot.press("s")
            seen.add(table.sort_key)
        assert {"host", "delta", "delivery"} <= seen


async def test_never_checked_sorts_first_under_checked_ascending(app):
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        table = app.screen.table
        app.screen.action_sort_by("checked")
        assert names(app)[0] == "new-brand.example"  # never checked: the least recently checked
        assert names(app)[1] == "legacy.example.co.uk"  # 40 days ago
        app.screen.action_sort_by("checked")  # ▼: most recent first, never last
        assert names(app)[-1] == "new-brand.example" and names(app)[0] == "例え.example"


async def test_reload_keeps_the_table_and_says_so_in_place(app, ctx, monkeypatch):
    gate = threading.Event()
    real = ctx.service.domain_rows

    def held(*args, **kwargs):
        gate.wait(10)
        return real(*args, **kwargs)

    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        screen = app.screen
        monkeypatch.setattr(ctx.service, "domain_rows", held)
        await pilot.press("r")
        await pilot.pause()
        assert screen.reloading and screen.table.display and len(names(app)) == 9
        assert screen.table.figures_loaded  # the figures shown stay until the new ones come
        assert "96 exc" in "\n".join(screen.table.render_line(y).text for y in range(12))
        assert not screen.query(LoadingIndicator) and not screen.loading
        assert "Reloading" in str(screen.query_one("#activity-text").render())
        assert "9 domains" in str(screen.query_one("#summary").render())
        assert screen.check_action("open", ()) is True  # the rows shown can still be acted on
        gate.set()
        await settle(pilot)
        assert not screen.reloading and not screen.query_one("#activity").display
