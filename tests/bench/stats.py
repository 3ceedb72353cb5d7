"""Benchmarks for issues 4, 11 and 16 (a script, not collected by pytest):

    .venv/bin/python tests/bench/stats.py [--rows 1000000] [--domains 10000] [--days 365]

(a) import throughput: a PowerMTA accounting file of ``--rows`` rows is imported into a fresh
    SQLite database; printed beside the time Python's ``csv`` module alone needs to read the
    same file (target: the import runs at least half as fast);
(b) incremental import: 1,000 rows appended to that file, imported again (target: < 1 s,
    the time of the new bytes, not of the file);
(c) the API during an import: the same file imported again from scratch by a second
    process while this one times Get calls and rate-limit writes (target: each < 1 s);
(d) the List figures query for ``--domains`` domains × ``--days`` days of stats on SQLite
    (target: under 250 ms), and the whole ``list_domains`` call for comparison.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from core import stats, users  # noqa: E402
from core.clock import FixedClock  # noqa: E402
from core.context import build_context  # noqa: E402
from core.importers import import_file  # noqa: E402
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
    from core.models import DomainStat, ImportCursor, User

    DomainStat.delete().execute()
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


def build_stats_db(path: Path, domains: int, days: int) -> tuple:
    settings = Settings(database=f"sqlite:///{path}")
    key = generate_dkim_key(1024)
    ctx = build_context(settings, clock=FixedClock(NOW), keygen=lambda: key)
    user, _ = users.create_user("bench", ctx.clock, domain_limit=0)
    ctx.close()
    con = sqlite3.connect(path)
    con.executemany(
        "INSERT INTO sender_domain (user_id, domain, status, verification_meta, policy_meta, options, created_at,"
        " dkim_selector, dkim_public_key, dkim_private_key) VALUES (?, ?, 'Enabled', '{}', '[]', '{}', ?, 'sd1', '', '')",
        ((user.id, f"d{i}.example", "2025-01-01 00:00:00") for i in range(domains)),
    )
    ids = [r[0] for r in con.execute("SELECT id FROM sender_domain ORDER BY id")]
    rnd = random.Random(7)
    today = NOW.date()

    def rows():
        for back in range(days - 1, -1, -1):  # day by day, as daily imports would write them
            day = (today - dt.timedelta(days=back)).isoformat()
            for domain_id in ids:
                sent = rnd.randrange(0, 5000)
                bounced = sent // 100
                yield (domain_id, day, sent, sent - bounced, bounced, sent // 2000)

    con.executemany(
        "INSERT INTO domain_stat (domain_id, day, sent, delivered, bounced, complaints) VALUES (?, ?, ?, ?, ?, ?)", rows()
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return settings, user.id


def bench_list(workdir: Path, domains: int, days: int) -> None:
    path = workdir / "list.db"
    t = time.perf_counter()
    settings, user_id = build_stats_db(path, domains, days)
    print(f"built {domains:,} domains x {days} days = {domains * days:,} stat rows in {time.perf_counter() - t:.1f} s")
    ctx = build_context(settings, clock=FixedClock(NOW))
    from core.models import User

    user = User.get_by_id(user_id)
    ids = ctx.service._live_rows(user).select(SenderDomain.id)
    timings = []
    for _ in range(7):
        t = time.perf_counter()
        figures = stats.figures_for(ids, NOW.date())
        timings.append(time.perf_counter() - t)
    assert len(figures) == domains
    best, median = min(timings) * 1000, statistics.median(timings) * 1000
    verdict = "OK" if median < 250 else "SLOW"
    print(f"List figures query: median {median:.0f} ms, best {best:.0f} ms for {domains:,} domains (target < 250 ms) {verdict}")
    t = time.perf_counter()
    views = ctx.service.list_domains(user)
    print(f"whole list_domains call (rows, JSON columns, figures): {(time.perf_counter() - t) * 1000:.0f} ms for {len(views):,}")
    ctx.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--domains", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--skip-list", action="store_true")
    parser.add_argument("--dir", help="work directory (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        workdir = Path(tmp)
        if not args.skip_import:
            bench_import(workdir, args.rows)
        if not args.skip_list:
            bench_list(workdir, args.domains, args.days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
