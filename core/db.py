"""The database: one DatabaseProxy, ``connect(url)``, and forward-only schema migrations.

SQLite (the embedded default) runs in WAL mode with a busy timeout, so a TUI and a cron
import can share one file; PostgreSQL is reached with ``postgresql://`` URLs.
"""

from __future__ import annotations

import asyncio
import importlib
import random
import time
from pathlib import Path
from typing import Callable, TypeVar

import peewee
from playhouse.db_url import connect as url_connect

from core import sqlitefile
from core.errors import BackendUnavailable, SenderdeckError, SettingsError
from core.redaction import redact_url

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


SCHEMES = {"sqlite": "sqlite", "postgresql": "postgres", "postgres": "postgres", "postgresql+pool": "postgres", "postgres+pool": "postgres"}
# Server answers that mean the settings are wrong, not that the server is away.
_CONFIGURATION_PROBLEMS = ("password authentication failed", "does not exist", "no pg_hba.conf entry", "authentication", "role ")


def open_database(url: str) -> peewee.Database:
    """Open (but do not migrate) the database at ``url``.

    Only SQLite and PostgreSQL URLs; a SQLite file is created private, or checked before
    anything writes to it (core/sqlitefile.py); a missing driver names the extra to install.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    kind = SCHEMES.get(scheme)
    if kind is None:
        raise SettingsError(f"database {redact_url(url)}: unsupported; use sqlite:///PATH or a postgresql:// URL")
    if kind == "postgres":
        require_driver("psycopg2", "PostgreSQL", "postgres", f"database {redact_url(url)}")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url[len("sqlite:///"):]).expanduser()
        sqlitefile.prepare(path)
        url = f"sqlite:///{path}"
    try:
        if kind == "sqlite":
            db = url_connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False)
        else:
            db = url_connect(url)
    except (ValueError, RuntimeError, ImportError, TypeError) as exc:
        raise SettingsError(f"database {redact_url(url)}: {exc}") from None
    return db


def require_driver(module: str, what: str, extra: str, where: str) -> None:
    """SettingsError naming the extra to install when ``module`` cannot be imported."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise SettingsError(
            f"{where}: the {what} driver ({module}) is not installed; install senderdeck's {extra} extra: "
            f"pip install 'senderdeck[{extra}]' (from a checkout: pip install -e '.[{extra}]')"
        ) from None


def connect(url: str) -> peewee.Database:
    """Open the database, bind the models to it and connect (``core.context`` then migrates)."""
    db = open_database(url)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.DatabaseError as exc:
        raise database_error(url, exc) from None
    return db


def database_error(url: str, exc: Exception) -> SenderdeckError:
    """One line for a database that cannot be used: a server that does not answer is
    ``BackendUnavailable`` (try again), anything else a ``SettingsError``."""
    text = str(exc).strip()
    first = text.splitlines()[0].strip() if text else type(exc).__name__
    where = f"database {redact_url(url)}"
    if not url.lower().startswith("sqlite") and isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
        if not any(problem in text.lower() for problem in _CONFIGURATION_PROBLEMS):
            return BackendUnavailable(f"{where} is unavailable ({first}); try again")
    return SettingsError(f"{where}: {first}")


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

    Peewee keeps one connection per thread, and the loop's executor keeps a few threads: each
    keeps its connection between calls (opening one per call cost more than the call itself).
    A call that failed on its connection closes it, so the next call on that thread connects
    afresh — a restarted PostgreSQL is used again as soon as it answers.
    """

    def run() -> T:
        try:
            return fn(*args)
        except (peewee.OperationalError, peewee.InterfaceError):
            _drop_connection()
            raise

    return await asyncio.to_thread(run)


def _drop_connection() -> None:
    """Close this thread's connection after it failed (it may be broken); never raises."""
    if database.obj is None:
        return
    try:
        if not database.is_closed():
            database.close()
    except Exception:  # closing a broken connection may fail too; it is gone either way
        database.obj._state.reset()


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
