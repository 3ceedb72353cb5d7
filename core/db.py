"""The database: one DatabaseProxy, ``connect(url)``, and forward-only schema migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so a TUI and a cron
import can share one file; PostgreSQL is reached with ``postgresql://`` URLs.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Callable, TypeVar

import peewee
from playhouse.db_url import connect as url_connect

from core.errors import SettingsError

database = peewee.DatabaseProxy()

T = TypeVar("T")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "busy_timeout": 10_000,  # ms a writer waits for another process's lock
    "foreign_keys": 1,
    "synchronous": "normal",
}


def is_sqlite(db: peewee.Database | None = None) -> bool:
    db = db or database.obj
    return isinstance(db, peewee.SqliteDatabase)


def open_database(url: str) -> peewee.Database:
    """Open (but do not migrate) the database at ``url``."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///"):]).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    try:
        if url.startswith("sqlite"):
            db = url_connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        else:
            db = url_connect(url)
    except (ValueError, RuntimeError, ImportError) as exc:
        raise SettingsError(f"database {redact_url(url)}: {exc}") from None
    return db


def connect(url: str) -> peewee.Database:
    """Open the database, bind the models to it and connect (``core.context`` then migrates)."""
    db = open_database(url)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        raise SettingsError(f"database {redact_url(url)}: {exc}") from None
    return db


def redact_url(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def is_lock_error(exc: Exception) -> bool:
    """Another transaction held the lock (SQLite busy, PostgreSQL deadlock or serialization)."""
    return _is_lock_error(exc)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "deadlock" in text or (
        "could not serialize" in text
    )


def retry_locked(fn: Callable[[], T], attempts: int = 8) -> T:
    """Run ``fn`` (a whole transaction) again when another process held the lock.

    SQLite's busy timeout covers most waits; this covers the rest (a deferred transaction that
    must upgrade to a write lock fails at once) and PostgreSQL serialization failures.
    """
    for attempt in range(attempts):
        try:
            return fn()
        except peewee.OperationalError as exc:
            if not _is_lock_error(exc) or attempt == attempts - 1:
                raise
        time.sleep(min(0.05 * 2**attempt, 1.0) * (0.5 + random.random()))
    raise AssertionError("unreachable")


async def off_loop(fn: Callable[..., T], /, *args) -> T:
    """Run blocking database or cache work on a worker thread, so the event loop never waits
    on it (a verify waiting for DNS, or an HTTP request, keeps being served meanwhile).

    Peewee keeps one connection per thread: the call opens one on first use, and it is closed
    when the call ends, so no connection outlives its thread's work.
    """

    def run() -> T:
        try:
            return fn(*args)
        finally:
            if database.obj is not None and not database.is_closed():
                database.close()

    return await asyncio.to_thread(run)


def write_transaction():
    """A transaction that takes the write lock up front on SQLite (no upgrade deadlocks)."""
    db = database.obj
    if is_sqlite(db):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def for_update(query: peewee.Select) -> peewee.Select:
    """``SELECT … FOR UPDATE`` where the database has it (PostgreSQL); SQLite has no row locks
    and needs none inside ``write_transaction()``, which holds the database's write lock."""
    return query if is_sqlite() else query.for_update()
