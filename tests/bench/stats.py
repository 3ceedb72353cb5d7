"""Benchmarks for issues 4, 11, 13 and 16 (a script, not collected by pytest):

    .venv/bin/python tests/bench/stats.py [--rows 1000000] [--tenants 1000] [--domains 100000] [--days 365] [--db FLEET.db]

(a) import throughput: a PowerMTA accounting file of ``--rows`` rows is imported into a fresh
    SQLite database; printed beside the time Python's ``csv`` module alone needs to read the
    same file (target: the import runs at least half as fast);
(b) incremental import: 1,000 rows appended to that file, imported again (target: < 1 s,
    the time of the new bytes, not of the file);
(c) the API during an import: the same file imported again from scratch by a second
    process while this one times Get calls and rate-limit writes (target: each < 1 s);
(d) on ``--tenants`` tenants holding ``--domains`` domains with ``--days`` days of stats
    (seeded by tests/bench/fleet.py, or ``--db`` a fleet built before): the List figures of
    every tenant's domains as the TUI reads them (the stored figures; target: under 250 ms
    on SQLite) beside the same figures aggregated from domain_stat at read time, one
    tenant's API list, the daily refresh (a new UTC day), and an import's merge of a day of
    counts for every domain with the figures moved in the same transaction.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import stat_store, stats, stored_figures, users  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from core.context import build_context  # noqa: E402
from core.importers import import_file  # noqa: E402
from core.listing import live_domains  # noqa: E402
from core.models import SenderDomain  # noqa: E402
from core.records import generate_dkim_key  # noqa: E402
from core.settings import Settings  # noqa: E402

NOW = dt.datetime(2026, 5, 23, 9, 11)
HEADER = (
    "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,"
    "dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool,header_From"
)


def write_pmta_file(path: Path, rows: int, domains: int) -> None:
    rnd = random.Random(4)
    names = [f"brand{i}.example" for i in range(domains)]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        for i in range(rows):
            r = rnd.random()
            rtype = "d" if r < 0.95 else "b" if r < 0.99 else "t" if r < 0.997 else "f"
            name = names[i % domains]
            second = i * 86400 * 3 // rows  # three days of traffic
            day = NOW.date() - dt.timedelta(days=2 - second // 86400)
            clock = f"{second % 86400 // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}"
            status = "2.0.0" if rtype == "d" else "5.1.1"
            diag = '"smtp;250 2.0.0 OK 1716455460 x12si, gsmtp"' if rtype == "d" else '"smtp;550 5.1.1 user unknown"'
            f.write(
                f"{rtype},{day} {clock}+0000,{day} {clock}+0000,bounces-{i}@sl.{name},user{i}@gmail.com,,"
                f"{'relayed' if rtype == 'd' else 'failed'},{status},{diag},gmail-smtp-in.l.google.com (142.250.1.27),"
                f"{'' if rtype == 'd' else 'bad-mailbox'},smtp,app1.example (10.0.0.5),smtp,10.0.1.{i % 200},"
                f"142.250.1.27,PIPELINING,{2000 + i % 5000},vmta{i % 8},job{i // 1000},,gmail.com/vmta{i % 8},pool1,"
                f'"Brand {i % domains}" <news@{name}>\n'
            )


def bench_import(workdir: Path, rows: int) -> None:
    n_domains = 200
    path = workdir / "acct.csv"
    t = time.perf_counter()
    write_pmta_file(path, rows, n_domains)
    print(f"wrote {rows:,} PowerMTA rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")

    def csv_only() -> float:
        t = time.perf_counter()
        with open(path, newline="", encoding="utf-8") as f:
            for _row in csv.reader(f):
                pass
        return time.perf_counter() - t

    csv_seconds = min(csv_only() for _ in range(2))

    settings = Settings(database=f"sqlite:///{workdir / 'import.db'}")
    key = generate_dkim_key(1024)
    ctx = build_context(settings, clock=FixedClock(NOW), keygen=lambda: key)
    user, _ = users.create_user("bench", ctx.clock, domain_limit=0)
    for i in range(n_domains):
        ctx.service.create_domain(user, {"SenderDomain": f"brand{i}.example"})
    summary = import_file(path, "pmta", settings=settings, clock=ctx.clock)
    ctx.close()
    assert summary.status == "imported", summary
    import_seconds = summary.seconds
    print(f"csv module alone : {rows / csv_seconds:>12,.0f} rows/s ({csv_seconds:.2f} s)")
    print(
        f"senderdeck import: {rows / import_seconds:>12,.0f} rows/s ({import_seconds:.2f} s; "
        f"{summary.rows_imported:,} imported, {summary.rows_skipped:,} skipped)"
    )
    ratio = csv_seconds / import_seconds
    print(f"ratio            : {ratio:.2f} of the csv module's speed (target >= 0.50) {'OK' if ratio >= 0.5 else 'SLOW'}")

    append_rows(path, rows, 1_000, n_domains)
    ctx = build_context(settings, clock=FixedClock(NOW), keygen=lambda: key)
    t = time.perf_counter()
    again = import_file(path, "pmta", settings=settings, clock=ctx.clock)
    incremental = time.perf_counter() - t
    assert again.status == "imported" and again.rows_read == 1_000, again
    print(
        f"incremental      : 1,000 new rows after {rows:,} in {incremental:.3f} s "
        f"(target < 1 s) {'OK' if incremental < 1 else 'SLOW'}"
    )
    bench_api_during_import(settings, ctx, path, rows)
    ctx.close()


def append_rows(path: Path, start: int, count: int, domains: int) -> None:
    """``count`` more rows in the file's own format (written to a scratch file, then appended)."""
    scratch = path.with_name("more.csv")
    write_pmta_file(scratch, start + count, domains)
    with open(scratch, "rb") as f:
        lines = f.read().split(b"\n")
    with open(path, "ab") as f:
        f.write(b"\n".join(lines[1 + start : 1 + start + count]) + b"\n")
    scratch.unlink()


def bench_api_during_import(settings: Settings, ctx, path: Path, rows: int) -> None:
    """Time Get and rate-limit writes while another process imports the whole file again."""
    from core.models import ImportCursor, User

    with stat_store.stats_transaction():
        stat_store.delete_counts()
    ImportCursor.delete().execute()
    user = User.get(User.name == "bench")
    domain_id = SenderDomain.select(SenderDomain.id).where(SenderDomain.user == user).scalar()
    root = Path(__file__).resolve().parents[2]
    importer = subprocess.Popen(
        [sys.executable, "-m", "tui", "--database", settings.database, "import", "pmta", "--no-progress", str(path)],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    gets, writes = [], []
    while importer.poll() is None:
        t = time.perf_counter()
        ctx.service.get_domain(user, domain_id)
        gets.append(time.perf_counter() - t)
        t = time.perf_counter()
        ctx.limiter.hit("bench-during-import", 10**9, 60.0)
        writes.append(time.perf_counter() - t)
        time.sleep(0.05)
    assert importer.returncode == 0, importer.stderr.read()
    worst = max(gets + writes)
    print(
        f"API during import: {len(gets)} Get calls (max {max(gets) * 1000:.0f} ms, median {statistics.median(gets) * 1000:.0f} ms), "
        f"{len(writes)} rate-limit writes (max {max(writes) * 1000:.0f} ms) while a second process imported "
        f"{rows:,} rows (target: each < 1 s) {'OK' if worst < 1 else 'SLOW'}"
    )


def bench_list(workdir: Path, tenants: int, domains: int, days: int, db: Path | None) -> None:
    """(d) the List figures and the daily refresh on a fleet (tests/bench/fleet.py)."""
    from core.models import User
    from tests.bench.fleet import seed_fleet

    if db is None:
        fleet = seed_fleet(workdir / "fleet.db", tenants=tenants, domains=domains, days=days, now=NOW)
        settings, today = fleet.settings, NOW.date()
        print(
            f"seeded {fleet.tenants:,} tenants, {fleet.domains:,} domains, {fleet.stat_rows:,} stat rows in {fleet.seed_seconds:.1f} s; "
            f"figures stored in {fleet.refresh_seconds:.1f} s"
        )
    else:
        settings = Settings(database=f"sqlite:///{db}")
        con = sqlite3.connect(db)
        today = dt.date.fromisoformat(con.execute("SELECT MAX(day) FROM domain_stat").fetchone()[0])
        con.close()
        print(f"reusing {db} (stats up to {today})")
    clock = FixedClock(dt.datetime.combine(today, NOW.time()))
    ctx = build_context(settings, clock=clock)
    live = SenderDomain.select(SenderDomain.id).where(live_domains(None))
    count = live.count()
    stat_store.refresh_figures(today)

    timings = []
    for _ in range(9):
        t = time.perf_counter()
        figures = ctx.service.domain_figures(None)
        timings.append(time.perf_counter() - t)
    assert len(figures) == count, (len(figures), count)
    median = statistics.median(timings) * 1000
    print(
        f"List figures, every tenant (stored): median {median:.0f} ms, best {min(timings) * 1000:.0f} ms for {count:,} domains "
        f"(target < 250 ms) {'OK' if median < 250 else 'SLOW'}"
    )
    t = time.perf_counter()
    aggregated = stats.figures_for(live, today)
    at_read = time.perf_counter() - t
    assert all(figures[i] == f for i, f in aggregated.items())
    print(f"  the same figures aggregated from domain_stat at read time: {at_read * 1000:,.0f} ms ({at_read * 1000 / median:.0f}x)")
    user = User.select().order_by(User.id).first()
    t = time.perf_counter()
    views = ctx.service.list_domains(user)
    print(f"  one tenant's API list ({len(views)} domains, rows and figures): {(time.perf_counter() - t) * 1000:.1f} ms")

    tomorrow = today + dt.timedelta(days=1)
    t = time.perf_counter()
    refreshed = stat_store.refresh_figures(tomorrow)
    refresh = time.perf_counter() - t
    print(f"daily refresh (a new UTC day moves every window): {refresh:.1f} s for {refreshed:,} domains, in short transactions of {stored_figures.CHUNK:,}")
    clock.advance(86_400)
    t = time.perf_counter()
    assert len(ctx.service.domain_figures(None)) == count
    print(f"  List figures the day after, once refreshed: {(time.perf_counter() - t) * 1000:.0f} ms")

    ids = [row[0] for row in live.tuples()]
    rows = [(i, tomorrow.isoformat(), 100, 99, 1, 0) for i in ids]
    t = time.perf_counter()
    with stat_store.stats_transaction():
        stat_store.write_counts(rows, add=True)
    merge = time.perf_counter() - t
    print(
        f"an import's merge of one day's counts for every domain ({len(rows):,} rows), figures moved in the same "
        f"transaction: {merge:.1f} s ({merge / len(rows) * 1e6:.0f} µs a row)"
    )
    ctx.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tenants", type=int, default=1_000)
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", type=Path, help="(d) on this fleet database (tests/bench/fleet.py) instead of seeding one")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--dir", help="work directory (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        workdir = Path(tmp)
        if not args.skip_import:
            bench_import(workdir, args.rows)
        if not args.skip_list:
            bench_list(workdir, args.tenants, args.domains, args.days, args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
