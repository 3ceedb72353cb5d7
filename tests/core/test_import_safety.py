"""Imports that meet bad input or other imports (issue 11, items 15-17): a bad file fails alone
and leaves nothing, times without seconds land on their UTC day, and an import holds no lock
while it reads, so the API answers and a second import of the same file waits, then counts
nothing twice."""

from __future__ import annotations

import gzip
import sqlite3
import threading

import psycopg2
import pytest

from core.db import is_sqlite
from core.importers import import_file
from core.importers.pmta import utc_day
from core.models import DomainStat, ImportCursor
from core.stat_store import store_counts

ROWS = "".join(f"d,2026-05-22 10:{n % 60:02d}:00+0000,a{n}@example.com\n" for n in range(3000))


@pytest.fixture
def example(ctx, alice):
    return ctx.service.create_domain(alice, {"SenderDomain": "example.com"}).id


def run(ctx, path, kind="pmta", **options):
    return import_file(path, kind, settings=ctx.settings, clock=ctx.clock, **options)


def stat_rows():
    return sorted((r.domain_id, r.day.isoformat(), r.sent, r.delivered, r.bounced, r.complaints) for r in DomainStat.select())


# ---- item 15: a bad file fails alone, nothing partial --------------------------------------


def test_a_corrupt_gzip_fails_alone_and_writes_nothing(ctx, example, tmp_path):
    whole = gzip.compress(("type,timeLogged,orig\n" + ROWS).encode())
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(whole[:40] + bytes(b ^ 0x5A for b in whole[40:200]) + whole[200:])
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    good = tmp_path / "good.csv"
    good.write_text("type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@example.com\n")
    results = [run(ctx, path) for path in (corrupt, cut, good)]
    assert [r.status for r in results] == ["failed", "failed", "imported"]
    assert all("gzip" in r.error for r in results[:2])
    assert stat_rows() == [(example, "2026-05-22", 1, 1, 0, 0)]
    assert ImportCursor.select().count() == 1


def test_a_time_outside_the_utc_calendar_fails_that_file_alone(ctx, example, tmp_path):
    """Issue 11.15: 0001-01-01 00:00:00+01:00 has no UTC day: that file fails, nothing of it is
    kept (its good rows included), and the run's other files are imported."""
    for n, bad_time in enumerate(("0001-01-01 00:00:00+01:00", "0001-01-01 00:00+01:00", "9999-12-31 23:59:59-01:00")):
        path = tmp_path / f"acct-{n}.csv"
        path.write_text(
            "type,timeLogged,orig\n"
            "d,2026-05-21 10:00:00+0000,a@example.com\n"
            f"d,{bad_time},a@example.com\n"
        )
        summary = run(ctx, path)
        assert summary.status == "failed", bad_time
        assert "outside the dates" in summary.error and bad_time in summary.error
    good = tmp_path / "good.csv"
    good.write_text("type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@example.com\n")
    assert run(ctx, good).status == "imported"
    assert stat_rows() == [(example, "2026-05-22", 1, 1, 0, 0)]


def test_counts_whose_sum_passes_2_63_fail_that_file_and_leave_the_rest(ctx, example, tmp_path):
    import datetime as dt

    store_counts([(example, dt.date(2026, 5, 22), 2**63 - 10, None, 0, 0)])
    over = tmp_path / "over.csv"
    over.write_text("date,domain,sent\n2026-05-22,example.com,5\n2026-05-22,example.com,6\n")
    fine = tmp_path / "fine.csv"
    fine.write_text("date,domain,sent\n2026-05-21,example.com,5\n")
    results = [run(ctx, path, kind="csv") for path in (over, fine)]
    assert [r.status for r in results] == ["failed", "imported"]
    assert "2^63" in results[0].error
    assert stat_rows() == [(example, "2026-05-21", 5, None, 0, 0), (example, "2026-05-22", 2**63 - 10, None, 0, 0)]
    assert ImportCursor.select().count() == 1


@pytest.mark.parametrize("memory_keys", [1, 100])  # spilled to the temporary file, or held in memory
def test_staged_counts_that_pass_2_63_are_refused(memory_keys):
    from core.importers.staging import CountOverflow, StagedCounts

    with StagedCounts(memory_keys) as staged:
        staged.add(1, "2026-05-22", 2**62, None, 0, 0)
        staged.add(2, "2026-05-22", 5, 5, 0, 0)
        staged.add(1, "2026-05-22", 2**62, None, 0, 0)
        with pytest.raises(CountOverflow, match="2\\^63"):
            list(staged.rows())


@pytest.mark.sqlite_only
def test_a_file_name_that_is_not_utf8_is_imported_and_printed_escaped(ctx, example, tmp_path):
    import os

    raw = os.fsencode(tmp_path) + b"/acct-\xff\xfe.csv"
    with open(raw, "wb") as f:
        f.write(b"type,timeLogged,orig\nd,2026-05-22 10:00:00+0000,a@example.com\n")
    summary = run(ctx, os.fsdecode(raw))
    assert summary.status == "imported" and summary.path.endswith("acct-\\xff\\xfe.csv")
    assert ImportCursor.get().name == "acct-\\xff\\xfe.csv"
    summary.path.encode("utf-8")  # printable and storable


# ---- item 16: times without seconds --------------------------------------------------------


@pytest.mark.parametrize(
    "text, day",
    [
        ("2026-05-22 23:59+05:00", "2026-05-22"),
        ("2026-05-22 23:59-05:00", "2026-05-23"),
        ("2026-05-22 23:59+0500", "2026-05-22"),
        ("2026-05-22 23:59 UTC", "2026-05-22"),
        ("2026-05-22T23:59Z", "2026-05-22"),
    ],
)
def test_utc_day_without_seconds(text, day):
    assert utc_day(text) == day


def test_times_without_seconds_land_on_their_own_utc_day(ctx, example, tmp_path):
    path = tmp_path / "acct.csv"
    path.write_text(
        "type,timeLogged,orig\n"
        "d,2026-05-22 23:59+05:00,a@example.com\n"  # 18:59 UTC on the 22nd
        "d,2026-05-22 23:59-05:00,a@example.com\n"  # 04:59 UTC on the 23rd
        "d,2026-05-22 23:59:30-05:00,a@example.com\n"
    )
    run(ctx, path)
    assert stat_rows() == [(example, "2026-05-22", 1, 1, 0, 0), (example, "2026-05-23", 2, 2, 0, 0)]


# ---- item 17: no lock while reading; a second import waits ----------------------------------


def _write_while_import_reads(ctx) -> str:
    """From another connection that will not wait: write a stat row and a rate-limit event."""
    url = ctx.settings.database
    if is_sqlite():
        other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the database's write lock, as the rate limiter takes it
            other.execute("INSERT INTO rate_event (key, at) VALUES ('probe', 1.0)")
            other.execute("COMMIT")
        finally:
            other.close()
        return "written"
    from urllib.parse import parse_qs, urlparse

    parsed = urlparse(url)
    options = parse_qs(parsed.query).get("options", [""])[0]
    other = psycopg2.connect(host=parsed.hostname, port=parsed.port, user=parsed.username, dbname=parsed.path[1:], options=options)
    try:
        with other.cursor() as cur:
            cur.execute("SET lock_timeout = '200ms'")
            cur.execute("UPDATE domain_stat SET complaints = complaints")  # every row the import will add to
            cur.execute("INSERT INTO rate_event (key, at) VALUES ('probe', 1.0)")
        other.commit()
    finally:
        other.close()
    return "written"


def test_an_import_holds_no_lock_while_it_reads(ctx, example, tmp_path):
    import datetime as dt

    store_counts([(example, dt.date(2026, 5, 22), 1, 1, 0, 0)])
    path = tmp_path / "acct.csv"
    path.write_text("type,timeLogged,orig\n" + ROWS)
    outcomes = []

    def midway(done, total, rows):
        if not outcomes and rows:
            outcomes.append(_write_while_import_reads(ctx))

    summary = run(ctx, path, progress=midway, flush_keys=1)
    assert outcomes == ["written"]
    assert summary.status == "imported" and stat_rows() == [(example, "2026-05-22", 3001, 3001, 0, 0)]


def test_a_second_import_of_the_same_file_waits_then_counts_nothing_twice(ctx, example, tmp_path):
    path = tmp_path / "acct.csv"
    path.write_text("type,timeLogged,orig\n" + ROWS)
    copy = tmp_path / "acct-copy.csv"  # the same content under another name is the same file
    copy.write_bytes(path.read_bytes())
    first_reading, second_waiting = threading.Event(), threading.Event()
    results = {}

    def pause(done, total, rows):
        if not first_reading.is_set():
            first_reading.set()
            assert second_waiting.wait(30), "the second import never started waiting"

    def first():
        results["first"] = run(ctx, path, progress=pause, flush_keys=100)

    def second():
        assert first_reading.wait(30)
        results["second"] = run(ctx, copy, on_wait=lambda holder: second_waiting.set())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results["first"].status == "imported" and results["first"].rows_imported == 3000
    assert results["second"].status == "already imported" and results["second"].waited > 0
    assert stat_rows() == [(example, "2026-05-22", 3000, 3000, 0, 0)]


def test_an_import_that_cannot_wait_long_enough_skips_and_says_who_holds_the_file(ctx, example, tmp_path):
    from core.importers.claims import Claims
    from core.importers.cursors import sha256

    path = tmp_path / "acct.csv"
    path.write_text("type,timeLogged,orig\n" + ROWS)
    holder = Claims()
    assert holder.try_claim(sha256(path.read_bytes()[:4096]), "acct.csv") is None
    summary = run(ctx, path, wait=0.3)
    assert summary.status == "skipped" and "is importing this file" in summary.note and summary.waited >= 0.3
    assert stat_rows() == []
    holder.release_all()
    assert run(ctx, path).rows_imported == 3000
