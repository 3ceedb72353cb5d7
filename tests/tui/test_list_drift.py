"""Drifted domains on the list (issue 15.2): the Drifted badge and its place in the status
sort, the summary's count, the ``drift`` filter word. The drift is made by the real sweep
against the loopback DNS server (tests/tui/drift_support.py)."""

from __future__ import annotations

from core.models import STATUS_DISABLED
from tests.tui.conftest import SIZE_LARGE, SIZE_SMALL, settle
from tests.tui.drift_support import DRIFTED, STEADY, drift_app, drifted  # noqa: F401 (fixtures)
from tests.tui.test_list import names, table_text, text_of
from tui.widgets.domain_table import DomainTable


def row_line(app, name: str) -> str:
    return next(line for line in table_text(app).splitlines() if line.startswith(name))


async def test_the_engine_made_the_drift(ctx, alice, drifted):
    view = ctx.service.get_domain(alice, drifted[DRIFTED])
    assert view.drifted and view.drift.streak == 2
    assert sorted(r.state for r in view.drift.records) == ["mismatched", "missing"]
    assert not ctx.service.get_domain(alice, drifted[STEADY]).drifted


async def test_a_drifted_domain_has_its_own_badge(drift_app, drifted):
    async with drift_app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        line = row_line(drift_app, DRIFTED)
        assert "Drifted" in line and "Enabled" not in line
        assert "Enabled" in row_line(drift_app, STEADY) and "Drifted" not in row_line(drift_app, STEADY)
        assert "Drifted" not in row_line(drift_app, "shop.example")
        table = drift_app.screen.query_one(DomainTable)
        bad = table.get_component_rich_style("domain-table--bad")
        strip = next(table.render_line(y) for y in range(table.size.height) if table.render_line(y).text.startswith(DRIFTED))
        badge = [seg for seg in strip if seg.text.strip() == "Drifted"]
        assert badge and badge[0].style.color == bad.color  # the "bad" tone


async def test_sorting_by_status_puts_drifted_right_after_enabled(drift_app):
    async with drift_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        drift_app.screen.action_sort_by("status")
        await pilot.pause()
        rows = drift_app.screen.query_one(DomainTable).rows
        shown = ["Drifted" if r.drifted else r.view.status for r in rows]
        first_other = next(i for i, s in enumerate(shown) if s not in ("Enabled", "Drifted"))
        assert shown[:first_other] == ["Enabled"] * 5 + ["Drifted"]
        assert shown[first_other] == "Approval Pending"


async def test_the_summary_counts_drifted_domains_after_the_statuses(drift_app):
    async with drift_app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        summary = text_of(drift_app, "#summary")
        assert "11 domains  6 enabled  3 pending  1 disabled  1 suspended  1 drifted" in summary


async def test_no_drifted_count_without_a_drifted_domain(app):
    async with app.run_test(size=SIZE_LARGE) as pilot:
        await settle(pilot)
        assert "drifted" not in text_of(app, "#summary")


async def test_the_drift_word_narrows_to_drifted_domains_only(drift_app):
    async with drift_app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"drift")
        assert names(drift_app) == [DRIFTED]  # not driftwood.example, Enabled and steady
        await pilot.press(*"ed")
        assert names(drift_app) == [DRIFTED]
        drift_app.screen.query_one("#filter").value = "driftwood"  # the name as a word, as ever
        await pilot.pause()
        assert names(drift_app) == [STEADY]
        drift_app.screen.query_one("#filter").value = "drift driftwood"  # a word and the flag: both must hold
        await pilot.pause()
        assert names(drift_app) == []
        drift_app.screen.query_one("#filter").value = "DRIFT harb status:enabled"
        await pilot.pause()
        assert names(drift_app) == [DRIFTED]
        drift_app.screen.query_one("#filter").value = "drift shop"
        await pilot.pause()
        assert names(drift_app) == []
        assert "No domains match" in table_text(drift_app)


async def test_a_paused_domain_keeps_its_drift_but_is_not_flagged(ctx, alice, drift_app, drifted):
    ctx.service.update_domain(alice, drifted[DRIFTED], {"status": STATUS_DISABLED})
    assert ctx.service.get_domain(alice, drifted[DRIFTED]).drift is not None  # the engine keeps it
    async with drift_app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        assert "Disabled" in row_line(drift_app, DRIFTED) and "Drifted" not in row_line(drift_app, DRIFTED)
        assert "drifted" not in text_of(drift_app, "#summary")
        await pilot.press("slash", *"drift")
        assert names(drift_app) == []


def test_the_drift_word_is_a_flag_not_a_word():
    from tui.widgets.domain_filter import DomainFilter

    query = DomainFilter.parse("Drifted harb status:en")
    assert query.drifted and query.words == ("harb",) and query.statuses == ("en",) and not query.empty
    assert DomainFilter.parse("drift").drifted and not DomainFilter.parse("drift").words
    assert DomainFilter.parse("driftwood") == DomainFilter(words=("driftwood",))  # a name, not the flag
    assert DomainFilter.parse("drif").words == ("drif",)  # being typed: a word until it is whole
