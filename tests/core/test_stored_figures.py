"""The List figures kept precomputed (core/stored_figures.py, core/stat_store.py) equal the
figures computed from ``domain_stat`` at read time — for any import sequence and any day,
days passing between imports included — and stay in step with every writer."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from core import stat_store, stored_figures
from core.clock import FixedClock
from core.importers import importer
from core.models import DomainFigures, ImportClaim, ImportCursor, SenderDomain
from core.stats import Figures, figures_for
from tests.conftest import FROZEN_NOW

TODAY = FROZEN_NOW.date()
NAMES = ("a.example", "b.example", "c.example")


def recomputed(today: dt.date) -> dict[int, Figures]:
    """What a read computed from domain_stat before figures were stored: every live domain."""
    ids = [d.id for d in SenderDomain.select().where(SenderDomain.status != "Deleted")]
    found = figures_for(ids, today)
    return {i: found.get(i, Figures()) for i in ids}


def stored_rows_hold_their_own_day() -> None:
    """The invariant: every stored row is what domain_stat gives for the row's own day."""
    for row in DomainFigures.select():
        day = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
        expected = figures_for([row.domain_id], day).get(row.domain_id, Figures())
        stored = Figures(row.volume_7d, row.volume_delta, row.reputation, row.reputation_bucket, row.delivery_rate, row.bounce_rate)
        assert stored == expected, (row.domain_id, day)


def write(rows, *, add=True):
    with stat_store.stats_transaction():
        return stat_store.write_counts(rows, add=add)


@pytest.fixture
def three(ctx, alice):
    return [ctx.service.create_domain(alice, {"SenderDomain": name}).id for name in NAMES]


# ---- the rules, on every backend ----------------------------------------------------------


def test_a_read_before_anything_is_stored_computes_the_figures(ctx, alice, three):
    write([(three[0], TODAY, 1000, 990, 10, 0), (three[1], TODAY - dt.timedelta(days=8), 50, None, 5, 1)])
    assert DomainFigures.select().count() == 0  # nothing stored yet: the write had no row to move
    assert stat_store.current_figures(None, TODAY) == recomputed(TODAY)
    assert stat_store.current_figures(alice.id, TODAY) == recomputed(TODAY)
    assert DomainFigures.select().count() == 0  # a plain read never writes


def test_refresh_stores_every_live_domain_and_a_second_refresh_does_nothing(ctx, three):
    write([(three[0], TODAY, 1000, 990, 10, 0)])
    assert stat_store.refresh_figures(TODAY) == 3
    assert stat_store.refresh_figures(TODAY) == 0
    assert stored_figures.read_stored(None, TODAY) == (recomputed(TODAY), [])
    stored_rows_hold_their_own_day()


def test_a_write_moves_the_stored_rows_in_the_same_transaction(ctx, three):
    stat_store.refresh_figures(TODAY)
    write([(three[0], TODAY, 1000, 990, 10, 0), (three[0], TODAY - dt.timedelta(days=9), 400, None, 4, 0)])
    write([(three[0], TODAY, 500, None, 50, 2), (three[2], TODAY - dt.timedelta(days=29), 7, 0, 0, 0)])
    current, stale = stored_figures.read_stored(None, TODAY)
    assert stale == [] and current == recomputed(TODAY)
    assert current[three[0]].volume_7d == 1500 and current[three[0]].volume_delta == "+275%"
    stored_rows_hold_their_own_day()


def test_a_failed_write_leaves_counts_and_figures_as_they_were(ctx, three):
    stat_store.refresh_figures(TODAY)
    write([(three[0], TODAY, 2**62, None, 0, 0)])
    before = stored_figures.read_stored(None, TODAY)
    with pytest.raises(stat_store.CountOverflow):
        write([(three[0], TODAY - dt.timedelta(days=1), 2**62, None, 0, 0)])  # each day fits; the 7-day sum does not
    assert stored_figures.read_stored(None, TODAY) == before
    assert recomputed(TODAY)[three[0]].volume_7d == 2**62


def test_a_new_day_is_read_right_before_the_refresh_and_stored_by_it(ctx, three):
    write([(three[0], TODAY - dt.timedelta(days=d), 100 * (d + 1), None, d, 0) for d in range(20)])
    stat_store.refresh_figures(TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    current, stale = stored_figures.read_stored(None, tomorrow)
    assert current == {} and sorted(stale) == sorted(three)  # every window moved
    assert stat_store.current_figures(None, tomorrow) == recomputed(tomorrow)
    assert stat_store.current_figures(None, tomorrow) != recomputed(TODAY)
    assert stat_store.refresh_figures(tomorrow) == 3
    assert stored_figures.read_stored(None, tomorrow) == (recomputed(tomorrow), [])


def test_a_read_with_store_writes_back_what_it_computed(ctx, three):
    write([(three[1], TODAY, 10, 10, 0, 0)])
    assert stat_store.current_figures(None, TODAY, store=True) == recomputed(TODAY)
    assert stored_figures.read_stored(None, TODAY)[1] == []


def test_setting_counts_replaces_them_and_a_repeated_key_counts_once_per_call(ctx, three):
    stat_store.refresh_figures(TODAY)
    write([(three[0], TODAY, 100, 90, 10, 0), (three[0], TODAY, 50, None, 0, 0)])  # added: 150 sent, 90 delivered
    write([(three[1], TODAY, 100, 90, 10, 0)], add=False)
    write([(three[1], TODAY, 40, None, 2, 0)], add=False)
    assert stored_figures.read_stored(None, TODAY) == (recomputed(TODAY), [])
    figures = recomputed(TODAY)
    assert figures[three[0]].volume_7d == 150 and figures[three[1]].volume_7d == 40


def test_deleted_domains_are_not_listed_but_their_rows_stay_right(ctx, alice, three):
    stat_store.refresh_figures(TODAY)
    ctx.service.delete_domain(alice, three[2])
    write([(three[2], TODAY, 10, 10, 0, 0)])  # an import still attributing to it
    current, stale = stored_figures.read_stored(None, TODAY)
    assert set(current) == set(three[:2]) and stale == []
    stored_rows_hold_their_own_day()


def test_the_lists_read_the_stored_figures(ctx, alice, bob, three):
    other = ctx.service.create_domain(bob, {"SenderDomain": "bob.example"}).id
    write([(three[0], TODAY, 1000, 990, 10, 0), (other, TODAY, 5, 5, 0, 0)])
    stat_store.refresh_figures(TODAY)
    DomainFigures.update(volume_7d=424242).where(DomainFigures.domain == three[0]).execute()  # marks what is read
    assert {v.id: v.figures.volume_7d for v in ctx.service.list_domains(alice)}[three[0]] == 424242
    assert ctx.service.domain_figures(None)[three[0]].volume_7d == 424242
    assert ctx.service.domain_figures(None)[other].volume_7d == 5
    assert set(ctx.service.domain_figures(bob)) == {other}


# ---- the property: any import sequence, any day -------------------------------------------

counts = st.tuples(
    st.integers(0, 2),  # which domain
    st.integers(-2, 40),  # days before the importer's today (negative: a day ahead)
    st.integers(0, 5000),  # sent
    st.one_of(st.none(), st.integers(0, 5000)),  # delivered (None: not recorded)
    st.integers(0, 300),  # bounced
    st.integers(0, 30),  # complaints
)
steps = st.one_of(
    st.tuples(st.just("import"), st.integers(0, 45), st.lists(counts, min_size=1, max_size=12)),
    st.tuples(st.just("refresh"), st.integers(0, 45)),
    st.tuples(st.just("list"), st.integers(0, 45)),  # an operator's list: reads and stores what it computed
)
_files = itertools.count()


def csv_file(tmp_path, rows, names) -> str:
    path = tmp_path / f"stats-{next(_files)}.csv"
    lines = ["date,domain,sent,delivered,bounced,complaints"]
    for index, day, sent, delivered, bounced, complaints in rows:
        lines.append(f"{day.isoformat()},{names[index]},{sent},{'' if delivered is None else delivered},{bounced},{complaints}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.mark.sqlite_only
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(steps, min_size=1, max_size=8), probe=st.integers(-3, 50))
def test_stored_figures_equal_the_recomputation_for_any_import_sequence_and_day(ctx, three, tmp_path, sequence, probe):
    with stat_store.stats_transaction():
        stat_store.delete_counts()
        ImportCursor.delete().execute()
        ImportClaim.delete().execute()
    start = TODAY - dt.timedelta(days=40)
    for step in sequence:
        day = start + dt.timedelta(days=step[1])
        if step[0] == "import":
            rows = [(i, day - dt.timedelta(days=back), *rest) for i, back, *rest in step[2]]
            clock = FixedClock(dt.datetime.combine(day, dt.time(12)))
            summary = importer("csv", settings=ctx.settings, clock=clock).import_path(csv_file(tmp_path, rows, NAMES))
            assert summary.status in ("imported", "already imported"), summary.error
        elif step[0] == "refresh":
            stat_store.refresh_figures(day)
        else:
            assert stat_store.current_figures(None, day, store=True) == recomputed(day)
        stored_rows_hold_their_own_day()
        for when in {day, day + dt.timedelta(days=1), start + dt.timedelta(days=probe)}:
            assert stat_store.current_figures(None, when) == recomputed(when)


def test_a_host_whose_clock_is_a_day_behind_reads_right_and_never_moves_rows_back(ctx, three):
    write([(three[0], TODAY - dt.timedelta(days=d), 100, None, 1, 0) for d in range(9)])
    stat_store.refresh_figures(TODAY)
    yesterday = TODAY - dt.timedelta(days=1)
    assert stat_store.current_figures(None, yesterday, store=True) == recomputed(yesterday)
    assert stored_figures.read_stored(None, TODAY) == (recomputed(TODAY), [])  # still today's rows
    stored_rows_hold_their_own_day()


def test_live_by_status_is_live_domains_of_every_tenant(ctx, alice, bob, three):
    from core.listing import live_by_status, live_domains
    from core.models import STATUSES

    for status, domain_id in zip(STATUSES, [*three, ctx.service.create_domain(bob, {"SenderDomain": "x.example"}).id,
                                            ctx.service.create_domain(bob, {"SenderDomain": "y.example"}).id]):
        SenderDomain.update(status=status).where(SenderDomain.id == domain_id).execute()
    ids = lambda where: sorted(r.id for r in SenderDomain.select().where(where))  # noqa: E731
    assert ids(live_by_status()) == ids(live_domains(None)) and len(ids(live_domains(None))) == 4


def test_the_first_import_of_a_new_utc_day_refreshes_the_figures(ctx, three, tmp_path):
    write([(three[0], TODAY - dt.timedelta(days=d), 100, None, 1, 0) for d in range(9)])
    stat_store.refresh_figures(TODAY)
    tomorrow = TODAY + dt.timedelta(days=1)
    clock = FixedClock(dt.datetime.combine(tomorrow, dt.time(0, 5)))
    path = csv_file(tmp_path, [(1, tomorrow, 10, 10, 0, 0)], NAMES)
    assert importer("csv", settings=ctx.settings, clock=clock).import_path(path).status == "imported"
    assert stored_figures.read_stored(None, tomorrow) == (recomputed(tomorrow), [])  # every row moved to the new day
    assert stored_figures.all_stored(tomorrow) and not stored_figures.all_stored(TODAY)


def test_a_read_that_cannot_store_what_it_computed_still_answers(ctx, three, monkeypatch):
    import peewee

    write([(three[0], TODAY, 100, 90, 10, 0)])

    def locked(*_args):
        raise peewee.OperationalError("database is locked")

    monkeypatch.setattr(stat_store, "_recompute", locked)
    assert stat_store.current_figures(None, TODAY, store=True) == recomputed(TODAY)
    assert DomainFigures.select().count() == 0
