"""Several processes hammering one domain at once — verify, edit, import — on every backend:
nothing is lost (LastVerifiedAt, status, verification flags, stats counts) and nothing
crashes (SQLite's "database is locked" is waited out and retried, never raised)."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest

from core.models import STATUS_ENABLED, SenderDomain
from tests.core.dnskit import dns_server, publish  # noqa: F401  (fixture)
from tests.core.hammer import editor, importer, run_workers, verifier

VERIFIERS, VERIFY_ROUNDS = 2, 15
EDIT_FLAGS, EDIT_ROUNDS = ("LinkTracking", "OpenTracking", "UnsubscribeLink"), 41


def test_verify_and_edit_at_once_lose_no_update(ctx, alice, dns_server):
    view = ctx.service.create_domain(alice, {"SenderDomain": "race.example"})
    publish(dns_server, "race.example", view.verification_meta["DNSRecords"])
    database, cache_url = ctx.settings.database, ctx.settings.cache_url
    ctx.close()  # the workers own the database now

    jobs = [(verifier, database, cache_url, dns_server.address, alice.id, view.id, VERIFY_ROUNDS)] * VERIFIERS
    jobs += [(editor, database, cache_url, alice.id, view.id, flag, EDIT_ROUNDS) for flag in EDIT_FLAGS]
    results = run_workers(None, jobs)
    verified, edited = results[:VERIFIERS], results[VERIFIERS:]

    # Every verify saw all records matching; the records never changed, so nothing may take
    # the domain back to Approval Pending once a verify has enabled it.
    for run in verified:
        assert run["statuses"] == [STATUS_ENABLED] * VERIFY_ROUNDS
    for run in edited:
        seen = run["statuses"]
        first = seen.index(STATUS_ENABLED) if STATUS_ENABLED in seen else len(seen)
        assert all(s == STATUS_ENABLED for s in seen[first:]), f"an edit undid a verify: {seen}"

    row = SenderDomain.get_by_id(view.id)
    assert row.status == STATUS_ENABLED
    records = row.verification_meta["DNSRecords"]
    assert records and all(r[2] is True for r in records.values()), records
    assert {c["State"] for c in row.verification_meta["Checks"].values()} == {"matched"}
    # Each editor changed one flag; every one's last value stuck (no edit wrote back stale options).
    assert {flag: row.options[flag] for flag in EDIT_FLAGS} == {flag: (EDIT_ROUNDS - 1) % 2 for flag in EDIT_FLAGS}
    last_verify_started = max(dt.datetime.fromisoformat(run["last_started"]) for run in verified)
    assert row.last_verified_at >= last_verify_started


IMPORTERS, FILES_EACH, DAYS = 3, 4, 20


def write_daily_csv(path, domain: str, rows: list[tuple[str, int, int, int, int]]) -> None:
    lines = ["date,domain,sent,delivered,bounced,complaints"]
    lines += [f"{day},{domain},{sent},{delivered},{bounced},{complaints}" for day, sent, delivered, bounced, complaints in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_imports_and_verifies_at_once_count_everything_once(ctx, alice, dns_server, tmp_path):
    view = ctx.service.create_domain(alice, {"SenderDomain": "race.example"})
    publish(dns_server, "race.example", view.verification_meta["DNSRecords"])
    days = [(dt.date(2026, 5, 1) + dt.timedelta(days=i)).isoformat() for i in range(DAYS)]

    expected = {day: [0, 0, 0, 0] for day in days}
    jobs_files: list[list[str]] = []
    for worker in range(IMPORTERS):
        paths = []
        for n in range(FILES_EACH):
            # Every file touches every day, each in its own order: the upserts of concurrent
            # transactions meet on the same rows in different orders.
            order = days if (worker + n) % 2 == 0 else list(reversed(days))
            rows = [(day, 100 + worker * 10 + n, 90 + n, 5 + worker, n % 3) for day in order]
            path = tmp_path / f"w{worker}-{n}.csv"
            write_daily_csv(path, "race.example", rows)
            for day, *counts in rows:
                expected[day] = [a + b for a, b in zip(expected[day], counts)]
            paths.append(str(path))
        jobs_files.append(paths)
    # One more file that every importer tries: it must be counted exactly once.
    shared = tmp_path / "shared.csv"
    write_daily_csv(shared, "RACE.example", [(day, 7, 7, 0, 0) for day in days])
    for day in days:
        expected[day] = [a + b for a, b in zip(expected[day], [7, 7, 0, 0])]
    for paths in jobs_files:
        paths.insert(len(paths) // 2, str(shared))

    database, cache_url = ctx.settings.database, ctx.settings.cache_url
    ctx.close()
    jobs = [(importer, database, cache_url, paths) for paths in jobs_files]
    jobs += [(verifier, database, cache_url, dns_server.address, alice.id, view.id, VERIFY_ROUNDS)] * VERIFIERS
    results = run_workers(None, jobs)
    imported, verified = results[:IMPORTERS], results[IMPORTERS:]

    outcomes = [entry for run in imported for entry in run]
    failed = [entry for entry in outcomes if entry[1] == "failed"]
    assert failed == [], failed
    shared_runs = sorted(status for path, status, _, _ in outcomes if path == str(shared))
    assert shared_runs == ["already imported"] * (IMPORTERS - 1) + ["imported"]
    assert all(status == "imported" and rows == DAYS for path, status, rows, _ in outcomes if path != str(shared))

    from core.models import DomainStat, ImportCursor

    stored = {
        s.day.isoformat(): [s.sent, s.delivered, s.bounced, s.complaints]
        for s in DomainStat.select().where(DomainStat.domain == view.id)
    }
    assert stored == expected
    assert ImportCursor.select().count() == IMPORTERS * FILES_EACH + 1

    for run in verified:
        assert run["statuses"] == [STATUS_ENABLED] * VERIFY_ROUNDS
    row = SenderDomain.get_by_id(view.id)
    assert row.status == STATUS_ENABLED
    assert row.last_verified_at >= max(dt.datetime.fromisoformat(run["last_started"]) for run in verified)
    # The API's figures agree with the stored rows (one aggregate query on every backend).
    today = ctx.clock.now().date()
    week = {(today - dt.timedelta(days=i)).isoformat() for i in range(7)}
    figures = ctx.service.get_domain(alice, view.id).figures
    assert figures.volume_7d == sum(counts[0] for day, counts in expected.items() if day in week) > 0


@pytest.mark.sqlite_only
def test_sqlite_database_is_locked_is_retried_not_raised(ctx, alice):
    """A real "database is locked" (another connection holds the write lock and this one
    will not wait) is retried by retry_locked until the lock is gone."""
    import sqlite3

    from core.db import retry_locked

    view = ctx.service.create_domain(alice, {"SenderDomain": "locked.example"})
    path = ctx.settings.database.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    impatient = sqlite3.connect(path, isolation_level=None, timeout=0)
    attempts = []

    def write() -> int:
        attempts.append(1)
        try:
            return impatient.execute("UPDATE sender_domain SET status = 'Disabled' WHERE id = ?", (view.id,)).rowcount
        except sqlite3.OperationalError as exc:
            if len(attempts) == 2:
                holder.execute("COMMIT")  # the other process finishes
            raise peewee.OperationalError(str(exc)) from exc

    try:
        assert retry_locked(write) == 1
    finally:
        holder.close()
        impatient.close()
    assert len(attempts) == 3
    assert SenderDomain.get_by_id(view.id).status == "Disabled"

    with pytest.raises(peewee.OperationalError, match="no such table"):
        retry_locked(lambda: ctx.database.execute_sql("SELECT * FROM missing_table"))  # other errors: not retried


def test_racing_creates_never_pass_the_domain_limit(ctx, alice):
    from core.models import STATUS_DELETED
    from tests.core.hammer import creator

    alice.domain_limit = 5
    alice.save()
    database, cache_url = ctx.settings.database, ctx.settings.cache_url
    ctx.close()
    # Four processes, each with three names of its own and one name they all create.
    jobs = [(creator, database, cache_url, alice.id, [f"w{w}-{n}.example" for n in range(3)] + ["shared.example"]) for w in range(4)]
    results = [entry for run in run_workers(None, jobs) for entry in run]

    live = list(SenderDomain.select().where((SenderDomain.user == alice.id) & (SenderDomain.status != STATUS_DELETED)))
    assert len(live) == 5  # never more than the limit, and the limit is reached
    assert {code for _, _, code in results} <= {None, 5}
    created = {name: domain_id for name, domain_id, code in results if code is None}
    assert sorted(r.domain for r in live) == sorted(created)
    # The shared name is one row whoever created it, and every successful create saw that row.
    shared_ids = {domain_id for name, domain_id, code in results if name == "shared.example" and code is None}
    assert len(shared_ids) <= 1
    assert SenderDomain.select().where(SenderDomain.domain == "shared.example").count() == len(shared_ids)


def test_overlapping_imports_of_the_same_growing_logs_count_each_row_once(ctx, alice, tmp_path):
    """Cron overlapping itself, or two hosts on one database: processes import the same log,
    its gzipped rotation and another log at once, in different orders; each row counts once."""
    import gzip

    from core.models import DomainStat
    from tests.core.hammer import pmta_importer

    domain_id = ctx.service.create_domain(alice, {"SenderDomain": "race.example"}).id
    header = "type,timeLogged,orig\n"
    rows = [f"{'db'[n % 2]},2026-05-{10 + n % 5:02d} 10:00:00+0000,bounce-{n}@race.example\n" for n in range(30_000)]
    current = tmp_path / "acct.csv"
    current.write_text(header + "".join(rows[:20_000]))
    rotated = tmp_path / "acct-1.csv.gz"  # what the file held when it was rotated: more than acct.csv now shows
    rotated.write_bytes(gzip.compress((header + "".join(rows[:25_000])).encode()))
    other = tmp_path / "acct-other.csv"
    other.write_text(header + "".join(rows[25_000:]))
    orders = [[current, rotated, other], [rotated, other, current], [other, current, rotated]]
    database, cache_url = ctx.settings.database, ctx.settings.cache_url
    ctx.close()
    results = run_workers(pmta_importer, [(database, cache_url, [str(p) for p in order]) for order in orders])

    outcomes = [entry for run in results for entry in run]
    assert [entry for entry in outcomes if entry[1] in ("failed", "skipped")] == []
    assert sum(rows_read for _, _, rows_read, _ in outcomes) == 30_000  # every row read by one import only
    stored = {s.day.isoformat(): (s.sent, s.delivered, s.bounced) for s in DomainStat.select().where(DomainStat.domain == domain_id)}
    expected = {}
    for n in range(30_000):
        day = f"2026-05-{10 + n % 5:02d}"
        sent, delivered, bounced = expected.get(day, (0, 0, 0))
        expected[day] = (sent + 1, delivered + (n % 2 == 0), bounced + (n % 2 == 1))
    assert stored == expected
