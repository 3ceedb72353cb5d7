"""Every writer of ``domain_stat`` goes through ``core.stat_store`` (which keeps the stored
figures in step): no other module inserts, updates or deletes its rows or the figures'."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITES = re.compile(
    r"(DomainStat|DomainFigures)\.(insert|insert_many|insert_from|create|update|delete|replace|replace_many|bulk_create|bulk_update)\b"
    r"|\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+(domain_stat|domain_figures)\b",
    re.IGNORECASE,
)
# The writers themselves, and the places that write on purpose, with why.
ALLOWED = {
    "core/stat_store.py": "the one writer",
    "core/stored_figures.py": "the figures table, written inside stat_store's transactions",
    "core/migrations.py": "creates the tables",
    "tests/core/test_stat_writers.py": "this test",
    "tests/core/test_import_safety.py": "UPDATE … SET complaints = complaints: holds the write lock, changes nothing",
    "tests/core/test_stored_figures.py": "marks a stored row to show which figures a list read",
    "tests/bench/fleet.py": "seeds an empty database in bulk (no stored figures yet), then refreshes them",
}


def test_no_module_but_the_stat_store_writes_daily_stats_or_stored_figures():
    offenders = []
    for directory in ("core", "tui", "tests", "screenshots"):
        for path in sorted((ROOT / directory).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WRITES.search(line):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_check_finds_a_direct_write():
    assert WRITES.search("DomainStat.insert_many(rows).execute()")
    assert WRITES.search('db.execute_sql("update domain_figures set day = ?")')
    assert not WRITES.search("DomainStat.select().where(DomainStat.day == today)")
